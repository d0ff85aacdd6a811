#pragma once
// Live training curves: loss (train, validation) and accuracy (train,
// validation) per epoch, side by side. Hovering a point shows its epoch, step
// and value; the loss axis can switch to a log scale. Exports PNG/SVG/CSV.
#include <QWidget>
#include <cmath>

#include "engine/train/trainer.h"
#include "views/charts/exportable.h"

class QChart;
class QChartView;
class QCheckBox;
class QLabel;
class QLineSeries;
class QAbstractAxis;
class QValueAxis;

namespace views {

class CurvesChart : public QWidget, public Exportable {
    Q_OBJECT
public:
    explicit CurvesChart(QWidget* parent = nullptr);

    void clear();
    void addEpoch(const nn::EpochMetrics& m) { addEpochs(&m, 1); }
    // Appends `count` epochs and rescales once: a fast net finishes thousands of
    // epochs between two polls, and per-point updates would swamp the UI thread.
    void addEpochs(const nn::EpochMetrics* first, size_t count);
    void setLogScale(bool on);
    bool logScale() const { return log_; }
    void setUiScale(double scale);

    // For tests and export.
    int pointCount() const;  // points in the train-loss series
    QString hoverText() const { return hoverText_; }

    QString exportTitle() const override { return tr("Training curves"); }
    QWidget* exportWidget() override { return this; }
    QStringList csvHeader() const override;
    QVector<QVector<double>> csvRows() const override;

private:
    QChartView* makeChart(const QString& title, QLineSeries* train, QLineSeries* val, QValueAxis** y);
    void attachLossAxis();
    void showHover(QLineSeries* series, const QPointF& p, bool state);
    void rescale();
    void fitTicks();
    void updateLegend();

    QChartView* lossView_ = nullptr;
    QChartView* accView_ = nullptr;
    QLineSeries *trainLoss_, *valLoss_, *trainAcc_, *valAcc_;
    QValueAxis* lossY_ = nullptr;
    QValueAxis* accY_ = nullptr;
    QAbstractAxis* lossYAttached_ = nullptr;
    QCheckBox* logBox_ = nullptr;
    QLabel* legend_ = nullptr;
    bool fitting_ = false;
    QVector<nn::EpochMetrics> epochs_;
    double lossLo_ = INFINITY, lossHi_ = -INFINITY;  // positive finite losses seen so far
    bool log_ = false;
    double scale_ = 1.0;
    QString hoverText_;
};

} // namespace views
