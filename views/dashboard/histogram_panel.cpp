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
    connect(session_, &TrainingSession::modelChanged, this, &HistogramPanel::onModelChanged);
    connect(session_, &TrainingSession::snapshotChanged, this, &HistogramPanel::onSnapshot);
    connect(session_, &TrainingSession::stateChanged, this,
            [this](TrainingSession::State s) { setAnimating(s == TrainingSession::State::Running); });
    if (session_->viewModel()) onModelChanged();
}

HistogramPanel::~HistogramPanel() = default;

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
    record();
}

void HistogramPanel::onSnapshot()
{
    if (!structureMatches()) {
        resetStructure();
    }
    record();
}

HistogramPanel::Histogram HistogramPanel::bin(const float* v, qint64 n)
{
    Histogram h;
    if (!v || n <= 0) return h;
    double lo = 1e300, hi = -1e300, sum = 0;
    qint64 finite = 0;
    for (qint64 i = 0; i < n; ++i) {
        const double x = v[i];
        if (!std::isfinite(x)) continue;
        lo = std::min(lo, x);
        hi = std::max(hi, x);
        sum += x;
        ++finite;
    }
    if (finite == 0) return h;
    const double mean = sum / double(finite);
    double var = 0;
    for (qint64 i = 0; i < n; ++i) {
        const double x = v[i];
        if (std::isfinite(x)) var += (x - mean) * (x - mean);
    }
    h.stats = {lo, hi, mean, std::sqrt(var / double(finite))};
    const double width = hi - lo;
    for (qint64 i = 0; i < n; ++i) {
        const double x = v[i];
        if (!std::isfinite(x)) continue;
        const int b = width > 0 ? std::min(kBins - 1, int((x - lo) / width * kBins)) : kBins / 2;
        h.counts[size_t(b)] += 1.0f;
    }
    h.peak = *std::max_element(h.counts.begin(), h.counts.end());
    h.valid = true;
    return h;
}

void HistogramPanel::record()
{
    const Snapshot& snap = session_->snapshot();
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
    if (!frames_.empty() && frames_.back().epoch == f.epoch && frames_.back().step == f.step) {
        frames_.back() = std::move(f);  // the same weights again (e.g. the run's end)
    } else {
        frames_.push_back(std::move(f));
        if (int(frames_.size()) > kMaxFrames) {
            // Drop every other entry, keeping the first and the newest.
            std::vector<Frame> kept;
            kept.reserve(frames_.size() / 2 + 1);
            for (size_t i = 0; i < frames_.size(); ++i)
                if (i % 2 == 0 || i + 1 == frames_.size()) kept.push_back(std::move(frames_[i]));
            frames_ = std::move(kept);
            slider_ /= 2;
        }
    }
    if (follow_) slider_ = int(frames_.size()) - 1;
    slider_ = std::clamp(slider_, 0, int(frames_.size()) - 1);
    update();
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
    ImGui::PushStyleColor(ImGuiCol_PlotHistogram, gradient ? kGradientColor : kValueColor);
    ImGui::PushStyleColor(ImGuiCol_PlotHistogramHovered, gradient ? kGradientHover : kValueHover);
    ImGui::PlotHistogram(id, h.counts.data(), kBins, 0, nullptr, 0.0f, std::max(1.0f, h.peak * 1.08f), ImVec2(-FLT_MIN, height));
    ImGui::PopStyleColor(2);
    const ImVec2 lo = ImGui::GetItemRectMin(), hi = ImGui::GetItemRectMax();
    const ImVec2 pad = ImGui::GetStyle().FramePadding;
    const float x0 = lo.x + pad.x, x1 = hi.x - pad.x;
    const Stats& s = h.stats;
    // Where zero lies: weights and gradients centred on it or not is the story.
    if (s.min < 0 && s.max > 0) {
        const float x = x0 + float((0 - s.min) / (s.max - s.min)) * (x1 - x0);
        ImGui::GetWindowDrawList()->AddLine(ImVec2(x, lo.y + pad.y), ImVec2(x, hi.y - pad.y),
                                            ImGui::GetColorU32(ImGuiCol_Text, 0.45f), 1.0f * uiScale());
    }
    if (ImGui::IsItemHovered() && x1 > x0) {
        const float mx = ImGui::GetIO().MousePos.x;
        const int b = std::clamp(int((mx - x0) / (x1 - x0) * kBins), 0, kBins - 1);
        const double w = (s.max - s.min) / kBins;
        ImGui::SetTooltip("%s %.4g to %.4g: %d of them\nmean %.4g, std %.4g", gradient ? "gradients" : "values",
                          s.min + w * b, s.min + w * (b + 1), int(h.counts[size_t(b)]), s.mean, s.std);
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
