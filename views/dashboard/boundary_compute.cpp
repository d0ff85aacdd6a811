// BoundaryView, part 2: the network evaluated over the plane (heat map, contour,
// one thumbnail per hidden neuron).
#include "views/dashboard/boundary_view.h"

#include <QFontMetricsF>
#include <QHelpEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>
#include <QToolTip>
#include <algorithm>
#include <cmath>
#include <map>

#include "engine/data/dataset.h"
#include "engine/nn/model.h"
#include "views/training/training_session.h"

#include "views/dashboard/boundary_style.h"

namespace views {

using namespace boundary;

// ---- computing the boundary ---------------------------------------------------------------

void BoundaryView::updateRange()
{
    const auto* d = session_->data();
    haveRange_ = false;
    if (!d || d->train.featureCount() != 2) return;
    double xmin = 1e300, xmax = -1e300, ymin = 1e300, ymax = -1e300;
    for (const nn::data::Dataset* set : {&d->train, &d->validation, &d->test}) {
        for (size_t i = 0; i < set->size(); ++i) {
            const float* s = set->sample(i);
            xmin = std::min(xmin, double(s[0]));
            xmax = std::max(xmax, double(s[0]));
            ymin = std::min(ymin, double(s[1]));
            ymax = std::max(ymax, double(s[1]));
        }
    }
    if (xmin > xmax) xmin = -1, xmax = 1, ymin = -1, ymax = 1;
    // Equal units on both axes (circles stay round), padded by 10% on each side.
    const double cx = (xmin + xmax) / 2, cy = (ymin + ymax) / 2;
    double half = std::max(xmax - xmin, ymax - ymin) / 2;
    if (!(half > 1e-9)) half = 1;
    half *= 1.2;
    x0_ = cx - half, x1_ = cx + half, y0_ = cy - half, y1_ = cy + half;
    haveRange_ = true;
    inputFilled_ = false;
}

bool BoundaryView::ensureGraph(const nn::Model& model)
{
    const auto& params = model.parameters();
    bool fresh = built_ && built_->params.size() == params.size();
    for (size_t i = 0; fresh && i < params.size(); ++i)
        fresh = built_->graph.node(built_->params[i]).value.sharesStorageWith(params[i].value);
    if (fresh) return false;
    built_ = std::make_unique<nn::BuiltGraph>(model.build(grid_ * grid_, false));
    built_->graph.setTraining(false);
    inputFilled_ = false;
    rebuildNeurons(model);
    return true;
}

void BoundaryView::rebuildNeurons(const nn::Model& model)
{
    neurons_.clear();
    groups_.clear();
    layout_.valid = false;
    const auto& spec = model.spec();
    std::map<std::string, const nn::LayerSpec*> byId;
    std::map<std::string, std::string> inputOf;
    std::string previous = "input";
    for (const auto& l : spec.layers) {
        byId[l.id] = &l;
        inputOf[l.id] = l.inputs.empty() ? previous : l.inputs.front();
        previous = l.id;
    }
    // Through dropout/flatten to the layer whose units they pass on.
    auto source = [&](std::string id) {
        while (id != "input" && byId.count(id) && (byId[id]->type == "dropout" || byId[id]->type == "flatten"))
            id = inputOf[id];
        return id;
    };
    std::string lastDense;
    for (const auto& id : model.order())
        if (byId.count(id) && byId[id]->type == "dense") lastDense = id;
    const auto& params = model.parameters();
    auto paramIndex = [&](const std::string& name) {
        for (size_t i = 0; i < params.size(); ++i)
            if (params[i].name == name) return int(i);
        return -1;
    };
    for (const auto& id : model.order()) {
        const nn::LayerSpec* l = byId.count(id) ? byId[id] : nullptr;
        if (!l || l->type != "dense" || id == lastDense) continue;
        std::string shown = id, act = l->activation, nodeName;
        if (act == "none") {
            // A separate activation layer right after it: show its output instead.
            for (const auto& other : spec.layers) {
                if (inputOf[other.id] == id && isActivationType(other.type)) {
                    shown = other.id;
                    act = other.type;
                    nodeName = other.id + "." + other.type;
                    break;
                }
            }
            if (nodeName.empty()) nodeName = id + ".bias_add";
        } else {
            nodeName = id + "." + act;
        }
        const int node = built_ ? built_->graph.find(nodeName) : -1;
        if (node < 0) continue;
        const int units = int(model.layerShape(id).at(0));
        const std::string in = source(inputOf[id]);
        Group g;
        g.first = int(neurons_.size());
        g.count = std::min(units, kMaxThumbsPerLayer);
        const QString actName = QString::fromStdString(act == "none" ? std::string("linear") : act);
        g.title = units > g.count ? tr("%1 · %2 · first %3 of %4 neurons").arg(QString::fromStdString(shown), actName).arg(g.count).arg(units)
                                  : tr("%1 · %2 · %3 neurons").arg(QString::fromStdString(shown), actName).arg(units);
        for (int u = 0; u < g.count; ++u) {
            Neuron n;
            n.layer = QString::fromStdString(shown);
            n.denseLayer = QString::fromStdString(id);
            n.unit = u;
            n.activation = QString::fromStdString(act);
            n.pieces = act == "maxout" ? l->pieces : 1;
            n.weightParam = paramIndex(id + ".weight");
            n.biasParam = paramIndex(id + ".bias");
            n.inputPrefix = in == "input" ? QStringLiteral("x") : QString::fromStdString(in) + "[";
            n.node = node;
            neurons_.push_back(n);
        }
        groups_.push_back(g);
    }
    if (selected_ >= int(neurons_.size())) selected_ = -1;
}

void BoundaryView::recompute()
{
    refresh_.stop();
    dirty_ = false;
    QElapsedTimer timer;
    timer.start();
    const auto* data = session_->data();
    const nn::Model* model = session_->viewModel();
    epoch_ = session_->snapshot().epoch;
    step_ = session_->snapshot().step;
    const bool usable = data && data->train.featureCount() == 2 && model
                        && nn::Shape(model->inputShape()).numel() == 2;
    if (!usable) {
        image_ = QImage();
        probs_.clear();
        contour_.clear();
        if (!model || !data || data->train.featureCount() != 2) {
            built_.reset();
            if (!neurons_.empty()) layout_.valid = false;
            neurons_.clear();
            groups_.clear();
        }
        update();
        return;
    }
    if (!haveRange_) updateRange();
    ensureGraph(*model);
    nn::Graph& g = built_->graph;
    const int n = grid_;
    if (!inputFilled_) {
        float* in = g.node(built_->input).value.data();
        for (int j = 0; j < n; ++j) {
            const double y = y1_ - (j + 0.5) / n * (y1_ - y0_);
            for (int i = 0; i < n; ++i) {
                const double x = x0_ + (i + 0.5) / n * (x1_ - x0_);
                in[(j * n + i) * 2] = float(x);
                in[(j * n + i) * 2 + 1] = float(y);
            }
        }
        inputFilled_ = true;
    }
    try {
        g.forward();
    } catch (const std::exception&) {
        image_ = QImage();
        probs_.clear();
        update();
        return;
    }
    // Class probabilities per grid point.
    const nn::Node& outNode = g.node(built_->output);
    const int outputs = int(outNode.value.shape().back());
    const float* out = outNode.value.data();
    const size_t points = size_t(n) * size_t(n);
    classes_ = outputs == 1 ? 2 : outputs;
    probs_.assign(points * size_t(classes_), 0.0f);
    const bool alreadyProbs = outNode.op == nn::OpKind::Softmax || outNode.op == nn::OpKind::Sigmoid;
    for (size_t p = 0; p < points; ++p) {
        float* dst = probs_.data() + p * size_t(classes_);
        const float* src = out + p * size_t(outputs);
        if (outputs == 1) {
            const float s = alreadyProbs ? src[0] : 1.0f / (1.0f + std::exp(-src[0]));
            dst[0] = 1.0f - s;
            dst[1] = s;
        } else if (alreadyProbs) {
            std::copy(src, src + outputs, dst);
        } else {
            const float m = *std::max_element(src, src + outputs);
            float total = 0;
            for (int k = 0; k < outputs; ++k) total += dst[k] = std::exp(src[k] - m);
            for (int k = 0; k < outputs; ++k) dst[k] /= total;
        }
    }
    colorize();
    computeContour();
    lastComputeMs_ = double(timer.nsecsElapsed()) / 1e6;
    ++computes_;
    sinceCompute_.restart();
    update();
}

QColor BoundaryView::classColor(int k) const
{
    return kClassColors[size_t(k) % (sizeof(kClassColors) / sizeof(kClassColors[0]))];
}

void BoundaryView::colorize()
{
    const int n = grid_;
    if (probs_.empty()) return;
    const QRgb mid = palette().color(QPalette::Base).rgb();
    std::vector<QRgb> colors;
    for (int k = 0; k < classes_; ++k) colors.push_back(classColor(k).rgb());
    image_ = QImage(n, n, QImage::Format_RGB32);
    for (int j = 0; j < n; ++j) {
        auto* line = reinterpret_cast<QRgb*>(image_.scanLine(j));
        for (int i = 0; i < n; ++i) {
            const float* p = probs_.data() + (size_t(j) * size_t(n) + size_t(i)) * size_t(classes_);
            if (classes_ == 2) {
                const double t = 2.0 * p[1] - 1.0;
                line[i] = mixRgb(mid, t < 0 ? colors[0] : colors[1], 0.82 * std::pow(std::abs(t), 0.7));
            } else {
                double r = 0, gr = 0, b = 0, best = 0;
                for (int k = 0; k < classes_; ++k) {
                    r += p[k] * qRed(colors[size_t(k)]);
                    gr += p[k] * qGreen(colors[size_t(k)]);
                    b += p[k] * qBlue(colors[size_t(k)]);
                    best = std::max(best, double(p[k]));
                }
                const double conf = (best - 1.0 / classes_) / (1.0 - 1.0 / classes_);
                line[i] = mixRgb(mid, qRgb(int(r), int(gr), int(b)), 0.82 * std::pow(std::clamp(conf, 0.0, 1.0), 0.7));
            }
        }
    }
    // Hidden neurons: blue where the output is positive, orange where negative.
    if (built_) {
        for (auto& neuron : neurons_) {
            const nn::Tensor& v = built_->graph.node(neuron.node).value;
            const int64_t units = v.shape().back();
            const float* src = v.data();
            double scaleBy = 1.0;
            const bool sigmoid = neuron.activation == "sigmoid";
            if (neuron.activation != "tanh" && !sigmoid) {
                double maxAbs = 0;
                for (size_t p = 0; p < size_t(n) * size_t(n); ++p)
                    maxAbs = std::max(maxAbs, double(std::abs(src[p * size_t(units) + size_t(neuron.unit)])));
                scaleBy = maxAbs > 1e-9 ? 1.0 / maxAbs : 1.0;
            }
            neuron.thumb = QImage(n, n, QImage::Format_RGB32);
            for (int j = 0; j < n; ++j) {
                auto* line = reinterpret_cast<QRgb*>(neuron.thumb.scanLine(j));
                for (int i = 0; i < n; ++i) {
                    const double raw = src[(size_t(j) * size_t(n) + size_t(i)) * size_t(units) + size_t(neuron.unit)];
                    const double t = std::clamp(sigmoid ? 2.0 * raw - 1.0 : raw * scaleBy, -1.0, 1.0);
                    line[i] = mixRgb(mid, t < 0 ? colors[0] : colors[std::min<size_t>(1, colors.size() - 1)],
                                     0.9 * std::pow(std::abs(t), 0.7));
                }
            }
        }
    }
}

// Marching squares over the grid: the P(class 1) = 0.5 line for two classes; for
// more, the lines where the most likely class changes.
void BoundaryView::computeContour()
{
    contour_.clear();
    const int n = grid_;
    if (probs_.empty() || n < 2) return;
    std::vector<float> f(size_t(n) * size_t(n));
    auto run = [&] {
        auto at = [&](int i, int j) { return f[size_t(j) * size_t(n) + size_t(i)]; };
        for (int j = 0; j + 1 < n; ++j) {
            for (int i = 0; i + 1 < n; ++i) {
                const float a = at(i, j), b = at(i + 1, j), c = at(i + 1, j + 1), d = at(i, j + 1);
                const int idx = (a >= 0) | ((b >= 0) << 1) | ((c >= 0) << 2) | ((d >= 0) << 3);
                if (idx == 0 || idx == 15) continue;
                auto lerp = [](float u, float v) { return double(u) / double(u - v); };
                // Edge crossings in grid units (cell centres at index + 0.5).
                const double x = i + 0.5, y = j + 0.5;
                const QPointF top(x + lerp(a, b), y), right(x + 1, y + lerp(b, c)), bottom(x + lerp(d, c), y + 1),
                    left(x, y + lerp(a, d));
                std::vector<QPointF> pts;
                if ((a >= 0) != (b >= 0)) pts.push_back(top);
                if ((b >= 0) != (c >= 0)) pts.push_back(right);
                if ((d >= 0) != (c >= 0)) pts.push_back(bottom);
                if ((a >= 0) != (d >= 0)) pts.push_back(left);
                if (pts.size() == 2) {
                    contour_ << QLineF(pts[0], pts[1]);
                } else if (pts.size() == 4) {
                    const bool centreLikeA = ((a + b + c + d) / 4 >= 0) == (a >= 0);
                    if (centreLikeA) {
                        contour_ << QLineF(top, right) << QLineF(bottom, left);
                    } else {
                        contour_ << QLineF(top, left) << QLineF(right, bottom);
                    }
                }
            }
        }
    };
    const size_t K = size_t(classes_);
    if (classes_ == 2) {
        for (size_t p = 0; p < f.size(); ++p) f[p] = probs_[p * K + 1] - 0.5f;
        run();
        return;
    }
    for (size_t k = 0; k < K; ++k) {
        for (size_t p = 0; p < f.size(); ++p) {
            float other = 0;
            for (size_t q = 0; q < K; ++q)
                if (q != k) other = std::max(other, probs_[p * K + q]);
            f[p] = probs_[p * K + k] - other;
        }
        run();
    }
}

} // namespace views
