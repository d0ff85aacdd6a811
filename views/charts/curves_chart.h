#pragma once
// Live training curves: loss (train, validation) and accuracy (train,
// validation) per epoch, side by side. Hovering a point shows its epoch, step
// and value; the loss axis can switch to a log scale. Exports PNG/SVG/CSV.
//
// The series drawn are the full ones reduced to the plot's pixel columns
// (MinMaxDecimator: first/min/max/last per column), so a redraw costs the
// plot's width however many epochs were trained; hover and CSV use every epoch.
#include <QElapsedTimer>
#include <QTimer>
#include <QWidget>
#include <array>
#include <cmath>

#include "engine/train/trainer.h"
#include "views/charts/exportable.h"
#include "views/charts/minmax_decimator.h"

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
    // Appends `count` epochs and redraws once: a fast net finishes thousands of
    // epochs between two polls, and per-point updates would swamp the UI thread.
    // The redraw is an event of its own, at most one per kRedrawGapMs: QtCharts
    // rebuilds every line's geometry (and its stroked shape) on each replace and
    // range change, ~10 ms, and again when its scene updates.
    void addEpochs(const nn::EpochMetrics* first, size_t count);
    static constexpr int kRedrawGapMs = 250;
    // Series redraws so far (tests: the rate while a fast net trains).
    int redrawCount() const { return redraws_; }
    void setLogScale(bool on);
    bool logScale() const { return log_; }
    void setUiScale(double scale);

    // For tests and export.
    int pointCount() const;        // epochs in the full train-loss series
    int drawnPointCount() const;   // points the train-loss line is drawn with
    int drawColumns() const;       // pixel columns the series are reduced to
    // How often the axes' ticks or label formats changed: once the size stops
    // changing, this must stop growing (no layout feedback loop).
    int tickUpdates() const { return tickUpdates_; }
    QString hoverText() const { return hoverText_; }
    // These three bring a pending redraw forward: what they return is current.
    QChart* lossChart() const;
    QChart* accuracyChart() const;

    QString exportTitle() const override { return tr("Training curves"); }
    QWidget* exportWidget() override { return this; }
    // The two charts alone (no check box, no shared legend), laid out afresh at
    // the asked size: nothing elided, lines and text as sharp as the scale.
    ExportSize defaultExportSize() override { return {QSize(1600, 900), 2.0}; }
    void renderExport(QPainter& painter, const QSize& size) override;
    QStringList csvHeader() const override;
    QVector<QVector<double>> csvRows() const override;

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    enum Line { TrainLoss, ValLoss, TrainAcc, ValAcc };
    QChartView* makeChart(const QString& title, QLineSeries* train, QLineSeries* val, QValueAxis** y);
    void showHover(QLineSeries* series, const QPointF& p, bool state);
    void rescale();
    void redrawSeries();
    void requestRedraw();
    void flushRedraw() const;  // a pending redraw, now
    void fitTicks();
    void updateLegend();
    QLineSeries* series(Line l) const { return series_[size_t(l)]; }

    QChartView* lossView_ = nullptr;
    QChartView* accView_ = nullptr;
    std::array<QLineSeries*, 4> series_ {};
    std::array<MinMaxDecimator, 4> lines_;  // the full series, and what is drawn of them
    QValueAxis* lossY_ = nullptr;
    QValueAxis* accY_ = nullptr;
    QAbstractAxis* lossYAttached_ = nullptr;
    QCheckBox* logBox_ = nullptr;
    QLabel* legend_ = nullptr;
    QVector<nn::EpochMetrics> epochs_;
    double lossLo_ = INFINITY, lossHi_ = -INFINITY;  // positive finite losses seen so far
    bool log_ = false;
    double scale_ = 1.0;
    int tickUpdates_ = 0;
    QString hoverText_;
    QTimer redraw_;
    QElapsedTimer sinceRedraw_;
    bool stale_ = false;  // epochs added since the last redraw
    int redraws_ = 0;
};

} // namespace views
