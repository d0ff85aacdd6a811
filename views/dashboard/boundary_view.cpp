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

namespace views {

namespace {

// TensorFlow Playground's orange and blue first, then a qualitative palette.
const QColor kClassColors[] = {QColor(245, 147, 34), QColor(8, 119, 189),  QColor(44, 160, 44),
                               QColor(148, 103, 189), QColor(214, 39, 40), QColor(23, 190, 207),
                               QColor(140, 86, 75),   QColor(227, 119, 194), QColor(188, 189, 34),
                               QColor(127, 127, 127)};
constexpr int kMaxThumbsPerLayer = 32;
const QChar kMinus(0x2212);
const QChar kDot(0x00B7);

QRgb mixRgb(QRgb a, QRgb b, double t)
{
    auto ch = [t](int x, int y) { return int(std::lround(x + (y - x) * t)); };
    return qRgb(ch(qRed(a), qRed(b)), ch(qGreen(a), qGreen(b)), ch(qBlue(a), qBlue(b)));
}

// A "nice" tick step (1, 2 or 5 × 10^k) giving about `count` ticks over `span`.
double niceStep(double span, int count)
{
    if (!(span > 0)) return 1;
    const double raw = span / count;
    const double mag = std::pow(10.0, std::floor(std::log10(raw)));
    const double n = raw / mag;
    return (n < 1.5 ? 1 : n < 3 ? 2 : n < 7 ? 5 : 10) * mag;
}

QString signedNumber(double v, int decimals)
{
    QString s = QString::number(std::abs(v), 'f', decimals);
    if (v < 0 && s.toDouble() != 0) s.prepend(kMinus);
    return s;
}

bool isActivationType(const std::string& t)
{
    return t == "sigmoid" || t == "tanh" || t == "relu" || t == "leaky_relu" || t == "elu";
}

} // namespace

BoundaryView::BoundaryView(TrainingSession* session, QWidget* parent) : QWidget(parent), session_(session)
{
    setAttribute(Qt::WA_OpaquePaintEvent);
    setMouseTracking(true);
    setToolTip(tr("Decision boundary: the network's prediction at every point of the plane."));
    refresh_.setSingleShot(true);
    connect(&refresh_, &QTimer::timeout, this, [this] {
        if (isVisible()) recompute();
    });
    connect(session_, &TrainingSession::dataChanged, this, &BoundaryView::onDataChanged);
    connect(session_, &TrainingSession::modelChanged, this, &BoundaryView::onModelChanged);
    connect(session_, &TrainingSession::snapshotChanged, this, &BoundaryView::scheduleRecompute);
    installExportMenu(this, this);
    if (session_->data()) updateRange();
}

BoundaryView::~BoundaryView() = default;

// ---- public API -----------------------------------------------------------------------

QImage BoundaryView::boundaryImage() const
{
    if (dirty_) const_cast<BoundaryView*>(this)->recompute();
    return image_;
}

int BoundaryView::neuronCount() const
{
    if (dirty_) const_cast<BoundaryView*>(this)->recompute();
    return int(neurons_.size());
}

QString BoundaryView::neuronName(int index) const
{
    if (index < 0 || index >= int(neurons_.size())) return {};
    const Neuron& n = neurons_[size_t(index)];
    return QStringLiteral("%1[%2]").arg(n.layer).arg(n.unit);
}

QString BoundaryView::neuronFormula(int index) const
{
    if (dirty_) const_cast<BoundaryView*>(this)->recompute();
    const nn::Model* model = session_->viewModel();
    if (!model || index < 0 || index >= int(neurons_.size())) return {};
    const Neuron& n = neurons_[size_t(index)];
    const auto& params = model->parameters();
    if (n.weightParam < 0 || n.biasParam < 0 || n.weightParam >= int(params.size()) || n.biasParam >= int(params.size()))
        return {};
    const nn::Tensor& w = params[size_t(n.weightParam)].value;
    const nn::Tensor& b = params[size_t(n.biasParam)].value;
    const int64_t fanIn = w.shape()[0], pre = w.shape()[1];
    auto inputName = [&](int64_t i) {
        return n.inputPrefix == "x" ? QStringLiteral("x%1").arg(i + 1) : n.inputPrefix + QString::number(i) + "]";
    };
    // One weighted sum: "0.42·x1 − 1.30·x2 + 0.05" (first three terms and "…" when long).
    auto sum = [&](int64_t col) {
        QString s;
        const int64_t shown = fanIn <= 4 ? fanIn : 3;
        for (int64_t i = 0; i < shown; ++i) {
            const double v = w[i * pre + col];
            const QString num = QString::number(std::abs(v), 'f', 2);
            if (i == 0)
                s += (v < 0 ? QString(kMinus) : QString()) + num;
            else
                s += QStringLiteral(" %1 %2").arg(v < 0 ? kMinus : QChar('+'), num);
            s += kDot + inputName(i);
        }
        if (shown < fanIn) s += QStringLiteral(" + …");
        const double bias = b[col];
        s += QStringLiteral(" %1 %2").arg(bias < 0 ? kMinus : QChar('+'), QString::number(std::abs(bias), 'f', 2));
        return s;
    };
    QString body;
    if (n.activation == "maxout") {
        QStringList pieces;
        for (int p = 0; p < n.pieces; ++p) pieces << sum(int64_t(n.unit) * n.pieces + p);
        body = "max(" + pieces.join(", ") + ")";
    } else if (n.activation == "none") {
        body = sum(n.unit);
    } else {
        body = n.activation + "(" + sum(n.unit) + ")";
    }
    return neuronName(index) + " = " + body;
}

void BoundaryView::selectNeuron(int index)
{
    if (index < -1 || index >= int(neurons_.size())) index = -1;
    if (index == selected_) return;
    selected_ = index;
    layout_.valid = false;  // the footer's text, and so its height, changes
    update();
    emit neuronSelected(index);
}

void BoundaryView::setUiScale(double scale)
{
    scale = std::clamp(scale, 0.5, 4.0);
    if (scale == scale_) return;
    scale_ = scale;
    layout_.valid = false;
    updateGeometry();
    update();
}

void BoundaryView::setGridSize(int n)
{
    n = std::clamp(n, 8, 400);
    if (n == grid_) return;
    grid_ = n;
    built_.reset();
    scheduleRecompute();
}

bool BoundaryView::hasTwoDData() const
{
    const auto* d = session_->data();
    return d && d->train.featureCount() == 2;
}

QString BoundaryView::exportTitle() const { return tr("Decision boundary"); }

QStringList BoundaryView::csvHeader() const
{
    QStringList h {"x1", "x2"};
    const auto* d = session_->data();
    for (int k = 0; k < classes_; ++k) {
        QString name = d && k < int(d->train.classNames.size()) ? QString::fromStdString(d->train.classNames[size_t(k)])
                                                                 : QStringLiteral("class %1").arg(k);
        h << QStringLiteral("p(%1)").arg(name.replace(',', ';'));
    }
    return h;
}

QVector<QVector<double>> BoundaryView::csvRows() const
{
    if (dirty_) const_cast<BoundaryView*>(this)->recompute();
    QVector<QVector<double>> rows;
    if (probs_.empty()) return rows;
    const int n = grid_;
    rows.reserve(n * n);
    for (int j = 0; j < n; ++j) {
        for (int i = 0; i < n; ++i) {
            QVector<double> r;
            r.reserve(2 + classes_);
            r << x0_ + (i + 0.5) / n * (x1_ - x0_) << y1_ - (j + 0.5) / n * (y1_ - y0_);
            const float* p = probs_.data() + (size_t(j) * size_t(n) + size_t(i)) * size_t(classes_);
            for (int k = 0; k < classes_; ++k) r << double(p[k]);
            rows << r;
        }
    }
    return rows;
}

QSize BoundaryView::sizeHint() const { return QSize(int(620 * scale_), int(600 * scale_)); }
QSize BoundaryView::minimumSizeHint() const { return QSize(int(200 * scale_), int(170 * scale_)); }

// ---- reacting to the session -------------------------------------------------------------

void BoundaryView::onDataChanged()
{
    updateRange();
    inputFilled_ = false;
    selected_ = -1;
    layout_.valid = false;
    scheduleRecompute();
}

void BoundaryView::onModelChanged()
{
    built_.reset();
    selected_ = -1;
    layout_.valid = false;
    scheduleRecompute();
}

void BoundaryView::scheduleRecompute()
{
    dirty_ = true;
    if (refresh_.isActive()) return;
    // Coalesce: leave at least three times the last computation's cost between two,
    // so a big network on 2-D data never takes more than a quarter of the UI thread.
    const double gap = std::clamp(lastComputeMs_ * 3.0, 0.0, 300.0);
    const qint64 since = sinceCompute_.isValid() ? sinceCompute_.elapsed() : 1000000;
    refresh_.start(int(std::max<qint64>(0, qint64(gap) - since)));
}

void BoundaryView::showEvent(QShowEvent* e)
{
    QWidget::showEvent(e);
    if (dirty_) scheduleRecompute();
}

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

// ---- layout ------------------------------------------------------------------------------

QFont BoundaryView::scaledFont(double factor, bool bold) const
{
    QFont f = font();
    const double base = f.pointSizeF() > 0 ? f.pointSizeF() : 10.0;
    f.setPointSizeF(base * factor * scale_);
    f.setBold(bold);
    return f;
}

void BoundaryView::doLayout()
{
    layout_ = Layout();
    layout_.valid = true;
    const double s = scale_;
    const double m = 10 * s;
    const QRectF r = QRectF(rect()).adjusted(m, m, -m, -m);
    const QFontMetricsF titleFm(scaledFont(1.3, true));
    const QFontMetricsF fm(scaledFont(1.0));
    const double titleH = titleFm.height();
    layout_.title = QRectF(r.left(), r.top(), r.width(), titleH);
    // "epoch 200 · spiral" beside the title when both fit, else on a line of its own.
    const double infoW = fm.horizontalAdvance(tr("epoch %1 · %2").arg(88888).arg(session_->dataName()));
    layout_.infoBelow = titleFm.horizontalAdvance(tr("Decision boundary")) + 16 * s + infoW > r.width();
    layout_.info = layout_.infoBelow ? QRectF(r.left(), layout_.title.bottom(), r.width(), fm.height()) : layout_.title;
    double y = (layout_.infoBelow ? layout_.info.bottom() : layout_.title.bottom()) + 4 * s;
    const auto flow = legendFlow(r.width());
    const int legendLines = flow.empty() ? 1 : flow.back().line + 1;
    layout_.legend = QRectF(r.left(), y, r.width(), legendLines * (fm.height() + 2 * s));
    y = layout_.legend.bottom() + 8 * s;
    layout_.footerText = footerTexts();
    const QFontMetricsF footerFm(scaledFont(1.15));
    auto wrapped = [&](const QFont& f, const QString& t) {
        return QFontMetricsF(f).boundingRect(QRectF(0, 0, r.width(), 1e6), Qt::TextWordWrap, t).height();
    };
    double footerH = 0;
    if (!neurons_.empty()) {
        const QFont first = selected_ >= 0 ? scaledFont(1.15, true) : scaledFont(1.0);
        const double h1 = selected_ >= 0 ? footerFm.height() : wrapped(first, layout_.footerText.first);
        const double h2 = wrapped(scaledFont(1.0), layout_.footerText.second);
        footerH = h1 + 4 * s + h2;
        // The explanation is the first thing to go when the plot would get too small.
        if (footerH > (r.bottom() - y) * 0.25) {
            layout_.footerText.second.clear();
            footerH = h1;
        }
        if (footerH > (r.bottom() - y) * 0.25) footerH = 0;
    }
    layout_.footer = QRectF(r.left(), r.bottom() - footerH, r.width(), footerH);
    const QRectF body(r.left(), y, r.width(), std::max(10.0, layout_.footer.top() - y - (footerH > 0 ? 8 * s : 0)));

    const QFontMetricsF tickFm(scaledFont(0.9));
    const double axL = tickFm.horizontalAdvance(QStringLiteral("−0.0")) + tickFm.height() + 12 * s;
    const double axB = tickFm.height() * 2 + 10 * s;
    const double gap = 14 * s;
    const double headerH = fm.height() + 4 * s;
    const double thumbGap = 5 * s;

    // Largest thumbnail edge (between tmin and tmax) that fits all groups in w × h.
    // The smallest still shows a neuron's pattern; it need not grow with the text.
    const double tmin = std::max(30.0, 18 * s), tmax = 64 * s;
    auto fit = [&](double w, double h) -> double {
        if (w < tmin || h < tmin) return 0;
        for (double t = tmax; t >= tmin; t -= 1) {
            const int cols = int((w + thumbGap) / (t + thumbGap));
            if (cols < 1) continue;
            double need = 0;
            for (const auto& g : groups_) need += headerH + std::ceil(double(g.count) / cols) * (t + thumbGap);
            if (need <= h) return t;
        }
        return 0;
    };

    double plotSide = 0, thumb = 0;
    bool side = false;
    const double maxP = std::min(body.width() - axL, body.height() - axB);
    // Without thumbnails there is no footer about them: the plot takes its room too.
    const double maxAlone = std::min(body.width() - axL, layout_.footer.bottom() - body.top() - axB);
    if (groups_.empty()) {
        plotSide = std::max(20.0, maxAlone);
    } else {
        double bestSide = 0, bestSideT = 0, bestBelow = 0, bestBelowT = 0;
        // The plot may shrink a little to make space for the thumbnails, not more:
        // it is what the room looks at.
        const double minP = std::max(60 * s, maxAlone * 0.7);
        for (double p = maxP; p >= minP; p -= 2) {
            const double t = fit(body.width() - (p + axL) - gap, body.height());
            if (t > 0) {
                bestSide = p, bestSideT = t;
                break;
            }
        }
        for (double p = maxP; p >= minP; p -= 2) {
            const double t = fit(body.width(), body.height() - (p + axB) - gap);
            if (t > 0) {
                bestBelow = p, bestBelowT = t;
                break;
            }
        }
        if (bestSide == 0 && bestBelow == 0) {
            // Too small for both: the plot alone.
            plotSide = std::max(20.0, maxAlone);
        } else if (bestSide >= bestBelow) {
            side = true, plotSide = bestSide, thumb = bestSideT;
        } else {
            plotSide = bestBelow, thumb = bestBelowT;
        }
    }
    const double blockW = plotSide + axL, blockH = plotSide + axB;
    // Beside the thumbnails the plot sits at the left; alone or above them, centred.
    const double left = thumb > 0 && side ? body.left() : body.left() + (body.width() - blockW) / 2;
    layout_.plot = QRectF(left + axL, body.top(), plotSide, plotSide);
    if (thumb > 0) {
        layout_.thumbs = side ? QRectF(left + blockW + gap, body.top(), body.right() - (left + blockW + gap), body.height())
                              : QRectF(body.left(), body.top() + blockH + gap, body.width(), body.bottom() - (body.top() + blockH + gap));
        const QRectF& a = layout_.thumbs;
        const int cols = std::max(1, int((a.width() + thumbGap) / (thumb + thumbGap)));
        double gy = a.top();
        layout_.thumbRects.assign(neurons_.size(), QRectF());
        for (const auto& g : groups_) {
            layout_.groupHeaders.push_back(QRectF(a.left(), gy, a.width(), headerH));
            gy += headerH;
            for (int k = 0; k < g.count; ++k) {
                const int row = k / cols, col = k % cols;
                layout_.thumbRects[size_t(g.first + k)] =
                    QRectF(a.left() + col * (thumb + thumbGap), gy + row * (thumb + thumbGap), thumb, thumb);
            }
            gy += std::ceil(double(g.count) / cols) * (thumb + thumbGap);
        }
    } else {
        // No thumbnails shown: a footer about them would point at nothing.
        layout_.footer = QRectF();
    }
}

std::vector<BoundaryView::LegendItem> BoundaryView::legendFlow(double width) const
{
    std::vector<LegendItem> items;
    const auto* data = session_->data();
    if (!data) return items;
    const double s = scale_;
    const QFontMetricsF fm(scaledFont(1.0));
    const double rad = 5 * s;
    for (int k = 0; k < data->train.numClasses; ++k) {
        const QString name = k < int(data->train.classNames.size()) ? QString::fromStdString(data->train.classNames[size_t(k)])
                                                                    : QString::number(k);
        items.push_back({k, name});
    }
    items.push_back({-1, tr("training")});
    items.push_back({-2, tr("test")});
    double x = 0;
    int line = 0;
    for (auto& it : items) {
        const double w = 2 * rad + 5 * s + fm.horizontalAdvance(it.text);
        if (x > 0 && x + w > width) {
            x = 0;
            ++line;
        }
        it.x = x;
        it.line = line;
        x += w + (it.kind == data->train.numClasses - 1 ? 24 * s : 14 * s);
    }
    return items;
}

QPair<QString, QString> BoundaryView::footerTexts() const
{
    if (selected_ < 0 || selected_ >= int(neurons_.size()))
        return {tr("Click a neuron thumbnail to see its formula with the current weights."),
                tr("Each thumbnail is one hidden neuron's output over the plane: blue positive, orange negative.")};
    const Neuron& n = neurons_[size_t(selected_)];
    const QString inputs = n.inputPrefix == "x" ? tr("x1 and x2") : tr("the outputs of %1").arg(n.inputPrefix.chopped(1));
    const QString act = n.activation == "none" ? tr("with no activation") : tr("through %1").arg(n.activation);
    return {neuronFormula(selected_), tr("Neuron %1 of layer %2: a weighted sum of %3 plus a bias, %4.").arg(n.unit).arg(n.layer, inputs, act)};
}

void BoundaryView::resizeEvent(QResizeEvent* e)
{
    QWidget::resizeEvent(e);
    layout_.valid = false;
}

void BoundaryView::changeEvent(QEvent* e)
{
    QWidget::changeEvent(e);
    if (e->type() == QEvent::PaletteChange) {
        colorize();
        update();
    } else if (e->type() == QEvent::FontChange) {
        layout_.valid = false;
        update();
    }
}

QPointF BoundaryView::toPixel(double x, double y) const
{
    const QRectF& r = layout_.plot;
    return QPointF(r.left() + (x - x0_) / (x1_ - x0_) * r.width(), r.top() + (y1_ - y) / (y1_ - y0_) * r.height());
}

QPointF BoundaryView::toData(const QPointF& p) const
{
    const QRectF& r = layout_.plot;
    return QPointF(x0_ + (p.x() - r.left()) / r.width() * (x1_ - x0_), y1_ - (p.y() - r.top()) / r.height() * (y1_ - y0_));
}

int BoundaryView::thumbAt(const QPointF& p) const
{
    for (size_t i = 0; i < layout_.thumbRects.size(); ++i)
        if (layout_.thumbRects[i].adjusted(-2, -2, 2, 2).contains(p)) return int(i);
    return -1;
}

// ---- painting ------------------------------------------------------------------------------

void BoundaryView::paintMessage(QPainter& p, const QRectF& r, const QString& text)
{
    p.setFont(scaledFont(1.1));
    QColor c = palette().color(QPalette::WindowText);
    c.setAlphaF(0.75f);
    p.setPen(c);
    const QRectF box = r.adjusted(r.width() * 0.1, 0, -r.width() * 0.1, 0);
    p.drawText(box, Qt::AlignCenter | Qt::TextWordWrap, text);
}

void BoundaryView::paintEvent(QPaintEvent*)
{
    if (dirty_ && image_.isNull()) recompute();
    if (!layout_.valid) doLayout();
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    p.fillRect(rect(), palette().window());
    const double s = scale_;

    // Title, with the epoch and data set on the right.
    p.setFont(scaledFont(1.3, true));
    p.setPen(palette().color(QPalette::WindowText));
    p.drawText(layout_.title, Qt::AlignLeft | Qt::AlignVCenter,
               QFontMetricsF(p.font()).elidedText(tr("Decision boundary"), Qt::ElideRight, layout_.title.width()));
    const auto* data = session_->data();
    if (data) {
        p.setFont(scaledFont(1.0));
        QColor muted = palette().color(QPalette::WindowText);
        muted.setAlphaF(0.7f);
        p.setPen(muted);
        QString info = session_->dataName();
        if (session_->viewModel()) info = tr("epoch %1 · %2").arg(epoch_).arg(info);
        p.drawText(layout_.info, (layout_.infoBelow ? Qt::AlignLeft : Qt::AlignRight) | Qt::AlignVCenter,
                   QFontMetricsF(p.font()).elidedText(info, Qt::ElideRight, layout_.info.width()));
    }

    const QRectF body = QRectF(rect()).adjusted(10 * s, layout_.legend.top(), -10 * s, -10 * s);
    if (!data) {
        paintMessage(p, body,
                     session_->busyLoading() ? tr("Loading data…")
                                             : tr("Load a 2-D data set (spiral, circles, xor, gaussians) and a model to see "
                                                  "how the network divides the plane."));
        return;
    }
    if (data->train.featureCount() != 2) {
        const QString name = session_->dataName().isEmpty() ? QString::fromStdString(data->train.name) : session_->dataName();
        paintMessage(p, body,
                     tr("Decision boundary needs 2-D data; %1 has %2 features — see the confusion matrix.")
                         .arg(name)
                         .arg(data->train.featureCount()));
        return;
    }
    paintLegend(p);
    paintPlot(p);
    paintThumbs(p);
    paintFooter(p);
}

void BoundaryView::paintLegend(QPainter& p)
{
    const auto* data = session_->data();
    if (!data) return;
    const double s = scale_;
    const QRectF r = layout_.legend;
    p.setFont(scaledFont(1.0));
    const QFontMetricsF fm(p.font());
    const double rad = 5 * s;
    const double lineH = fm.height() + 2 * s;
    const QColor text = palette().color(QPalette::WindowText);
    QColor muted = text;
    muted.setAlphaF(0.8f);
    for (const LegendItem& it : legendFlow(r.width())) {
        const double x = r.left() + it.x;
        const double cy = r.top() + (it.line + 0.5) * lineH;
        if (it.kind >= 0) {  // a class
            p.setPen(QPen(Qt::white, 1.2 * s));
            p.setBrush(classColor(it.kind));
            p.drawEllipse(QPointF(x + rad, cy), rad, rad);
        } else if (it.kind == -1) {  // filled = training point
            p.setPen(QPen(muted, 1.2 * s));
            p.setBrush(muted);
            p.drawEllipse(QPointF(x + rad, cy), rad * 0.9, rad * 0.9);
        } else {  // ring = test point
            p.setBrush(Qt::NoBrush);
            p.setPen(QPen(muted, 2 * s));
            p.drawEllipse(QPointF(x + rad, cy), rad * 0.85, rad * 0.85);
        }
        p.setPen(text);
        p.drawText(QPointF(x + 2 * rad + 5 * s, cy + fm.ascent() / 2 - fm.descent() / 2), it.text);
    }
}

void BoundaryView::paintPlot(QPainter& p)
{
    const auto* data = session_->data();
    const double s = scale_;
    const QRectF plot = layout_.plot;
    const QColor text = palette().color(QPalette::WindowText);

    p.save();
    p.setClipRect(plot);
    if (!image_.isNull()) {
        p.setRenderHint(QPainter::SmoothPixmapTransform);
        p.drawImage(plot, image_);
    } else {
        p.fillRect(plot, palette().base());
    }
    // The boundary itself.
    if (!contour_.isEmpty()) {
        QColor line = text;
        line.setAlphaF(0.55f);
        p.setPen(QPen(line, 1.6 * s, Qt::SolidLine, Qt::RoundCap));
        const double sx = plot.width() / grid_, sy = plot.height() / grid_;
        QVector<QLineF> lines;
        lines.reserve(contour_.size());
        for (const QLineF& l : contour_)
            lines << QLineF(plot.left() + l.x1() * sx, plot.top() + l.y1() * sy, plot.left() + l.x2() * sx, plot.top() + l.y2() * sy);
        p.drawLines(lines);
    }
    // Points: training filled with a white edge, test as rings.
    const double rad = 3.6 * s;
    auto drawSet = [&](const nn::data::Dataset& d, bool filled) {
        for (size_t i = 0; i < d.size(); ++i) {
            const float* v = d.sample(i);
            const QPointF c = toPixel(v[0], v[1]);
            const QColor col = classColor(d.labels[i]);
            if (filled) {
                p.setPen(QPen(Qt::white, 1.1 * s));
                p.setBrush(col);
                p.drawEllipse(c, rad, rad);
            } else {
                p.setBrush(Qt::NoBrush);
                p.setPen(QPen(Qt::white, 3.6 * s));
                p.drawEllipse(c, rad + 0.6 * s, rad + 0.6 * s);
                p.setPen(QPen(col, 2.0 * s));
                p.drawEllipse(c, rad + 0.6 * s, rad + 0.6 * s);
            }
        }
    };
    drawSet(data->train, true);
    drawSet(data->test, false);
    p.restore();

    // Frame, ticks and axis names.
    QColor frame = text;
    frame.setAlphaF(0.45f);
    p.setPen(QPen(frame, 1.0 * s));
    p.setBrush(Qt::NoBrush);
    p.drawRect(plot);
    p.setFont(scaledFont(0.9));
    const QFontMetricsF fm(p.font());
    const double step = niceStep(x1_ - x0_, std::max(3, int(plot.width() / (70 * s))));
    const int decimals = std::max(0, int(-std::floor(std::log10(step) + 1e-9)));
    const double tick = 5 * s;
    QColor label = text;
    label.setAlphaF(0.85f);
    for (double v = std::ceil(x0_ / step) * step; v <= x1_ + 1e-9; v += step) {
        const double px = toPixel(v, 0).x();
        p.setPen(QPen(frame, 1.0 * s));
        p.drawLine(QPointF(px, plot.bottom()), QPointF(px, plot.bottom() + tick));
        p.setPen(label);
        const QString t = signedNumber(v, decimals);
        p.drawText(QRectF(px - 40 * s, plot.bottom() + tick + 1 * s, 80 * s, fm.height()), Qt::AlignHCenter | Qt::AlignTop, t);
    }
    for (double v = std::ceil(y0_ / step) * step; v <= y1_ + 1e-9; v += step) {
        const double py = toPixel(0, v).y();
        p.setPen(QPen(frame, 1.0 * s));
        p.drawLine(QPointF(plot.left() - tick, py), QPointF(plot.left(), py));
        p.setPen(label);
        const QString t = signedNumber(v, decimals);
        p.drawText(QRectF(plot.left() - tick - 3 * s - 80 * s, py - fm.height() / 2, 80 * s, fm.height()),
                   Qt::AlignRight | Qt::AlignVCenter, t);
    }
    p.setFont(scaledFont(1.0, true));
    const QFontMetricsF afm(p.font());
    p.setPen(text);
    p.drawText(QRectF(plot.left(), plot.bottom() + tick + fm.height() + 2 * s, plot.width(), afm.height()),
               Qt::AlignHCenter | Qt::AlignTop, QStringLiteral("x1"));
    p.save();
    p.translate(layout_.plot.left() - tick - 6 * s - fm.horizontalAdvance(QStringLiteral("−0.0")) - afm.height() / 2 - 2 * s,
                plot.center().y());
    p.rotate(-90);
    p.drawText(QRectF(-plot.height() / 2, -afm.height() / 2, plot.height(), afm.height()), Qt::AlignCenter, QStringLiteral("x2"));
    p.restore();

    if (!session_->viewModel()) {
        paintMessage(p, plot, tr("No model yet: choose one to see its prediction over the plane."));
    }
}

void BoundaryView::paintThumbs(QPainter& p)
{
    if (layout_.thumbRects.empty()) return;
    const double s = scale_;
    const QColor text = palette().color(QPalette::WindowText);
    p.setFont(scaledFont(0.95, true));
    QColor muted = text;
    muted.setAlphaF(0.85f);
    for (size_t g = 0; g < groups_.size() && g < layout_.groupHeaders.size(); ++g) {
        p.setPen(muted);
        // "h1 · tanh · 16 neurons", or "h1 · tanh" when the column is narrow.
        const QFontMetricsF hfm(p.font());
        const QRectF hr = layout_.groupHeaders[g];
        QString title = groups_[g].title;
        if (hfm.horizontalAdvance(title) > hr.width() && title.count(kDot) >= 2) title = title.left(title.lastIndexOf(kDot)).trimmed();
        p.drawText(hr, Qt::AlignLeft | Qt::AlignVCenter, hfm.elidedText(title, Qt::ElideRight, hr.width()));
    }
    QColor frame = text;
    frame.setAlphaF(0.35f);
    const QColor accent = palette().color(QPalette::Highlight);
    p.setFont(scaledFont(0.7));
    const QFontMetricsF fm(p.font());
    for (size_t i = 0; i < neurons_.size() && i < layout_.thumbRects.size(); ++i) {
        const QRectF r = layout_.thumbRects[i];
        if (!neurons_[i].thumb.isNull()) {
            p.setRenderHint(QPainter::SmoothPixmapTransform);
            p.drawImage(r, neurons_[i].thumb);
        } else {
            p.fillRect(r, palette().base());
        }
        // Unit number in the corner, on a translucent chip so it reads on any colour.
        if (r.width() >= 26 * s) {
            const QString num = QString::number(neurons_[i].unit);
            const QRectF chip(r.left() + 1, r.top() + 1, fm.horizontalAdvance(num) + 4 * s, fm.height());
            QColor bg = palette().color(QPalette::Base);
            bg.setAlphaF(0.7f);
            p.fillRect(chip, bg);
            p.setPen(text);
            p.drawText(chip, Qt::AlignCenter, num);
        }
        p.setBrush(Qt::NoBrush);
        if (int(i) == selected_) {
            p.setPen(QPen(accent, 3 * s));
            p.drawRect(r.adjusted(-1.5 * s, -1.5 * s, 1.5 * s, 1.5 * s));
        } else if (int(i) == hovered_) {
            p.setPen(QPen(text, 1.5 * s));
            p.drawRect(r);
        } else {
            p.setPen(QPen(frame, 1.0));
            p.drawRect(r);
        }
    }
}

void BoundaryView::paintFooter(QPainter& p)
{
    if (layout_.footer.height() <= 0) return;
    const double s = scale_;
    const QRectF r = layout_.footer;
    const QColor text = palette().color(QPalette::WindowText);
    QColor muted = text;
    muted.setAlphaF(0.75f);
    const auto& [first, second] = layout_.footerText;
    QRectF used;
    if (selected_ < 0) {
        p.setFont(scaledFont(1.0));
        p.setPen(muted);
        p.drawText(r, Qt::AlignLeft | Qt::AlignTop | Qt::TextWordWrap, first, &used);
    } else {
        p.setFont(scaledFont(1.15, true));
        p.setPen(text);
        const QFontMetricsF big(p.font());
        used = QRectF(r.left(), r.top(), r.width(), big.height());
        p.drawText(used, Qt::AlignLeft | Qt::AlignVCenter, big.elidedText(first, Qt::ElideRight, r.width()));
    }
    if (second.isEmpty()) return;
    p.setFont(scaledFont(1.0));
    p.setPen(muted);
    p.drawText(QRectF(r.left(), used.bottom() + 4 * s, r.width(), r.bottom() - used.bottom() - 4 * s),
               Qt::AlignLeft | Qt::AlignTop | Qt::TextWordWrap, second);
}

// ---- interaction -------------------------------------------------------------------------------

void BoundaryView::mousePressEvent(QMouseEvent* e)
{
    if (e->button() == Qt::LeftButton) {
        const int t = thumbAt(e->position());
        if (t >= 0) {
            selectNeuron(t);
            return;
        }
    }
    QWidget::mousePressEvent(e);
}

void BoundaryView::mouseMoveEvent(QMouseEvent* e)
{
    const int t = thumbAt(e->position());
    if (t != hovered_) {
        hovered_ = t;
        setCursor(t >= 0 ? Qt::PointingHandCursor : Qt::ArrowCursor);
        update();
    }
    QWidget::mouseMoveEvent(e);
}

void BoundaryView::leaveEvent(QEvent* e)
{
    if (hovered_ >= 0) {
        hovered_ = -1;
        unsetCursor();
        update();
    }
    QWidget::leaveEvent(e);
}

QString BoundaryView::plotTooltip(const QPointF& pos) const
{
    QString tip = tr("<b>Decision boundary</b><br>Colour = the network's prediction at each point of the plane; "
                     "paler where it is unsure. The line is where the predicted class changes.<br>"
                     "Filled dots: training points. Rings: test points (never trained on).");
    if (probs_.empty()) return tip;
    const QPointF d = toData(pos);
    const int i = std::clamp(int((d.x() - x0_) / (x1_ - x0_) * grid_), 0, grid_ - 1);
    const int j = std::clamp(int((y1_ - d.y()) / (y1_ - y0_) * grid_), 0, grid_ - 1);
    const float* pr = probs_.data() + (size_t(j) * size_t(grid_) + size_t(i)) * size_t(classes_);
    const auto* data = session_->data();
    tip += tr("<br><br>At x1 = %1, x2 = %2:").arg(signedNumber(d.x(), 2), signedNumber(d.y(), 2));
    for (int k = 0; k < classes_; ++k) {
        const QString name = data && k < int(data->train.classNames.size()) ? QString::fromStdString(data->train.classNames[size_t(k)])
                                                                            : QString::number(k);
        tip += QStringLiteral("<br>&nbsp;&nbsp;P(%1) = %2").arg(name.toHtmlEscaped(), QString::number(pr[k], 'f', 3));
    }
    return tip;
}

bool BoundaryView::event(QEvent* e)
{
    if (e->type() == QEvent::ToolTip) {
        auto* help = static_cast<QHelpEvent*>(e);
        const QPointF pos = help->pos();
        QString tip;
        const int t = thumbAt(pos);
        if (t >= 0) {
            const Neuron& n = neurons_[size_t(t)];
            tip = tr("<b>%1</b>: the output of neuron %2 of layer %3 (%4) over the same plane as the big map.<br>"
                     "Blue = positive, orange = negative, pale = near zero.<br>Click to see its formula.")
                      .arg(neuronName(t))
                      .arg(n.unit)
                      .arg(n.layer, n.activation == "none" ? tr("linear") : n.activation);
        } else if (layout_.plot.contains(pos) && hasTwoDData()) {
            tip = plotTooltip(pos);
        } else if (layout_.footer.contains(pos) && selected_ >= 0) {
            tip = tr("The selected neuron's formula with the current weights. Numbers change as the network trains.");
        } else {
            tip = toolTip();
        }
        if (tip.isEmpty()) {
            QToolTip::hideText();
            e->ignore();
        } else {
            QToolTip::showText(help->globalPos(), tip, this);
        }
        return true;
    }
    return QWidget::event(e);
}

} // namespace views
