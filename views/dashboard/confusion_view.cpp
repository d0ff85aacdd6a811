#include "views/dashboard/confusion_view.h"

#include <QElapsedTimer>
#include <QFontMetricsF>
#include <QHelpEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QToolTip>
#include <QtConcurrent/QtConcurrentRun>
#include <algorithm>
#include <cmath>
#include <limits>

#include "engine/data/dataset.h"
#include "engine/nn/model.h"
#include "views/training/training_session.h"

namespace views {

// The samples one evaluation runs on: a copy, so a job never touches a split the
// session may replace meanwhile.
struct ConfusionView::EvalSet {
    std::vector<float> features;
    std::vector<int32_t> labels;
    std::vector<int64_t> sampleShape;
    size_t featureCount = 0;
    int numClasses = 0;
};

struct ConfusionView::Job {
    std::shared_ptr<const EvalSet> set;
    nn::ModelSpec spec;
    std::vector<nn::Tensor> params;   // deep copies of the weights
    std::vector<nn::Tensor> buffers;  // and of batch norm's running statistics (inference uses them)
    int epoch = 0;
    qint64 step = 0;
    quint64 generation = 0;
};

namespace {

const QColor kRight(8, 119, 189);   // blue: the diagonal
const QColor kWrong(245, 147, 34);  // orange: mistakes

QColor mix(const QColor& a, const QColor& b, double t)
{
    t = std::clamp(t, 0.0, 1.0);
    return QColor::fromRgbF(float(a.redF() + (b.redF() - a.redF()) * t), float(a.greenF() + (b.greenF() - a.greenF()) * t),
                            float(a.blueF() + (b.blueF() - a.blueF()) * t));
}

double luminance(const QColor& c) { return 0.2126 * c.redF() + 0.7152 * c.greenF() + 0.0722 * c.blueF(); }

QString percent(double v, int decimals = 1) { return QString::number(100.0 * v, 'f', decimals) + "%"; }

// Runs on a thread-pool thread (or the caller's, for computeNow()).
ConfusionView::Result evaluate(const ConfusionView::Job& job)
{
    ConfusionView::Result r;
    r.epoch = job.epoch;
    r.step = job.step;
    r.generation = job.generation;
    QElapsedTimer timer;
    timer.start();
    const auto& set = *job.set;
    const int k = set.numClasses;
    r.matrix = QVector<QVector<int>>(k, QVector<int>(k, 0));
    const int n = int(set.labels.size());
    if (n == 0 || k <= 0) return r;
    try {
        nn::Model model(job.spec, set.sampleShape, set.numClasses);
        auto& ps = model.parameters();
        if (ps.size() != job.params.size()) throw std::runtime_error("the weights do not match the model");
        for (size_t i = 0; i < ps.size(); ++i) ps[i].value.copyFrom(job.params[i]);
        auto& bs = model.buffers();
        for (size_t i = 0; i < bs.size() && i < job.buffers.size(); ++i) bs[i].value.copyFrom(job.buffers[i]);
        const int batch = std::min(n, 500);
        nn::BuiltGraph built = model.build(batch, false);
        built.graph.setTraining(false);
        nn::Tensor& input = built.graph.node(built.input).value;
        const size_t fc = set.featureCount;
        for (int start = 0; start < n; start += batch) {
            const int m = std::min(batch, n - start);
            float* in = input.data();
            std::copy(set.features.begin() + std::ptrdiff_t(size_t(start) * fc),
                      set.features.begin() + std::ptrdiff_t(size_t(start + m) * fc), in);
            if (m < batch) std::fill(in + size_t(m) * fc, in + size_t(batch) * fc, 0.0f);
            built.graph.forward();
            const nn::Node& out = built.graph.node(built.output);
            const int outputs = int(out.value.shape().back());
            const float threshold = out.op == nn::OpKind::Sigmoid ? 0.5f : 0.0f;
            const float* o = out.value.data();
            for (int i = 0; i < m; ++i) {
                const float* row = o + size_t(i) * size_t(outputs);
                const int pred = outputs == 1 ? (row[0] > threshold ? 1 : 0) : int(std::max_element(row, row + outputs) - row);
                const int truth = set.labels[size_t(start + i)];
                if (truth >= 0 && truth < k && pred >= 0 && pred < k) ++r.matrix[truth][pred];
            }
        }
    } catch (const std::exception& e) {
        r.error = QString::fromUtf8(e.what());
        r.matrix.clear();
    }
    r.ms = double(timer.nsecsElapsed()) / 1e6;
    return r;
}

} // namespace

ConfusionView::ConfusionView(TrainingSession* session, QWidget* parent) : QWidget(parent), session_(session)
{
    setAttribute(Qt::WA_OpaquePaintEvent);
    setMouseTracking(true);
    setToolTip(tr("Confusion matrix: rows are the true class, columns the class the network predicted.\n"
                  "The diagonal (blue) counts right answers; orange cells show which classes it mixes up."));
    connect(&watcher_, &QFutureWatcher<Result>::finished, this, [this] {
        running_ = false;
        apply(watcher_.result());
        if (pending_) {
            pending_ = false;
            startJob();
        }
    });
    connect(session_, &TrainingSession::dataChanged, this, &ConfusionView::onDataChanged);
    connect(session_, &TrainingSession::modelChanged, this, &ConfusionView::onModelChanged);
    // New weights arrive with each epoch (and single step, and the run's end).
    connect(session_, &TrainingSession::snapshotChanged, this, &ConfusionView::requestCompute);
    installExportMenu(this, this);
    if (session_->data()) onDataChanged();
}

ConfusionView::~ConfusionView() = default;

double ConfusionView::accuracy() const
{
    qint64 right = 0, total = 0;
    for (int i = 0; i < matrix_.size(); ++i)
        for (int j = 0; j < matrix_[i].size(); ++j) {
            total += matrix_[i][j];
            if (i == j) right += matrix_[i][j];
        }
    return total ? double(right) / double(total) : std::numeric_limits<double>::quiet_NaN();
}

QVector<double> ConfusionView::classAccuracy() const
{
    QVector<double> acc;
    for (int i = 0; i < matrix_.size(); ++i) {
        qint64 total = 0;
        for (int v : matrix_[i]) total += v;
        acc << (total ? double(matrix_[i][i]) / double(total) : std::numeric_limits<double>::quiet_NaN());
    }
    return acc;
}

void ConfusionView::setUiScale(double scale)
{
    scale = std::clamp(scale, 0.5, 4.0);
    if (scale == scale_) return;
    scale_ = scale;
    layout_.valid = false;
    updateGeometry();
    update();
}

ConfusionView::ColumnLabels ConfusionView::columnLabels()
{
    ensureLayout();
    return layout_.columnLabels;
}

QSizeF ConfusionView::cellSize()
{
    ensureLayout();
    return {layout_.cellW, layout_.cellH};
}

QString ConfusionView::exportTitle() const { return tr("Confusion matrix"); }

QStringList ConfusionView::csvHeader() const
{
    QStringList h {QStringLiteral("true\\pred")};
    for (QString name : classNames_) h << name.replace(',', ';');
    return h;
}

QVector<QVector<double>> ConfusionView::csvRows() const
{
    QVector<QVector<double>> rows;
    for (int i = 0; i < matrix_.size(); ++i) {
        QVector<double> r {double(i)};
        for (int v : matrix_[i]) r << double(v);
        rows << r;
    }
    return rows;
}

QSize ConfusionView::sizeHint() const { return QSize(int(560 * scale_), int(480 * scale_)); }
QSize ConfusionView::minimumSizeHint() const { return QSize(int(200 * scale_), int(120 * scale_)); }

// ---- evaluation ---------------------------------------------------------------------------

void ConfusionView::onDataChanged()
{
    ++generation_;
    matrix_.clear();
    error_.clear();
    set_.reset();
    classNames_.clear();
    setName_.clear();
    samples_ = setSize_ = 0;
    layout_.valid = false;
    const auto* split = session_->data();
    if (split) {
        const nn::data::Dataset* d = &split->validation;
        setName_ = tr("validation");
        if (d->size() == 0) {
            d = &split->test;
            setName_ = tr("test");
        }
        if (d->size() == 0) {
            d = &split->train;
            setName_ = tr("training");
        }
        auto set = std::make_shared<EvalSet>();
        set->sampleShape = d->sampleShape;
        set->featureCount = d->featureCount();
        set->numClasses = std::max(d->numClasses, split->train.numClasses);
        setSize_ = int(d->size());
        samples_ = std::min(setSize_, kMaxSamples);
        set->features.assign(d->features.begin(), d->features.begin() + std::ptrdiff_t(size_t(samples_) * set->featureCount));
        set->labels.assign(d->labels.begin(), d->labels.begin() + samples_);
        for (int k = 0; k < set->numClasses; ++k)
            classNames_ << (k < int(split->train.classNames.size()) ? QString::fromStdString(split->train.classNames[size_t(k)])
                                                                    : QString::number(k));
        set_ = std::move(set);
    }
    update();
    requestCompute();
}

void ConfusionView::onModelChanged()
{
    ++generation_;
    matrix_.clear();
    error_.clear();
    update();
    requestCompute();
}

std::shared_ptr<ConfusionView::Job> ConfusionView::makeJob() const
{
    const nn::Model* model = session_->viewModel();
    if (!set_ || !model) return nullptr;
    if (nn::Shape(model->inputShape()).numel() != int64_t(set_->featureCount)) return nullptr;  // data and model out of step
    auto job = std::make_shared<Job>();
    job->set = set_;
    job->spec = model->spec();
    for (const auto& p : model->parameters()) job->params.push_back(p.value.clone());
    for (const auto& b : model->buffers()) job->buffers.push_back(b.value.clone());
    job->epoch = session_->snapshot().epoch;
    job->step = session_->snapshot().step;
    job->generation = generation_;
    return job;
}

void ConfusionView::requestCompute()
{
    if (!set_ || !session_->viewModel()) return;
    if (running_) {
        pending_ = true;  // coalesced: the next job takes the newest weights
        return;
    }
    startJob();
}

void ConfusionView::startJob()
{
    auto job = makeJob();
    if (!job) return;
    running_ = true;
    watcher_.setFuture(QtConcurrent::run([job] { return evaluate(*job); }));
    if (matrix_.isEmpty()) update();  // "Computing…"
}

void ConfusionView::computeNow()
{
    auto job = makeJob();
    if (job) apply(evaluate(*job));
}

void ConfusionView::apply(const Result& r)
{
    if (r.generation != generation_) return;  // data or model changed meanwhile
    error_ = r.error;
    // On an error the old matrix goes too: kept, it would be labelled as the
    // weights of an epoch the other panels have long left.
    matrix_ = r.error.isEmpty() ? r.matrix : QVector<QVector<int>>();
    epoch_ = r.epoch;
    step_ = r.step;
    lastMs_ = r.ms;
    update();
    emit matrixChanged();
}

// ---- layout and painting ----------------------------------------------------------------------

QFont ConfusionView::scaledFont(double factor, bool bold) const
{
    QFont f = font();
    const double base = f.pointSizeF() > 0 ? f.pointSizeF() : 10.0;
    f.setPointSizeF(base * factor * scale_);
    f.setBold(bold);
    return f;
}

void ConfusionView::resizeEvent(QResizeEvent* e)
{
    QWidget::resizeEvent(e);
    layout_.valid = false;
}

void ConfusionView::doLayout()
{
    layout_ = Layout();
    layout_.valid = true;
    const double s = scale_;
    const double m = 10 * s;
    const QRectF r = QRectF(rect()).adjusted(m, m, -m, -m);
    const QFontMetricsF titleFm(scaledFont(1.3, true)), subFm(scaledFont(0.95));
    const int k = int(classNames_.size());
    // A short, wide panel (a bottom dock, projector mode) puts the title in a column
    // left of the matrix, so the matrix gets the whole height.
    layout_.side = k > 0 && r.width() > 2.2 * r.height() && r.width() > 500 * s;
    if (layout_.side) {
        const double w = std::min(r.width() * 0.32, std::max(titleFm.horizontalAdvance(tr("Confusion matrix")), 260 * s));
        layout_.title = QRectF(r.left(), r.top(), w, r.height());
    } else {
        layout_.title = QRectF(r.left(), r.top(), r.width(), titleFm.height() + subFm.height() + 2 * s);
    }
    if (k == 0) return;
    const QRectF area = layout_.side ? QRectF(layout_.title.right() + 16 * s, r.top(), r.right() - layout_.title.right() - 16 * s, r.height())
                                     : QRectF(r.left(), layout_.title.bottom() + 10 * s, r.width(), r.bottom() - layout_.title.bottom() - 10 * s);
    // Labels shrink (down to 0.7 of their size) before the cells get too small to read.
    for (double labelScale : {0.95, 0.85, 0.7}) {
        const QFontMetricsF labelFm(scaledFont(labelScale)), axisFm(scaledFont(labelScale + 0.05, true));
        layout_.labelScale = labelScale;
        double maxName = 0;
        for (const auto& n : classNames_) maxName = std::max(maxName, labelFm.horizontalAdvance(n));
        const double keyW = labelFm.horizontalAdvance(QString::number(k - 1));
        const double axisW = axisFm.height() + 6 * s;
        const double accW = labelFm.horizontalAdvance(QStringLiteral("100.0%")) + 10 * s + 36 * s;
        const double headerH = labelFm.height() + 6 * s;  // "accuracy" above its column
        const double top = area.top();
        const double bottomAxis = axisFm.height() + 6 * s;
        // Three ways to label the columns (predicted class): the names level when
        // they fit in a column; the names at 45° when the columns are far enough
        // apart for slanted lines of text not to touch (a pitch of √2 lines) and
        // their height does not cost the cells much; else the class numbers, with
        // each row saying which number its name has ("Sandal  5"). The cells stay
        // as large as the panel allows and no label ever overlaps another.
        struct Plan {
            ColumnLabels mode;
            double rowW, colH, cellW, cellH, cell;
            bool fits;
        };
        auto plan = [&](ColumnLabels mode) {
            Plan pl {mode, maxName + 10 * s + (mode == ColumnLabels::Keys ? keyW + 10 * s : 0), 0, 0, 0, 0, false};
            const double colW = (area.width() - axisW - pl.rowW - 12 * s - accW) / k;  // the most a column may take
            pl.colH = mode == ColumnLabels::Rotated ? maxName * std::sqrt(0.5) + labelFm.height() + 8 * s : labelFm.height() + 6 * s;
            pl.cellH = std::min((area.bottom() - top - headerH - pl.colH - bottomAxis) / k, 150 * s);
            // A cell may be wider than tall (up to 2.5x) to keep a level name.
            pl.cellW = std::min(colW, mode == ColumnLabels::Names ? std::clamp(maxName + 10 * s, pl.cellH, 2.5 * pl.cellH) : pl.cellH);
            pl.cell = std::min(pl.cellW, pl.cellH);
            if (mode == ColumnLabels::Names) pl.fits = maxName + 6 * s <= colW;
            if (mode == ColumnLabels::Rotated) pl.fits = pl.cellW >= labelFm.height() * std::sqrt(2.0) + 2 * s;
            if (mode == ColumnLabels::Keys) pl.fits = true;  // a number or two always fits a readable cell
            return pl;
        };
        Plan chosen = plan(ColumnLabels::Names);
        if (!chosen.fits) {
            const Plan rotated = plan(ColumnLabels::Rotated), keys = plan(ColumnLabels::Keys);
            chosen = rotated.fits && rotated.cell >= 0.8 * keys.cell ? rotated : keys;
        }
        layout_.columnLabels = chosen.mode;
        layout_.keyW = chosen.mode == ColumnLabels::Keys ? keyW + 10 * s : 0;
        layout_.rowLabelW = chosen.rowW;
        layout_.cell = chosen.cell;
        layout_.cellW = chosen.cellW;
        layout_.cellH = chosen.cellH;
        layout_.colLabelH = chosen.colH;
        const double blockW = axisW + layout_.rowLabelW + k * std::max(chosen.cellW, 0.0) + 12 * s + accW;
        const double left = area.left() + std::max(0.0, (area.width() - blockW) / 2);
        layout_.grid = QRectF(left + axisW + layout_.rowLabelW, top + headerH, k * chosen.cellW, k * chosen.cellH);
        layout_.accuracy = QRectF(layout_.grid.right() + 12 * s, layout_.grid.top(), accW, k * chosen.cellH);
        if (chosen.cell >= std::max(12.0, labelFm.height() * 1.2)) return;  // room for a count in the cell
    }
    // Even with small labels the cells would be unreadable: say so instead.
    layout_.tooSmall = layout_.cell < 6;
}

bool ConfusionView::cellAt(const QPointF& p, int* row, int* col) const
{
    const int k = int(matrix_.size());
    if (!layout_.valid || k == 0 || layout_.cell <= 0) return false;
    const QRectF area = layout_.grid.united(layout_.accuracy);
    if (!area.contains(p)) return false;
    *row = std::clamp(int((p.y() - layout_.grid.top()) / layout_.cellH), 0, k - 1);
    *col = layout_.grid.contains(p) ? std::clamp(int((p.x() - layout_.grid.left()) / layout_.cellW), 0, k - 1) : k;
    return p.x() <= layout_.grid.right() || layout_.accuracy.contains(p);
}

void ConfusionView::paintEvent(QPaintEvent*)
{
    if (!layout_.valid) doLayout();
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    p.fillRect(rect(), palette().window());
    const double s = scale_;
    const QColor text = palette().color(QPalette::WindowText);
    QColor muted = text;
    muted.setAlphaF(0.72f);
    const QColor base = palette().color(QPalette::Base);

    // Title: overall accuracy; subtitle: which samples, which weights.
    const double acc = accuracy();
    const QFontMetricsF titleFm(scaledFont(1.3, true));
    const QFontMetricsF subFm(scaledFont(0.95));
    const QRectF tr0 = layout_.title;
    QString title = tr("Confusion matrix");
    const QString accText = std::isnan(acc) ? QString() : tr("accuracy %1").arg(percent(acc));
    QStringList subParts;
    if (set_ && !matrix_.isEmpty()) {
        subParts << (samples_ < setSize_ ? tr("%1 set, first %2 of %3 samples").arg(setName_).arg(samples_).arg(setSize_)
                                         : tr("%1 set, %2 samples").arg(setName_).arg(samples_));
        subParts << tr("weights: %1").arg(weightsLabel(epoch_, step_));  // as every panel names them
        if (running_) subParts << tr("updating…");
    }
    p.setFont(scaledFont(1.3, true));
    p.setPen(text);
    if (layout_.side) {
        // Stacked in the left column: title, accuracy, then the details, wrapped.
        QRectF used;
        p.drawText(tr0, Qt::AlignLeft | Qt::AlignTop | Qt::TextWordWrap, title, &used);
        double y = used.bottom() + 2 * s;
        if (!accText.isEmpty()) {
            p.drawText(QRectF(tr0.left(), y, tr0.width(), tr0.bottom() - y), Qt::AlignLeft | Qt::AlignTop | Qt::TextWordWrap, accText, &used);
            y = used.bottom() + 6 * s;
        }
        p.setFont(scaledFont(0.95));
        p.setPen(muted);
        p.drawText(QRectF(tr0.left(), y, tr0.width(), tr0.bottom() - y), Qt::AlignLeft | Qt::AlignTop | Qt::TextWordWrap,
                   subParts.join(QStringLiteral(" · ")));
    } else {
        // One line when it fits, else the accuracy moves to the front of the details.
        const QString full = accText.isEmpty() ? title : title + tr("  ·  ") + accText;
        if (titleFm.horizontalAdvance(full) <= tr0.width()) title = full;
        else if (!accText.isEmpty()) subParts.prepend(accText);
        const QRectF titleLine(tr0.left(), tr0.top(), tr0.width(), titleFm.height());
        p.drawText(titleLine, Qt::AlignLeft | Qt::AlignVCenter, titleFm.elidedText(title, Qt::ElideRight, tr0.width()));
        p.setFont(scaledFont(0.95));
        p.setPen(muted);
        const QRectF subLine(tr0.left(), titleLine.bottom() + 2 * s, tr0.width(), tr0.height() - titleLine.height());
        p.drawText(subLine, Qt::AlignLeft | Qt::AlignVCenter, subFm.elidedText(subParts.join(tr("  ·  ")), Qt::ElideRight, tr0.width()));
    }

    const QRectF body = layout_.side ? QRectF(tr0.right() + 16 * s, tr0.top(), width() - tr0.right() - 26 * s, tr0.height())
                                     : QRectF(rect()).adjusted(10 * s, tr0.bottom() + 10 * s, -10 * s, -10 * s);
    auto message = [&](const QString& msg) {
        p.setFont(scaledFont(1.1));
        p.setPen(muted);
        p.drawText(body.adjusted(body.width() * 0.1, 0, -body.width() * 0.1, 0), Qt::AlignCenter | Qt::TextWordWrap, msg);
    };
    if (!session_->data()) {
        message(session_->busyLoading() ? tr("Loading data…")
                                         : tr("Load a data set and a model to see which classes the network confuses."));
        return;
    }
    if (!session_->viewModel()) {
        message(tr("Choose a model: its predictions on the %1 set will be counted here, class by class.").arg(setName_));
        return;
    }
    if (!error_.isEmpty() && matrix_.isEmpty()) {
        message(tr("Could not evaluate the model: %1").arg(error_));
        return;
    }
    const int k = int(matrix_.size());
    if (k == 0 || k != classNames_.size()) {
        message(tr("Computing the confusion matrix…"));
        return;
    }
    if (layout_.tooSmall) {
        message(tr("Make this panel bigger to see the %1 × %1 matrix.").arg(k));
        return;
    }

    const QRectF grid = layout_.grid;
    const double cell = layout_.cell, cw = layout_.cellW, ch = layout_.cellH;
    QVector<qint64> rowSum(k, 0);
    for (int i = 0; i < k; ++i)
        for (int v : matrix_[i]) rowSum[i] += v;

    // Cells.
    QFont countFont = scaledFont(1.0);
    countFont.setPixelSize(std::max(6, int(std::min(cell * 0.5, QFontMetricsF(scaledFont(1.15)).height() * 0.8))));
    p.setFont(countFont);
    const QFontMetricsF countFm(countFont);
    const double gap = std::max(1.0, std::min(2.0 * s, cell * 0.04));
    for (int i = 0; i < k; ++i) {
        for (int j = 0; j < k; ++j) {
            const QRectF c(grid.left() + j * cw, grid.top() + i * ch, cw, ch);
            const QRectF inner = c.adjusted(gap / 2, gap / 2, -gap / 2, -gap / 2);
            const int count = matrix_[i][j];
            const double frac = rowSum[i] ? double(count) / double(rowSum[i]) : 0.0;
            const QColor fill = count == 0 ? base : mix(base, i == j ? kRight : kWrong, 0.12 + 0.88 * std::pow(frac, 0.6));
            p.fillRect(inner, fill);
            const QString t = QString::number(count);
            if (countFm.horizontalAdvance(t) < inner.width() - 2 && countFm.height() < inner.height()) {
                QColor tc = luminance(fill) > 0.5 ? QColor(25, 25, 25) : QColor(245, 245, 245);
                if (count == 0) tc.setAlphaF(0.35f);
                p.setPen(tc);
                p.drawText(inner, Qt::AlignCenter, t);
            }
        }
    }
    if (hoverRow_ >= 0 && hoverCol_ >= 0 && hoverRow_ < k && hoverCol_ < k) {
        p.setPen(QPen(text, 2 * s));
        p.setBrush(Qt::NoBrush);
        p.drawRect(QRectF(grid.left() + hoverCol_ * cw, grid.top() + hoverRow_ * ch, cw, ch).adjusted(1, 1, -1, -1));
    }

    // Row labels (true class) and column labels (predicted class).
    p.setFont(scaledFont(layout_.labelScale));
    const QFontMetricsF labelFm(p.font());
    for (int i = 0; i < k; ++i) {
        const QRectF row(grid.left() - layout_.rowLabelW, grid.top() + i * ch, layout_.rowLabelW - 8 * s, ch);
        p.setPen(i == hoverRow_ ? text : muted);
        p.drawText(row.adjusted(0, 0, -layout_.keyW, 0), Qt::AlignRight | Qt::AlignVCenter, classNames_[i]);
        if (layout_.columnLabels == ColumnLabels::Keys)  // the number its column is labelled with
            p.drawText(QRectF(row.right() - layout_.keyW, row.top(), layout_.keyW, ch), Qt::AlignRight | Qt::AlignVCenter,
                       QString::number(i));
    }
    for (int j = 0; j < k; ++j) {
        p.setPen(j == hoverCol_ ? text : muted);
        const double cx = grid.left() + (j + 0.5) * cw;
        if (layout_.columnLabels != ColumnLabels::Rotated) {
            const QString label = layout_.columnLabels == ColumnLabels::Keys ? QString::number(j) : classNames_[j];
            p.drawText(QRectF(cx - cw / 2, grid.bottom() + 4 * s, cw, labelFm.height()), Qt::AlignHCenter | Qt::AlignTop, label);
        } else {
            p.save();
            p.translate(cx + labelFm.height() * 0.25, grid.bottom() + 6 * s);
            p.rotate(-45);
            const double w = labelFm.horizontalAdvance(classNames_[j]);
            p.drawText(QRectF(-w, 0, w, labelFm.height()), Qt::AlignRight | Qt::AlignTop, classNames_[j]);
            p.restore();
        }
    }
    // Axis titles.
    p.setFont(scaledFont(layout_.labelScale + 0.05, true));
    const QFontMetricsF axisFm(p.font());
    p.setPen(text);
    const double predW = std::max(grid.width(), axisFm.horizontalAdvance(tr("predicted class")) + 4);
    p.drawText(QRectF(grid.center().x() - predW / 2, grid.bottom() + layout_.colLabelH, predW, axisFm.height()),
               Qt::AlignHCenter | Qt::AlignTop, tr("predicted class"));
    p.save();
    p.translate(grid.left() - layout_.rowLabelW - axisFm.height() / 2 - 4 * s, grid.center().y());
    p.rotate(-90);
    const double trueW = std::max(grid.height(), axisFm.horizontalAdvance(tr("true class")) + 4);
    p.drawText(QRectF(-trueW / 2, -axisFm.height() / 2, trueW, axisFm.height()), Qt::AlignCenter, tr("true class"));
    p.restore();

    // Per-class accuracy: a bar and the figure.
    const QRectF accR = layout_.accuracy;
    p.setFont(scaledFont(layout_.labelScale, true));
    p.setPen(muted);
    p.drawText(QRectF(accR.left(), accR.top() - labelFm.height() - 6 * s, accR.width() + 20 * s, labelFm.height()),
               Qt::AlignLeft | Qt::AlignBottom, tr("accuracy"));
    p.setFont(scaledFont(layout_.labelScale));
    const QVector<double> perClass = classAccuracy();
    const double barW = 36 * s;
    for (int i = 0; i < k; ++i) {
        const double cy = accR.top() + (i + 0.5) * ch;
        const double barH = std::min(ch * 0.5, labelFm.height() * 0.8);
        const QRectF bar(accR.left(), cy - barH / 2, barW, barH);
        p.fillRect(bar, base);
        const double a = perClass[i];
        if (!std::isnan(a)) p.fillRect(QRectF(bar.left(), bar.top(), barW * a, barH), mix(base, kRight, 0.85));
        p.setPen(i == hoverRow_ ? text : muted);
        p.drawText(QRectF(bar.right() + 6 * s, cy - ch / 2, accR.width() - barW - 6 * s, ch), Qt::AlignLeft | Qt::AlignVCenter,
                   std::isnan(a) ? QStringLiteral("–") : percent(a, a >= 0.9995 ? 0 : 1));
    }
}

void ConfusionView::mouseMoveEvent(QMouseEvent* e)
{
    int r = -1, c = -1;
    if (!cellAt(e->position(), &r, &c)) r = c = -1;
    if (r != hoverRow_ || c != hoverCol_) {
        hoverRow_ = r;
        hoverCol_ = c;
        update();
    }
    QWidget::mouseMoveEvent(e);
}

void ConfusionView::leaveEvent(QEvent* e)
{
    if (hoverRow_ >= 0 || hoverCol_ >= 0) {
        hoverRow_ = hoverCol_ = -1;
        update();
    }
    QWidget::leaveEvent(e);
}

bool ConfusionView::event(QEvent* e)
{
    if (e->type() == QEvent::ToolTip) {
        auto* help = static_cast<QHelpEvent*>(e);
        int r = -1, c = -1;
        QString tip = toolTip();
        const int k = int(matrix_.size());
        if (cellAt(help->pos(), &r, &c) && r < k) {
            qint64 total = 0;
            for (int v : matrix_[r]) total += v;
            const QString truth = classNames_.value(r).toHtmlEscaped();
            if (c >= k) {
                const double a = total ? double(matrix_[r][r]) / double(total) : 0.0;
                tip = tr("<b>%1</b>: %2 of its %3 samples were classified correctly (%4).<br>"
                         "This is the class's accuracy, also called recall.")
                          .arg(truth)
                          .arg(matrix_[r][r])
                          .arg(total)
                          .arg(percent(a));
            } else {
                const double frac = total ? double(matrix_[r][c]) / double(total) : 0.0;
                const QString pred = classNames_.value(c).toHtmlEscaped();
                tip = r == c ? tr("<b>%1</b> recognised as %1: %2 of %3 samples (%4).<br>Right answers lie on the diagonal.")
                                   .arg(truth)
                                   .arg(matrix_[r][c])
                                   .arg(total)
                                   .arg(percent(frac))
                             : tr("<b>True %1, predicted %2</b>: %3 of the %4 %1 samples (%5).<br>"
                                  "Off the diagonal: the network mistakes one class for another.")
                                   .arg(truth, pred)
                                   .arg(matrix_[r][c])
                                   .arg(total)
                                   .arg(percent(frac));
            }
        }
        QToolTip::showText(help->globalPos(), tip, this);
        return true;
    }
    return QWidget::event(e);
}

} // namespace views
