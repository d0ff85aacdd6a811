#pragma once
// The storage breakdown: one stacked bar per pipeline stage, split by layer (and
// the biases, kept as f32), each stage in its smallest format, so the bars shrink
// as the pipeline goes and show which layer holds the bytes. "Share" switches to
// 100% bars to compare the split when the later bars are too small to read.
// A Qt Charts chart; exports PNG, SVG and CSV.
#include <QWidget>
#include <vector>

#include "engine/compress/pipeline.h"
#include "views/charts/exportable.h"

class QChartView;
class QCheckBox;

namespace views::compress {

class StorageChart : public QWidget, public Exportable {
    Q_OBJECT
public:
    explicit StorageChart(QWidget* parent = nullptr);

    void clear();
    void addStage(const nn::compress::StageResult& stage);
    void setShareMode(bool on);
    bool shareMode() const { return share_; }

    int barCount() const { return int(stages_.size()); }
    // Bits of one segment: layer `segment` (the last is the biases) of stage `bar`.
    double segmentBits(int bar, int segment) const;
    int segmentCount() const;

    QString exportTitle() const override { return tr("Storage by layer"); }
    QWidget* exportWidget() override { return this; }
    QStringList csvHeader() const override;
    QVector<QStringList> csvTextRows() const override;

protected:
    void changeEvent(QEvent* e) override;

private:
    void rebuild();
    void applyFonts();

    QChartView* view_;
    QCheckBox* shareBox_;
    std::vector<nn::compress::StageResult> stages_;
    bool share_ = false;
};

} // namespace views::compress
