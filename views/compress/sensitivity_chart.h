#pragma once
// The compression curves, side by side (Qt Charts):
//  - accuracy vs fraction pruned, one colour per layer, solid after retraining and
//    dashed without (Deep Compression's sensitivity figure: retraining lets a layer
//    lose far more weights before accuracy falls; the first conv layers are the
//    most sensitive);
//  - accuracy vs bits per weight, for weight sharing and fixed point, per layer type.
// Points arrive one by one from the sweep (SweepRunner). Exports PNG, SVG and CSV.
#include <QMap>
#include <QWidget>
#include <vector>

#include "engine/compress/sweeps.h"
#include "views/charts/exportable.h"

class QChart;
class QChartView;
class QLineSeries;
class QValueAxis;

namespace views::compress {

class SensitivityChart : public QWidget, public Exportable {
    Q_OBJECT
public:
    explicit SensitivityChart(QWidget* parent = nullptr);

    void clear();
    void addPoint(const nn::compress::SweepPoint& p);
    const std::vector<nn::compress::SweepPoint>& points() const { return points_; }
    // Series drawn in each chart (tests).
    int pruneSeriesCount() const;
    int bitsSeriesCount() const;

    QString exportTitle() const override { return tr("Compression sensitivity"); }
    QWidget* exportWidget() override { return this; }
    QStringList csvHeader() const override;
    QVector<QStringList> csvTextRows() const override;

protected:
    void changeEvent(QEvent* e) override;

private:
    QLineSeries* seriesFor(const nn::compress::SweepPoint& p);
    void applyFonts();
    void fitAccuracyAxes();

    QChartView *pruneView_, *bitsView_;
    QValueAxis *pruneX_, *pruneY_, *bitsX_, *bitsY_;
    QMap<QString, QLineSeries*> series_;
    QMap<QString, int> layerColor_;
    std::vector<nn::compress::SweepPoint> points_;
};

} // namespace views::compress
