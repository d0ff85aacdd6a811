#pragma once
// HistogramPanel: what TensorBoard's histograms show, as a Dear ImGui instrument
// panel. For every parameter tensor of the model (each layer's weights and
// biases), a histogram of its values and one of its latest gradients, with
// min / max / mean / std, layers in collapsing headers. One entry is recorded per
// snapshot (normally one per epoch) as binned counts and statistics, not tensors,
// so a long run stays small; a time slider looks back over the run and follows
// the newest entry while it sits at the end.
#include <QElapsedTimer>
#include <QString>
#include <QTimer>
#include <QVector>
#include <array>
#include <vector>

#include "views/imgui/imgui_host.h"

namespace views {

class TrainingSession;
struct Snapshot;

class HistogramPanel : public ImGuiHost {
    Q_OBJECT
public:
    static constexpr int kBins = 40;
    // One entry per epoch up to this many; past it every other one is dropped
    // (the first and newest are kept), so entries stay evenly spaced over the run.
    static constexpr int kMaxFrames = 1000;
    // While training, frames for new snapshots lie at least this far apart.
    static constexpr int kRedrawGapMs = 250;

    struct Stats {
        double min = 0, max = 0, mean = 0, std = 0;
    };

    explicit HistogramPanel(TrainingSession* session, QWidget* parent = nullptr);
    ~HistogramPanel() override;

    // 1.0 normal, 2.0 projector mode (fonts and sizes).
    void setUiScale(double scale) { ImGuiHost::setUiScale(float(scale)); }

    int recordedFrames() const { return int(frames_.size()); }
    // The entry the panel shows (0 = oldest); follows the newest while at the end.
    int sliderPosition() const { return slider_; }
    void setSliderPosition(int position);
    // Epoch and step of a recorded entry (0, 0 = the initial weights); -1 when out of range.
    int frameEpoch(int frame) const;
    qint64 frameStep(int frame) const;
    // Statistics of parameter `paramIndex` (Model::parameters() order) at entry
    // `frame`; all zero when out of range. gradientStats is zero before the first step.
    Stats weightStats(int paramIndex, int frame) const;
    Stats gradientStats(int paramIndex, int frame) const;
    int parameterCount() const { return int(names_.size()); }
    // Bins of parameter `paramIndex`'s value histogram at entry `frame` that hold
    // at least one value (the bars one sees); 0 when out of range.
    int nonEmptyBins(int paramIndex, int frame) const;

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

protected:
    void drawUi() override;

private:
    struct Histogram {
        std::array<float, kBins> counts {};  // the first `bins` are used
        int bins = kBins;
        double lo = 0, hi = 0;               // the binned range (the bulk of the values)
        qint64 below = 0, above = 0;         // outliers left and right of it
        Stats stats;
        float peak = 0;
        bool valid = false;
    };
    struct ParamRecord {
        Histogram values, grads;
    };
    struct Frame {
        int epoch = 0;
        qint64 step = 0;
        std::vector<ParamRecord> params;
    };
    struct ParamInfo {
        QString name, layer, kind;  // "h1.weight", "h1", "weight"
        QString shape;              // "2 × 16"
        qint64 count = 0;
    };

    void onModelChanged();
    void onSnapshot();
    bool structureMatches() const;
    void resetStructure();
    void record(const Snapshot& snap);
    void requestRedraw();
    static Histogram bin(const float* v, qint64 n);
    void drawHistogram(const char* id, const Histogram& h, bool gradient, float height);

    TrainingSession* session_;
    std::vector<ParamInfo> names_;
    std::vector<Frame> frames_;
    int slider_ = 0;
    int stride_ = 1;  // epochs between two entries; doubles each time the cap is hit
    bool follow_ = true;
    QTimer redraw_;
    QElapsedTimer sinceRedraw_;
};

} // namespace views
