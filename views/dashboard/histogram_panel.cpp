#include "views/dashboard/histogram_panel.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <imgui.h>

#include "engine/nn/model.h"
#include "views/training/training_session.h"

namespace views {

namespace {

// ImGui's default font covers Latin-1 only: "×" and "·" are fine, "−" and "…" are not.
const ImVec4 kValueColor(0.33f, 0.62f, 0.90f, 1.0f);     // blue
const ImVec4 kValueHover(0.50f, 0.75f, 1.00f, 1.0f);
const ImVec4 kGradientColor(0.96f, 0.58f, 0.13f, 1.0f);  // orange
const ImVec4 kGradientHover(1.00f, 0.72f, 0.35f, 1.0f);

void helpMarker(const char* text)
{
    ImGui::TextDisabled("(?)");
    if (ImGui::IsItemHovered()) {
        ImGui::BeginTooltip();
        ImGui::PushTextWrapPos(ImGui::GetFontSize() * 32.0f);
        ImGui::TextUnformatted(text);
        ImGui::PopTextWrapPos();
        ImGui::EndTooltip();
    }
}

QString num(double v) { return QString::number(v, 'g', 3); }

} // namespace

HistogramPanel::HistogramPanel(TrainingSession* session, QWidget* parent) : ImGuiHost(parent), session_(session)
{
    setToolTip({});
    redraw_.setSingleShot(true);
    connect(&redraw_, &QTimer::timeout, this, [this] {
        sinceRedraw_.restart();
        update();
    });
    connect(session_, &TrainingSession::modelChanged, this, &HistogramPanel::onModelChanged);
    connect(session_, &TrainingSession::snapshotChanged, this, &HistogramPanel::onSnapshot);
    // No continuous redraw while training: the panel changes only when a snapshot
    // arrives (record() asks for a frame) or on input. Under software GL a frame
    // repaints the whole window, and 60 of them a second starved the UI thread
    // (bench_ui_latency: p99 89 ms with it, see tests/bench/ui_latency.cpp).
    if (session_->viewModel()) onModelChanged();
}

HistogramPanel::~HistogramPanel() = default;

void HistogramPanel::requestRedraw()
{
    // While a net trains a snapshot comes with every poll; a frame (ImGui render
    // and read-back, 5-8 ms in software GL) at most every kRedrawGapMs is enough.
    if (session_->state() != TrainingSession::State::Running) {
        update();
        return;
    }
    if (redraw_.isActive()) return;
    const qint64 since = sinceRedraw_.isValid() ? sinceRedraw_.elapsed() : kRedrawGapMs;
    redraw_.start(int(std::max<qint64>(0, kRedrawGapMs - since)));
}

QSize HistogramPanel::sizeHint() const { return QSize(int(460 * uiScale()), int(620 * uiScale())); }
QSize HistogramPanel::minimumSizeHint() const { return QSize(int(260 * uiScale()), int(200 * uiScale())); }

void HistogramPanel::setSliderPosition(int position)
{
    if (frames_.empty()) {
        slider_ = 0;
        follow_ = true;
        return;
    }
    slider_ = std::clamp(position, 0, int(frames_.size()) - 1);
    follow_ = slider_ == int(frames_.size()) - 1;
    update();
}

int HistogramPanel::frameEpoch(int frame) const
{
    if (frame < 0 || frame >= int(frames_.size())) return -1;
    return frames_[size_t(frame)].epoch;
}

qint64 HistogramPanel::frameStep(int frame) const
{
    if (frame < 0 || frame >= int(frames_.size())) return -1;
    return frames_[size_t(frame)].step;
}

HistogramPanel::Stats HistogramPanel::weightStats(int paramIndex, int frame) const
{
    if (frame < 0 || frame >= int(frames_.size())) return {};
    const auto& f = frames_[size_t(frame)];
    if (paramIndex < 0 || paramIndex >= int(f.params.size())) return {};
    return f.params[size_t(paramIndex)].values.stats;
}

HistogramPanel::Stats HistogramPanel::gradientStats(int paramIndex, int frame) const
{
    if (frame < 0 || frame >= int(frames_.size())) return {};
    const auto& f = frames_[size_t(frame)];
    if (paramIndex < 0 || paramIndex >= int(f.params.size())) return {};
    return f.params[size_t(paramIndex)].grads.stats;
}

int HistogramPanel::nonEmptyBins(int paramIndex, int frame) const
{
    if (frame < 0 || frame >= int(frames_.size())) return 0;
    const auto& f = frames_[size_t(frame)];
    if (paramIndex < 0 || paramIndex >= int(f.params.size())) return 0;
    const Histogram& h = f.params[size_t(paramIndex)].values;
    return int(std::count_if(h.counts.begin(), h.counts.begin() + h.bins, [](float c) { return c > 0; }));
}

// ---- recording -------------------------------------------------------------------------

bool HistogramPanel::structureMatches() const
{
    const nn::Model* m = session_->viewModel();
    if (!m) return names_.empty();
    const auto& ps = m->parameters();
    if (ps.size() != names_.size()) return false;
    for (size_t i = 0; i < ps.size(); ++i)
        if (names_[i].name != QString::fromStdString(ps[i].name) || names_[i].count != ps[i].value.numel()) return false;
    return true;
}

void HistogramPanel::resetStructure()
{
    names_.clear();
    frames_.clear();
    stride_ = 1;
    slider_ = 0;
    follow_ = true;
    const nn::Model* m = session_->viewModel();
    if (!m) return;
    for (const auto& p : m->parameters()) {
        ParamInfo info;
        info.name = QString::fromStdString(p.name);
        info.layer = QString::fromStdString(p.layer);
        info.kind = info.name.mid(info.layer.size() + 1);
        QStringList dims;
        const auto& shape = p.value.shape();
        for (int d = 0; d < shape.rank(); ++d) dims << QString::number(shape[d]);
        info.shape = dims.join(QString::fromUtf8(" × "));
        info.count = p.value.numel();
        names_.push_back(info);
    }
}

void HistogramPanel::onModelChanged()
{
    resetStructure();
    record(session_->snapshot());
}

void HistogramPanel::onSnapshot()
{
    if (!structureMatches()) {
        resetStructure();
    }
    // A fast net ends many epochs between two polls: record each of them, not
    // only the newest, so the time slider has one entry per epoch.
    // An epoch off the entries' grid (every stride_ epochs) would be replaced by
    // the next one at once: it is not binned at all (the same entries, less work
    // per poll when thousands of epochs end between two).
    const Snapshot& latest = session_->snapshot();
    for (const Snapshot& e : session_->epochSnapshots())
        if (e.step <= latest.step && (frames_.empty() || e.step > frames_.back().step) && e.epoch % stride_ == 0) record(e);
    record(latest);
}

HistogramPanel::Histogram HistogramPanel::bin(const float* v, qint64 n)
{
    Histogram h;
    if (!v || n <= 0) return h;
    std::vector<float> finite;
    finite.reserve(size_t(n));
    double sum = 0;
    for (qint64 i = 0; i < n; ++i)
        if (std::isfinite(v[i])) {
            finite.push_back(v[i]);
            sum += v[i];
        }
    if (finite.empty()) return h;
    const size_t m = finite.size();
    const double mean = sum / double(m);
    double var = 0;
    for (float x : finite) var += (x - mean) * (x - mean);
    const auto [lo, hi] = std::minmax_element(finite.begin(), finite.end());
    h.stats = {*lo, *hi, mean, std::sqrt(var / double(m))};

    // The bins span the bulk of the values: quartiles ± 3 interquartile ranges (or
    // the 0.5th..99.5th percentile when that is wider), never past min and max. A
    // few outliers then no longer squeeze every other value into one bar; they are
    // counted at the ends instead. O(n): nth_element, no sort.
    // Quantiles of a big tensor from an even sample of 20 000 of its values: a
    // 235 000-value matrix costs well under a millisecond on the UI thread.
    std::vector<float> sample;
    const size_t stride = m > 20000 ? m / 20000 : 1;
    if (stride > 1)
        for (size_t i = 0; i < m; i += stride) sample.push_back(finite[i]);
    std::vector<float>& q = stride > 1 ? sample : finite;
    auto quantile = [&](double f) {
        const size_t k = std::min(q.size() - 1, size_t(f * double(q.size() - 1) + 0.5));
        std::nth_element(q.begin(), q.begin() + std::ptrdiff_t(k), q.end());
        return double(q[k]);
    };
    const double q1 = quantile(0.25), q3 = quantile(0.75), p005 = quantile(0.005), p995 = quantile(0.995);
    const double iqr = q3 - q1;
    double a = std::max(h.stats.min, std::min(q1 - 3 * iqr, p005));
    double b = std::min(h.stats.max, std::max(q3 + 3 * iqr, p995));
    if (!(b > a)) a = h.stats.min, b = h.stats.max;
    h.lo = a;
    h.hi = b;
    // About 2·n^(1/3) bins (Rice's rule): wide bars for a 16-value bias, fine ones
    // for a 235 000-value weight matrix.
    h.bins = std::clamp(int(std::ceil(2.0 * std::cbrt(double(m)))), 8, kBins);
    const double width = b - a;
    for (float x : finite) {
        if (x < a) {
            ++h.below;
            continue;
        }
        if (x > b) {
            ++h.above;
            continue;
        }
        const int k = width > 0 ? std::min(h.bins - 1, int((x - a) / width * h.bins)) : h.bins / 2;
        h.counts[size_t(k)] += 1.0f;
    }
    h.peak = *std::max_element(h.counts.begin(), h.counts.begin() + h.bins);
    h.valid = true;
    return h;
}

void HistogramPanel::record(const Snapshot& snap)
{
    if (names_.empty() || snap.params.size() != names_.size()) return;
    Frame f;
    f.epoch = snap.epoch;
    f.step = snap.step;
    f.params.resize(names_.size());
    for (size_t i = 0; i < names_.size(); ++i) {
        const nn::Tensor& p = snap.params[i];
        if (p.defined()) f.params[i].values = bin(p.data(), p.numel());
        if (i < snap.grads.size() && snap.grads[i].defined())
            f.params[i].grads = bin(snap.grads[i].data(), snap.grads[i].numel());
    }
    const auto same = std::find_if(frames_.begin(), frames_.end(), [&](const Frame& g) { return g.epoch == f.epoch && g.step == f.step; });
    if (same != frames_.end()) {
        // The same weights again: the run's end, or early stopping putting an
        // earlier epoch's weights back. The panel then shows that entry, as the
        // other panels show those weights.
        *same = std::move(f);
        if (follow_) slider_ = int(same - frames_.begin());
        requestRedraw();
        return;
    } else {
        // Entries lie every `stride_` epochs; the newest is kept as well, and
        // replaced by the next one when it is off that grid.
        if (frames_.size() > 1 && frames_.back().epoch % stride_ != 0) frames_.pop_back();
        frames_.push_back(std::move(f));
        if (int(frames_.size()) > kMaxFrames) {
            // Keep every other epoch of the grid (and the newest): still evenly spaced.
            stride_ *= 2;
            std::vector<Frame> kept;
            kept.reserve(frames_.size() / 2 + 2);
            for (size_t i = 0; i < frames_.size(); ++i)
                if (i == 0 || frames_[i].epoch % stride_ == 0 || i + 1 == frames_.size()) kept.push_back(std::move(frames_[i]));
            frames_ = std::move(kept);
            slider_ = std::min(slider_, int(frames_.size()) - 1);
        }
    }
    if (follow_) slider_ = int(frames_.size()) - 1;
    slider_ = std::clamp(slider_, 0, int(frames_.size()) - 1);
    requestRedraw();
}

// ---- drawing ----------------------------------------------------------------------------

void HistogramPanel::drawHistogram(const char* id, const Histogram& h, bool gradient, float height)
{
    if (!h.valid) {
        ImGui::PushStyleColor(ImGuiCol_FrameBg, ImGui::GetStyleColorVec4(ImGuiCol_FrameBg));
        const ImVec2 start = ImGui::GetCursorScreenPos();
        const float width = ImGui::GetContentRegionAvail().x;
        ImGui::GetWindowDrawList()->AddRectFilled(start, ImVec2(start.x + width, start.y + height),
                                                  ImGui::GetColorU32(ImGuiCol_FrameBg), ImGui::GetStyle().FrameRounding);
        const char* msg = gradient ? "no gradients yet:\nthey appear after\nthe first step" : "no values";
        const ImVec2 size = ImGui::CalcTextSize(msg);
        ImGui::GetWindowDrawList()->AddText(ImVec2(start.x + (width - size.x) / 2, start.y + (height - size.y) / 2),
                                            ImGui::GetColorU32(ImGuiCol_TextDisabled), msg);
        ImGui::Dummy(ImVec2(width, height));
        ImGui::PopStyleColor();
        ImGui::TextDisabled(" ");
        ImGui::TextDisabled(" ");
        return;
    }
    // PlotHistogram (1.86) does not resolve a negative width as other widgets do:
    // give it the column's width, or it draws a sliver.
    const float us = uiScale();
    const float width = std::max(40.0f * us, ImGui::GetContentRegionAvail().x);
    ImGui::PushStyleColor(ImGuiCol_PlotHistogram, gradient ? kGradientColor : kValueColor);
    ImGui::PushStyleColor(ImGuiCol_PlotHistogramHovered, gradient ? kGradientHover : kValueHover);
    ImGui::PlotHistogram(id, h.counts.data(), h.bins, 0, nullptr, 0.0f, std::max(1.0f, h.peak * 1.08f), ImVec2(width, height));
    ImGui::PopStyleColor(2);
    const bool hovered = ImGui::IsItemHovered();
    const ImVec2 lo = ImGui::GetItemRectMin(), hi = ImGui::GetItemRectMax();
    const ImVec2 pad = ImGui::GetStyle().FramePadding;
    const float x0 = lo.x + pad.x, x1 = hi.x - pad.x;
    const Stats& s = h.stats;
    ImDrawList* draw = ImGui::GetWindowDrawList();
    // Where zero lies: weights and gradients centred on it or not is the story.
    if (h.lo < 0 && h.hi > 0) {
        const float x = x0 + float((0 - h.lo) / (h.hi - h.lo)) * (x1 - x0);
        draw->AddLine(ImVec2(x, lo.y + pad.y), ImVec2(x, hi.y - pad.y), ImGui::GetColorU32(ImGuiCol_Text, 0.45f), 1.0f * us);
    }
    // Values beyond the binned range: a red wedge at that end with their count.
    const ImU32 red = ImGui::GetColorU32(ImVec4(0.95f, 0.30f, 0.30f, 1.0f));
    auto outliers = [&](qint64 count, bool right) {
        if (count == 0) return;
        const float tip = right ? hi.x - 1.0f : lo.x + 1.0f, back = right ? tip - 9.0f * us : tip + 9.0f * us;
        const float cy = lo.y + pad.y + 10.0f * us;
        draw->AddTriangleFilled(ImVec2(tip, cy), ImVec2(back, cy - 6.0f * us), ImVec2(back, cy + 6.0f * us), red);
        char text[32];
        std::snprintf(text, sizeof text, "%lld", static_cast<long long>(count));
        const ImVec2 ts = ImGui::CalcTextSize(text);
        draw->AddText(ImVec2(right ? back - ts.x - 2.0f * us : back + 2.0f * us, cy - ts.y / 2), red, text);
    };
    outliers(h.below, false);
    outliers(h.above, true);
    if (hovered && x1 > x0) {
        const float mx = ImGui::GetIO().MousePos.x;
        const int b = std::clamp(int((mx - x0) / (x1 - x0) * h.bins), 0, h.bins - 1);
        const double w = (h.hi - h.lo) / h.bins;
        ImGui::SetTooltip("%s %.4g to %.4g: %d of them\nmean %.4g, std %.4g\n%lld below %.4g and %lld above %.4g are not binned\n(outliers, red marks at the ends)",
                          gradient ? "gradients" : "values", h.lo + w * b, h.lo + w * (b + 1), int(h.counts[size_t(b)]), s.mean,
                          s.std, static_cast<long long>(h.below), h.lo, static_cast<long long>(h.above), h.hi);
    }
    ImGui::Text("min %s", qPrintable(num(s.min)));
    const QString maxText = "max " + num(s.max);
    const float w = ImGui::CalcTextSize(qPrintable(maxText)).x;
    ImGui::SameLine();
    const float avail = ImGui::GetContentRegionAvail().x;
    if (avail > w) ImGui::SetCursorPosX(ImGui::GetCursorPosX() + avail - w);
    ImGui::TextUnformatted(qPrintable(maxText));
    ImGui::TextDisabled("mean %s  ·  std %s", qPrintable(num(s.mean)), qPrintable(num(s.std)));
}

void HistogramPanel::drawUi()
{
    const float s = uiScale();
    ImGui::SetWindowFontScale(1.3f);
    ImGui::TextUnformatted("Weights & gradients");
    ImGui::SetWindowFontScale(1.0f);
    ImGui::SameLine();
    helpMarker("For every layer: how its weights and biases are spread (blue) and how big the gradients of the "
               "latest training step are (orange). The thin line marks zero.\n\n"
               "Healthy training: values spread out slowly, gradients shrink but do not vanish. Exploding "
               "values or gradients stuck at zero point to a learning rate or initialisation problem.\n\n"
               "Drag the time slider to look back over the run; at the right end it follows the newest epoch.");

    if (frames_.empty()) {
        ImGui::Spacing();
        ImGui::PushTextWrapPos(0.0f);
        ImGui::TextDisabled(session_->viewModel() ? "Waiting for the first snapshot of the weights."
                                                  : "No model yet. Load data and a model to see its weights and gradients.");
        ImGui::PopTextWrapPos();
        return;
    }

    // Time slider over the recorded entries.
    slider_ = std::clamp(slider_, 0, int(frames_.size()) - 1);
    const Frame& shown = frames_[size_t(slider_)];
    const int total = session_->config().epochs;
    char label[96];
    if (shown.epoch == 0 && shown.step == 0)
        std::snprintf(label, sizeof label, "initial weights (epoch 0 of %d)", total);
    else
        std::snprintf(label, sizeof label, "epoch %d of %d  ·  step %lld", shown.epoch, total, static_cast<long long>(shown.step));
    ImGui::Spacing();
    ImGui::AlignTextToFramePadding();
    ImGui::TextUnformatted("Time");
    ImGui::SameLine();
    ImGui::SetNextItemWidth(-FLT_MIN);
    int pos = slider_;
    if (ImGui::SliderInt("##time", &pos, 0, int(frames_.size()) - 1, label)) setSliderPosition(pos);
    if (ImGui::IsItemHovered())
        ImGui::SetTooltip("Drag to look back over the run (%d snapshots recorded).\nAt the right end the panel follows training.",
                          int(frames_.size()));
    if (follow_)
        ImGui::TextDisabled("%d snapshots  ·  following the newest", int(frames_.size()));
    else
        ImGui::TextDisabled("%d snapshots  ·  drag to the right end to follow training", int(frames_.size()));
    ImGui::Spacing();

    const float height = 64.0f * s;
    size_t i = 0;
    while (i < names_.size()) {
        const QString layer = names_[i].layer;
        size_t end = i;
        QStringList shapes;
        while (end < names_.size() && names_[end].layer == layer) {
            shapes << names_[end].kind + " " + names_[end].shape;
            ++end;
        }
        const QString header = layer + "   (" + shapes.join(",  ") + ")###layer_" + layer;
        if (ImGui::CollapsingHeader(qPrintable(header), ImGuiTreeNodeFlags_DefaultOpen)) {
            ImGui::PushID(qPrintable(layer));
            if (ImGui::BeginTable("params", 2, ImGuiTableFlags_SizingStretchSame | ImGuiTableFlags_PadOuterX)) {
                for (size_t k = i; k < end; ++k) {
                    const ParamInfo& info = names_[k];
                    const ParamRecord& r = shown.params[k];
                    ImGui::PushID(int(k));
                    ImGui::TableNextRow();
                    ImGui::TableSetColumnIndex(0);
                    ImGui::Text("%s values", qPrintable(info.name));
                    drawHistogram("##values", r.values, false, height);
                    ImGui::TableSetColumnIndex(1);
                    ImGui::Text("%s gradients", qPrintable(info.name));
                    drawHistogram("##grads", r.grads, true, height);
                    ImGui::PopID();
                    if (k + 1 < end) {
                        ImGui::TableNextRow();
                        ImGui::TableSetColumnIndex(0);
                        ImGui::Dummy(ImVec2(1, 4.0f * s));
                    }
                }
                ImGui::EndTable();
            }
            ImGui::PopID();
            ImGui::Spacing();
        }
        i = end;
    }
}

} // namespace views
