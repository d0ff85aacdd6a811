#pragma once
// The filmstrip: one weight histogram of the chosen layer per pipeline stage, side
// by side (dense → pruned → retrained → shared → …), all on the dense model's axes
// for that layer, with the test accuracy and the size under each frame. It shows
// what the lecture says in words: pruning cuts a gap around zero, retraining grows
// soft shoulders at its edges, sharing turns the continuous spread into spikes at
// the centroids. The exact zeros (pruned weights) are drawn in their own colour:
// they would dwarf every other bar, so on the linear scale the axis is fitted to
// the other bars and the zero bar is cut at the top with its count written on it.
// Clicking a frame selects its stage; exports PNG, SVG and CSV.
#include <QWidget>
#include <vector>

#include "engine/compress/pipeline.h"
#include "views/charts/exportable.h"

namespace views::compress {

class FilmstripView : public QWidget, public Exportable {
    Q_OBJECT
public:
    explicit FilmstripView(QWidget* parent = nullptr);

    void clear();
    void addStage(const nn::compress::StageResult& stage);
    const std::vector<nn::compress::StageResult>& stages() const { return stages_; }
    int frameCount() const { return int(stages_.size()); }

    void setLayer(int layer);  // index into StageResult::layers
    int layer() const { return layer_; }
    QString layerName() const;  // the chosen layer's name, empty before a run
    void setLogScale(bool on);
    bool logScale() const { return log_; }
    void setSelectedStage(int index);
    int selectedStage() const { return selected_; }
    void setUiScale(double scale);

    // The frame under a point in widget coordinates, -1 for none (tests, clicks).
    int frameAt(const QPoint& p) const;
    QRect frameRect(int index) const;

    QString exportTitle() const override;
    QWidget* exportWidget() override { return this; }
    // The frames under a heading naming the layer: an exported picture says
    // whose weights it shows (on screen the layer box beside it does).
    ExportSize defaultExportSize() override;
    void renderExport(QPainter& painter, const QSize& size) override;
    QStringList csvHeader() const override;
    QVector<QStringList> csvTextRows() const override;

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

signals:
    void stageSelected(int index);

protected:
    void paintEvent(QPaintEvent*) override;
    void mousePressEvent(QMouseEvent* e) override;
    void keyPressEvent(QKeyEvent* e) override;
    bool event(QEvent* e) override;

private:
    struct Geometry;
    Geometry geometry(int index) const;
    double frameWidth() const;
    double barHeight(double count, double plotHeight) const;
    void updateScale();
    void paintFrame(QPainter& p, int index) const;

    std::vector<nn::compress::StageResult> stages_;
    int layer_ = 0;
    int selected_ = -1;
    bool log_ = false;
    double scale_ = 1.0;
    double yMax_ = 1;  // the tallest bar drawn in full, across all frames
};

} // namespace views::compress
