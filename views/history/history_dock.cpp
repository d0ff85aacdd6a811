#include "views/history/history_dock.h"

#include <algorithm>
#include <QBrush>
#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QEvent>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QLineSeries>
#include <QMap>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QStandardItemModel>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTableView>
#include <QTableWidget>
#include <QTreeWidget>
#include <QVBoxLayout>
#include <QValueAxis>

#include <cmath>
#include <cstdio>

#include "engine/core/error.h"
#include "engine/store/run_diff.h"
#include "engine/store/run_recorder.h"
#include "engine/store/run_store.h"
#include "views/common/file_dialog.h"
#include "views/history/snapshot_picker.h"
#include "views/training/training_session.h"

namespace views {

namespace {

enum Column { Name, Date, Data, Model, Best, Device, Duration, Status, Parent, ColumnCount };
constexpr int kIdRole = Qt::UserRole + 1;
constexpr int kSortRole = Qt::UserRole + 2;

QString q(const std::string& s) { return QString::fromStdString(s); }

QString duration(double s)
{
    if (!(s > 0)) return "-";
    if (s < 1) return QString("%1 ms").arg(s * 1e3, 0, 'f', 0);
    if (s < 60) return QString("%1 s").arg(s, 0, 'f', 1);
    return QString("%1 min").arg(s / 60, 0, 'f', 1);
}

// A run's compression stages; none for a training run (or a store from before stages were kept).
std::vector<nn::store::StageRecord> stagesOf(const nn::store::RunStore& store, int64_t id)
{
    try {
        return store.stages(id);
    } catch (const nn::Error&) {
        return {};
    }
}

// A compression run's result: its last stage's test accuracy and size ratio.
QString stageSummary(const nn::store::StageRecord& st)
{
    const QString acc = std::isfinite(st.testAccuracy) ? QString::number(st.testAccuracy, 'f', 3) : QString("-");
    return QObject::tr("%1 · %2× smaller").arg(acc).arg(st.ratio, 0, 'f', 1);
}

QString valueText(const nlohmann::json& v)
{
    if (v.is_null()) return "-";
    if (v.is_string()) return q(v.get<std::string>());
    return q(v.dump());
}

} // namespace

HistoryDock::HistoryDock(TrainingSession* session, QWidget* parent) : QWidget(parent), session_(session)
{
    setObjectName("HistoryDock");
    buildUi();
    setStorePath(defaultStorePath());
    if (!session_) return;
    connect(session_, &TrainingSession::stateChanged, this, [this](TrainingSession::State s) {
        using S = TrainingSession::State;
        if ((s == S::Running || s == S::Paused) && !recorder_) startRecording();
        if ((s == S::Ready || s == S::NoData) && recorder_)
            endRecording("cancelled", tr("reset before the run ended"), session_->result().seconds);
    });
    connect(session_, &TrainingSession::epochsFinished, this, [this](int from, const nn::EpochMetrics&) {
        if (!recorder_) return;
        const auto& h = session_->history();
        for (size_t i = size_t(std::max(0, from)); i < h.size(); ++i) recorder_->epoch(h[i]);
        snapshotEpoch();
    });
    connect(session_, &TrainingSession::finished, this, [this](const nn::TrainResult& r) {
        if (!recorder_) return;
        endRecording(nn::statusName(r.status), q(r.message), r.seconds);
    });
}

HistoryDock::~HistoryDock()
{
    if (recorder_) recorder_->finish("cancelled", "the app closed before the run ended", -1);
}

QString HistoryDock::defaultStorePath()
{
    const QString env = qEnvironmentVariable("NNSTUDIO_HISTORY");  // tests and kiosks point it elsewhere
    if (!env.isEmpty()) return env;
    return QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) + "/runs.sqlite";
}

void HistoryDock::buildUi()
{
    filter_ = new QLineEdit;
    filter_->setPlaceholderText(tr("Filter runs (name, data, model, status...)"));
    filter_->setClearButtonEnabled(true);
    auto* refresh = new QPushButton(tr("Refresh"));
    auto* exportButton = new QPushButton(tr("Export CSV..."));
    exportButton->setToolTip(tr("Write the selected runs' per-epoch metrics as CSV"));
    auto* branchButton = new QPushButton(tr("Branch..."));
    branchButton->setToolTip(tr("Rewind the selected run to one of its snapshots and train on from there as a new run "
                                "(change a setting first, e.g. the learning rate)"));
    connect(branchButton, &QPushButton::clicked, this, &HistoryDock::branchSelected);
    auto* top = new QHBoxLayout;
    top->addWidget(filter_, 1);
    top->addWidget(refresh);
    top->addWidget(exportButton);
    top->addWidget(branchButton);

    model_ = new QStandardItemModel(0, ColumnCount, this);
    model_->setHorizontalHeaderLabels(
        {tr("Name"), tr("Date"), tr("Data"), tr("Model"), tr("Best acc."), tr("Device"), tr("Duration"), tr("Status"), tr("Parent")});
    proxy_ = new QSortFilterProxyModel(this);
    proxy_->setSourceModel(model_);
    proxy_->setFilterKeyColumn(-1);
    proxy_->setFilterCaseSensitivity(Qt::CaseInsensitive);
    proxy_->setSortRole(kSortRole);
    table_ = new QTableView;
    table_->setModel(proxy_);
    table_->setSortingEnabled(true);
    table_->sortByColumn(Date, Qt::DescendingOrder);
    table_->setSelectionBehavior(QAbstractItemView::SelectRows);
    table_->setSelectionMode(QAbstractItemView::ExtendedSelection);
    table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table_->verticalHeader()->hide();
    table_->horizontalHeader()->setStretchLastSection(true);
    table_->setAlternatingRowColors(true);

    metric_ = new QComboBox;
    metric_->addItems({tr("Validation accuracy"), tr("Training loss"), tr("Training accuracy"), tr("Validation loss")});
    chart_ = new QChart;
    chart_->setTitle(tr("Select runs to overlay their curves"));
    applyChartFonts();
    chartView_ = new QChartView(chart_);
    chartView_->setRenderHint(QPainter::Antialiasing);
    auto* curves = new QWidget;
    auto* cl = new QVBoxLayout(curves);
    cl->setContentsMargins(0, 0, 0, 0);
    cl->addWidget(metric_);
    cl->addWidget(chartView_, 1);

    settings_ = new QTableWidget;
    settings_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    arch_ = new QTreeWidget;
    arch_->setColumnCount(4);
    arch_->setHeaderLabels({tr("Layer"), tr("Change"), tr("First run"), tr("Second run")});
    arch_->setRootIsDecorated(false);
    branches_ = new QTreeWidget;
    branches_->setColumnCount(4);
    branches_->setHeaderLabels({tr("Run"), tr("Branched at step"), tr("Status"), tr("Best acc.")});

    tabs_ = new QTabWidget;
    tabs_->addTab(curves, tr("Curves"));
    tabs_->addTab(settings_, tr("Settings"));
    tabs_->addTab(arch_, tr("Architecture"));
    tabs_->addTab(branches_, tr("Branches"));

    message_ = new QLabel;
    message_->setWordWrap(true);
    message_->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto* split = new QSplitter(Qt::Vertical);
    split->addWidget(table_);
    split->addWidget(tabs_);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(split, 1);
    layout->addWidget(message_);

    connect(filter_, &QLineEdit::textChanged, this, &HistoryDock::setFilter);
    connect(refresh, &QPushButton::clicked, this, &HistoryDock::refresh);
    connect(exportButton, &QPushButton::clicked, this, &HistoryDock::exportSelected);
    connect(table_->selectionModel(), &QItemSelectionModel::selectionChanged, this, &HistoryDock::onSelectionChanged);
    connect(metric_, &QComboBox::currentIndexChanged, this, &HistoryDock::updateCurves);
    connect(branches_, &QTreeWidget::itemActivated, this, [this](QTreeWidgetItem* item) {
        selectRuns({item->data(0, kIdRole).toLongLong()});
    });
}

void HistoryDock::showMessage(const QString& text, bool error)
{
    message_->setText(text);
    message_->setStyleSheet(error ? "color: #b00020;" : QString());
}

bool HistoryDock::setStorePath(const QString& path)
{
    try {
        auto store = std::make_unique<nn::store::RunStore>(path.toStdString());
        store_ = std::move(store);
        path_ = path;
        error_.clear();
        if (store_->readOnly())  // a read-only file, folder or mount: viewable, not recordable
            showMessage(tr("History: %1 is read-only (%2): its runs can be viewed, new runs are not recorded")
                            .arg(QDir::toNativeSeparators(path), q(store_->readOnlyReason())),
                        true);
        else
            showMessage(tr("History: %1").arg(QDir::toNativeSeparators(path)), false);
    } catch (const nn::Error& e) {
        error_ = q(e.what());
        showMessage(error_, true);
        return false;
    }
    refresh();
    return true;
}

void HistoryDock::chooseStore()
{
    // An open dialog ("Open"), which also takes a new name: that starts an empty history there.
    const QString path = openOrNewFileName(this, "history", tr("Open history (or type a new name to start an empty one)"),
                                           tr("Run histories (*.sqlite);;All files (*)"), QFileInfo(path_).absolutePath());
    if (path.isEmpty()) return;
    const bool created = !QFileInfo::exists(path);
    if (setStorePath(path) && created)
        showMessage(tr("Started a new, empty history: %1").arg(QDir::toNativeSeparators(path)), false);
}

void HistoryDock::refresh()
{
    const QList<qint64> keep = selectedRuns();
    model_->removeRows(0, model_->rowCount());
    if (!store_) return;
    std::vector<nn::store::RunInfo> runs;
    try {
        runs = store_->list();
    } catch (const nn::Error& e) {
        showMessage(q(e.what()), true);
        return;
    }
    table_->setSortingEnabled(false);
    for (const auto& r : runs) {
        QList<QStandardItem*> row;
        auto add = [&](const QString& text, const QVariant& sort) {
            auto* item = new QStandardItem(text);
            item->setData(sort, kSortRole);
            item->setData(qlonglong(r.id), kIdRole);
            row << item;
        };
        const QDateTime created = QDateTime::fromMSecsSinceEpoch(qint64(r.created * 1000));
        add(q(r.name), q(r.name).toLower());
        add(created.toString("yyyy-MM-dd HH:mm:ss"), r.created);
        add(q(r.dataset), q(r.dataset));
        add(q(r.modelName), q(r.modelName));
        // A compression run has stages, not epochs: its final accuracy and ratio.
        const std::vector<nn::store::StageRecord> stages = stagesOf(*store_, r.id);
        if (!stages.empty()) {
            const auto& last = stages.back();
            add(stageSummary(last), std::isfinite(last.testAccuracy) ? last.testAccuracy : -1.0);
        } else {
            add(std::isfinite(r.bestAccuracy) ? QString::number(r.bestAccuracy, 'f', 3) : "-",
                std::isfinite(r.bestAccuracy) ? r.bestAccuracy : -1.0);
        }
        add(q(r.device), q(r.device));
        add(duration(r.seconds), r.seconds);
        const QString status = stages.empty() ? q(r.status) : (stages.size() == 1 ? tr("%1 · compression, 1 stage").arg(q(r.status))
                                                                              : tr("%1 · compression, %2 stages").arg(q(r.status)).arg(stages.size()));
        add(status, status);
        if (!stages.empty()) {
            QStringList lines;
            for (const auto& st : stages)
                lines << tr("%1: test acc. %2, %3× smaller").arg(q(st.text)).arg(st.testAccuracy, 0, 'f', 3).arg(st.ratio, 0, 'f', 1);
            row[Best]->setToolTip(tr("Compression run, final stage's test accuracy and size ratio:\n%1").arg(lines.join('\n')));
        }
        add(r.parentId ? QString("#%1 @ %2").arg(r.parentId).arg(r.parentStep) : "-", qlonglong(r.parentId));
        row[Name]->setToolTip(QString("#%1 %2%3").arg(r.id).arg(q(r.name), r.message.empty() ? "" : "\n" + q(r.message)));
        model_->appendRow(row);
    }
    table_->setSortingEnabled(true);
    updateBranches();
    if (!keep.isEmpty()) selectRuns(keep);
}

void HistoryDock::setFilter(const QString& text)
{
    if (filter_->text() != text) filter_->setText(text);
    proxy_->setFilterFixedString(text);
}

int HistoryDock::visibleRuns() const { return proxy_->rowCount(); }

void HistoryDock::selectRuns(const QList<qint64>& ids)
{
    QItemSelection sel;
    for (int r = 0; r < proxy_->rowCount(); ++r) {
        const QModelIndex i = proxy_->index(r, 0);
        if (ids.contains(i.data(kIdRole).toLongLong())) sel.select(i, proxy_->index(r, ColumnCount - 1));
    }
    table_->selectionModel()->select(sel, QItemSelectionModel::ClearAndSelect);
}

QList<qint64> HistoryDock::selectedRuns() const
{
    QList<qint64> ids;
    if (!table_ || !table_->selectionModel()) return ids;
    for (const QModelIndex& i : table_->selectionModel()->selectedRows()) ids << i.data(kIdRole).toLongLong();
    std::sort(ids.begin(), ids.end());
    return ids;
}

void HistoryDock::onSelectionChanged()
{
    updateCurves();
    updateSettings();
    updateArchitecture();
}

void HistoryDock::changeEvent(QEvent* e)
{
    QWidget::changeEvent(e);
    if (e->type() == QEvent::FontChange) applyChartFonts();
}

void HistoryDock::applyChartFonts()
{
    if (!chart_ || !table_) return;  // a font change during construction
    QFont title = font();
    title.setPointSizeF(font().pointSizeF() * 1.15);
    title.setBold(true);
    // The style's own small header font would also win over the widget's (the
    // column titles stayed tiny in projector mode).
    table_->horizontalHeader()->setFont(font());
    table_->resizeColumnsToContents();  // 2x text in the same widths read "spiral…", "comp…"
    chart_->setTitleFont(title);
    chart_->legend()->setFont(font());
    for (QAbstractAxis* a : chart_->axes()) {
        a->setLabelsFont(font());
        a->setTitleFont(font());
    }
}

int HistoryDock::overlaidSeries() const { return int(chart_->series().size()); }

void HistoryDock::updateCurves()
{
    chart_->removeAllSeries();
    for (QAbstractAxis* a : chart_->axes()) {
        chart_->removeAxis(a);
        delete a;
    }
    const QList<qint64> ids = selectedRuns();
    chart_->setTitle(ids.isEmpty() ? tr("Select runs to overlay their curves") : metric_->currentText());
    if (ids.isEmpty() || !store_) return;
    auto* x = new QValueAxis;
    auto* y = new QValueAxis;
    x->setTitleText(tr("epoch"));
    x->setLabelFormat("%d");
    chart_->addAxis(x, Qt::AlignBottom);
    chart_->addAxis(y, Qt::AlignLeft);
    double xmax = 1, ymin = 1e300, ymax = -1e300;
    const int which = metric_->currentIndex();
    for (qint64 id : ids) {
        const auto info = store_->find(id);
        if (!info) continue;
        auto* s = new QLineSeries;
        s->setName(QString("#%1 %2").arg(id).arg(q(info->name)));
        for (const auto& m : store_->epochs(id)) {
            const double v = which == 0 ? m.valAccuracy : which == 1 ? m.trainLoss : which == 2 ? m.trainAccuracy : m.valLoss;
            if (!std::isfinite(v)) continue;
            s->append(m.epoch, v);
            xmax = std::max(xmax, double(m.epoch));
            ymin = std::min(ymin, v);
            ymax = std::max(ymax, v);
        }
        chart_->addSeries(s);
        s->attachAxis(x);
        s->attachAxis(y);
    }
    applyChartFonts();
    x->setRange(0, xmax);
    if (ymax >= ymin) y->setRange(ymin - 0.02 * (ymax - ymin + 1e-9), ymax + 0.02 * (ymax - ymin + 1e-9));
}

void HistoryDock::updateSettings()
{
    settings_->clear();
    const QList<qint64> ids = selectedRuns();
    if (ids.isEmpty() || !store_) {
        settings_->setRowCount(0);
        settings_->setColumnCount(0);
        return;
    }
    std::vector<nn::store::RunInfo> runs;
    for (qint64 id : ids)
        if (auto r = store_->find(id)) runs.push_back(*r);
    const auto rows = nn::store::compareSettings(runs);
    settings_->setColumnCount(int(runs.size()));
    settings_->setRowCount(int(rows.size()));
    QStringList headers, keys;
    for (const auto& r : runs) headers << QString("#%1 %2").arg(r.id).arg(q(r.name));
    for (const auto& row : rows) keys << q(row.key);
    settings_->setHorizontalHeaderLabels(headers);
    settings_->setVerticalHeaderLabels(keys);
    const QBrush highlight(QColor(255, 226, 140));
    for (int i = 0; i < int(rows.size()); ++i)
        for (int c = 0; c < int(runs.size()); ++c) {
            auto* item = new QTableWidgetItem(valueText(rows[size_t(i)].values[size_t(c)]));
            item->setData(Qt::UserRole, rows[size_t(i)].differs);
            if (rows[size_t(i)].differs) {
                item->setBackground(highlight);
                QFont f = item->font();
                f.setBold(true);
                item->setFont(f);
            }
            settings_->setItem(i, c, item);
        }
    // A compression run's stages in words, one row per step after its settings.
    std::vector<std::vector<nn::store::StageRecord>> stages;
    size_t most = 0;
    for (const auto& r : runs) {
        try {
            stages.push_back(store_->stages(r.id));
        } catch (const nn::Error&) {
            stages.emplace_back();  // a store from before stages were kept
        }
        most = std::max(most, stages.back().size());
    }
    if (most > 0) {
        const int first = settings_->rowCount();
        settings_->setRowCount(first + int(most));
        for (size_t s = 0; s < most; ++s) {
            keys << tr("stage %1").arg(s);
            for (size_t c = 0; c < stages.size(); ++c) {
                if (s >= stages[c].size()) continue;
                const auto& st = stages[c][s];
                settings_->setItem(first + int(s), int(c),
                                   new QTableWidgetItem(tr("%1 · test acc. %2% · %3× smaller")
                                                            .arg(q(st.text))
                                                            .arg(100.0 * st.testAccuracy, 0, 'f', 1)
                                                            .arg(st.ratio, 0, 'f', 1)));
            }
        }
        settings_->setVerticalHeaderLabels(keys);
    }
    settings_->resizeColumnsToContents();
}

void HistoryDock::updateArchitecture()
{
    arch_->clear();
    const QList<qint64> ids = selectedRuns();
    if (ids.size() < 2 || !store_) {
        auto* hint = new QTreeWidgetItem(arch_, {tr("Select two runs to compare their model specs")});
        hint->setFlags(Qt::NoItemFlags);
        return;
    }
    const auto a = store_->find(ids[0]), b = store_->find(ids[1]);
    if (!a || !b) return;
    arch_->setHeaderLabels({tr("Layer"), tr("Change"), QString("#%1 %2").arg(a->id).arg(q(a->modelName)),
                            QString("#%1 %2").arg(b->id).arg(q(b->modelName))});
    using K = nn::store::LayerChange::Kind;
    for (const auto& c : nn::store::diffSpecs(a->spec, b->spec)) {
        auto* item = new QTreeWidgetItem(arch_);
        item->setText(0, q(c.id));
        QString change = q(nn::store::kindName(c.kind));
        if (c.kind == K::Changed) {
            QStringList f;
            for (const auto& s : c.fields) f << q(s);
            change += ": " + f.join(", ");
        }
        item->setText(1, change);
        item->setText(2, c.a.is_null() ? "" : q(nn::store::describeLayer(c.a)));
        item->setText(3, c.b.is_null() ? "" : q(nn::store::describeLayer(c.b)));
        item->setData(0, Qt::UserRole, q(nn::store::kindName(c.kind)));
        const QColor color = c.kind == K::Added ? QColor(200, 240, 200) : c.kind == K::Removed ? QColor(250, 200, 200)
                             : c.kind == K::Changed ? QColor(255, 226, 140) : QColor();
        if (color.isValid())
            for (int col = 0; col < 4; ++col) item->setBackground(col, color);
    }
    for (int col = 0; col < 4; ++col) arch_->resizeColumnToContents(col);
}

void HistoryDock::updateBranches()
{
    branches_->clear();
    if (!store_) return;
    std::vector<nn::store::RunInfo> runs;
    try {
        runs = store_->list();
    } catch (const nn::Error&) {
        return;
    }
    std::sort(runs.begin(), runs.end(), [](const auto& x, const auto& y) { return x.id < y.id; });
    QMap<qint64, QTreeWidgetItem*> items;
    for (const auto& r : runs) {
        QTreeWidgetItem* parent = r.parentId ? items.value(r.parentId, nullptr) : nullptr;
        auto* item = parent ? new QTreeWidgetItem(parent) : new QTreeWidgetItem(branches_);
        item->setText(0, QString("#%1 %2").arg(r.id).arg(q(r.name)));
        item->setText(1, r.parentId ? QString::number(r.parentStep) : QString());
        item->setText(2, q(r.status));
        const auto stages = stagesOf(*store_, r.id);
        item->setText(3, !stages.empty() ? stageSummary(stages.back())
                         : std::isfinite(r.bestAccuracy) ? QString::number(r.bestAccuracy, 'f', 3)
                                                         : "-");
        item->setData(0, kIdRole, qlonglong(r.id));
        items[r.id] = item;
    }
    branches_->expandAll();
    branches_->resizeColumnToContents(0);
}

QString HistoryDock::exportCsv(qint64 id, const QString& path) const
{
    if (!store_) return tr("no history is open");
    try {
        const std::string csv = nn::store::epochsCsv(store_->epochs(id));
        QFile f(path);
        if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate)) return tr("cannot write '%1': %2").arg(path, f.errorString());
        if (f.write(csv.data(), qint64(csv.size())) != qint64(csv.size())) return tr("writing '%1' failed: %2").arg(path, f.errorString());
    } catch (const nn::Error& e) {
        return q(e.what());
    }
    return {};
}

void HistoryDock::exportSelected()
{
    const QList<qint64> ids = selectedRuns();
    if (ids.isEmpty()) {
        showMessage(tr("Select the runs to export first"), true);
        return;
    }
    QString folder = existingFolder(this, "csv-export", tr("Export runs' metrics as CSV into"));
    if (folder.isEmpty()) return;
    for (qint64 id : ids) {
        const QString err = exportCsv(id, folder + QString("/run-%1.csv").arg(id));
        if (!err.isEmpty()) {
            showMessage(err, true);
            return;
        }
    }
    showMessage(tr("Wrote %1 CSV file(s) to %2").arg(ids.size()).arg(QDir::toNativeSeparators(folder)), false);
}

void HistoryDock::startRecording()
{
    if (!store_ || !session_ || !session_->spec()) return;
    const nn::ModelSpec& spec = *session_->spec();
    const nn::TrainConfig& c = session_->config();
    nn::store::NewRun run;
    run.name = spec.name + " on " + QFileInfo(session_->dataName()).fileName().toStdString();
    run.spec = spec.toJson();
    run.hyper = nn::store::hyperparametersJson(c);
    run.dataset = session_->dataName().toStdString();
    if (const auto* d = session_->data())
        run.datasetParams = {{"train_samples", d->train.size()}, {"val_samples", d->validation.size()},
                             {"test_samples", d->test.size()}};
    run.seed = c.seed;
    run.device = "cpu";
    run.notes = "recorded by the app";
    const auto origin = session_->branchOrigin();
    run.parentId = origin.parentId;
    run.parentStep = origin.parentId ? origin.parentStep : -1;
    if (origin.parentId) run.name += " (branch of #" + std::to_string(origin.parentId) + ")";
    snapshotInterval_ = std::max(1, c.epochs / 10);  // about ten snapshots a run
    lastSnapshotEpoch_ = -1;
    try {
        recorder_ = std::make_unique<nn::store::RunRecorder>(path_.toStdString(), run);
    } catch (const nn::Error& e) {
        showMessage(tr("This run is not recorded: %1").arg(q(e.what())), true);
        return;
    }
    recordingId_ = recorder_->runId();
    const Snapshot& s = session_->snapshot();
    if (!origin.parentId && s.step == 0 && !s.params.empty()) {  // the initial weights (a branch's are its parent's)
        nn::TrainerCheckpoint c0;
        for (const auto& t : s.params) c0.params.push_back(t.clone());
        recorder_->snapshot(std::move(c0));
    }
    showMessage(tr("Recording run #%1 in %2").arg(recordingId_).arg(QDir::toNativeSeparators(path_)), false);
}

void HistoryDock::endRecording(const QString& status, const QString& message, double seconds)
{
    if (!recorder_) return;
    const auto last = session_ ? session_->latestCheckpoint() : nullptr;
    if (last && last->epochs != lastSnapshotEpoch_) {  // the final state, for a later branch
        recorder_->snapshot(*last);
    } else if (!last && status == "completed" && session_) {
        const Snapshot& s = session_->snapshot();
        if (!s.params.empty()) {
            nn::TrainerCheckpoint c;
            c.epochs = s.epoch;
            c.steps = s.step;
            for (const auto& t : s.params) c.params.push_back(t.clone());
            recorder_->snapshot(std::move(c));
        }
    }
    recorder_->finish(status.toStdString(), message.toStdString(), seconds);
    const std::string err = recorder_->error();
    const qint64 id = recordingId_;
    recorder_.reset();
    recordingId_ = 0;
    if (!err.empty()) showMessage(tr("The history could not be written: %1").arg(q(err)), true);
    refresh();
    emit runRecorded(id);
}

void HistoryDock::snapshotEpoch()
{
    if (!recorder_ || !session_) return;
    // Every epoch the last poll drained (a fast net ends many per poll).
    for (const Snapshot& s : session_->epochSnapshots()) {
        const auto& c = s.state;
        if (!c || c->epochs == lastSnapshotEpoch_ || c->epochs % snapshotInterval_ != 0) continue;
        lastSnapshotEpoch_ = c->epochs;
        recorder_->snapshot(*c);  // tensors shared, never changed: the writer thread encodes them
    }
}

QList<qint64> HistoryDock::snapshotSteps(qint64 runId) const
{
    QList<qint64> steps;
    if (!store_) return steps;
    try {
        for (const auto& s : store_->snapshots(runId)) steps << qint64(s.step);
    } catch (const nn::Error&) {
    }
    return steps;
}

QList<HistoryDock::SnapshotChoice> HistoryDock::snapshotChoices(qint64 runId) const
{
    QList<SnapshotChoice> out;
    if (!store_) return out;
    try {
        const auto epochs = store_->epochs(runId);
        for (const auto& s : store_->snapshots(runId)) {
            SnapshotChoice c;
            c.step = qint64(s.step);
            c.epoch = s.epoch;
            c.text = weightsLabel(s.epoch, s.step);
            if (s.epoch == 0 && s.step == 0) c.text = tr("epoch 0 · step 0 · the initial weights");
            for (const auto& m : epochs) {
                if (m.epoch != s.epoch) continue;
                const bool val = std::isfinite(m.valLoss);
                c.text += val ? tr(" · val loss %1 · val acc %2").arg(m.valLoss, 0, 'f', 4).arg(m.valAccuracy, 0, 'f', 3)
                              : tr(" · train loss %1 · train acc %2").arg(m.trainLoss, 0, 'f', 4).arg(m.trainAccuracy, 0, 'f', 3);
                break;
            }
            out << c;
        }
    } catch (const nn::Error&) {
    }
    return out;
}

std::vector<nn::EpochMetrics> HistoryDock::lineage(qint64 runId, qint64 upToStep) const
{
    std::vector<std::vector<nn::EpochMetrics>> parts;  // newest run first
    qint64 id = runId, limit = upToStep;
    QList<qint64> seen;
    while (id > 0 && !seen.contains(id)) {  // a damaged file could hold a cycle
        seen << id;
        std::vector<nn::EpochMetrics> mine;
        for (const auto& m : store_->epochs(id))
            if (m.steps <= limit) mine.push_back(m);
        parts.push_back(std::move(mine));
        const auto r = store_->find(id);
        if (!r || !r->parentId || r->parentStep < 0) break;
        id = r->parentId;
        limit = r->parentStep;
    }
    std::vector<nn::EpochMetrics> out;
    for (auto it = parts.rbegin(); it != parts.rend(); ++it)
        for (const auto& m : *it)
            if (out.empty() || m.epoch > out.back().epoch) out.push_back(m);
    return out;
}

bool HistoryDock::branchFrom(qint64 runId, qint64 step)
{
    if (!store_) return false;
    try {
        const nn::store::RunInfo r = store_->run(runId);
        BranchRequest b;
        b.parentId = runId;
        b.parentStep = step;
        b.spec = nn::ModelSpec::fromJson(r.spec, "run #" + std::to_string(runId));
        b.dataset = QString::fromStdString(r.dataset);
        b.hyper = r.hyper;
        b.seed = r.seed;
        b.state = std::make_shared<const nn::TrainerCheckpoint>(store_->loadSnapshot(runId, step));
        b.parentHistory = lineage(runId, step);
        if (onBranch) onBranch(b);
        showMessage(tr("Branching run #%1 from %2: change a setting and press Train; the new run is recorded as its child")
                        .arg(runId)
                        .arg(weightsLabel(b.state->epochs, step)),
                    false);
        return true;
    } catch (const nn::Error& e) {
        showMessage(tr("Cannot branch: %1").arg(q(e.what())), true);
        return false;
    }
}

void HistoryDock::branchSelected()
{
    const QList<qint64> ids = selectedRuns();
    if (ids.size() != 1) {
        showMessage(tr("Select one run to branch from"), true);
        return;
    }
    const QList<SnapshotChoice> choices = snapshotChoices(ids[0]);
    if (choices.isEmpty()) {
        showMessage(tr("Run #%1 has no snapshots to branch from").arg(ids[0]), true);
        return;
    }
    if (qEnvironmentVariableIsSet("NNSTUDIO_NO_DIALOGS")) {  // tests and screenshots: the newest
        branchFrom(ids[0], choices.last().step);
        return;
    }
    SnapshotPicker picker(ids[0], choices, this);
    if (picker.exec() != QDialog::Accepted || picker.currentIndex() < 0) return;
    branchFrom(ids[0], choices[picker.currentIndex()].step);
}

} // namespace views
