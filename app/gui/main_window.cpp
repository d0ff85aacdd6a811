#include "app/gui/main_window.h"
#include "app/gui/status_tips.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QInputDialog>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QProgressBar>
#include <QSettings>
#include <QScrollArea>
#include <QScrollBar>
#include <QSplitter>
#include <QStatusBar>
#include <QTabWidget>
#include <QTimer>
#include <QToolBar>
#include <QUndoStack>
#include <QFile>
#include <algorithm>

#include <nlohmann/json.hpp>

#include "app/gui/field_keys.h"
#include "engine/backend/kernel.h"
#include "engine/core/error.h"
#include "engine/io/model_file.h"
#include "engine/io/onnx_export.h"
#include "views/charts/curves_chart.h"
#include "views/common/file_dialog.h"
#include "views/common/paths.h"
#include "views/compress/compress_page.h"
#include "views/dashboard/boundary_view.h"
#include "views/dashboard/confusion_view.h"
#include "views/dashboard/histogram_panel.h"
#include "views/dashboard/loss_hint.h"
#include "views/dashboard/setup_panel.h"
#include "views/dashboard/setup_undo.h"
#include "views/history/history_dock.h"
#include "views/stepper/stepper_view.h"
#include "views/training/training_session.h"
#include "views/builder/builder_view.h"

using views::TrainingSession;

namespace {
constexpr int kMaxRecent = 8;
const char* kRecentKey = "recentModels";
} // namespace

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent), session_(new TrainingSession(this)), undo_(new QUndoStack(this))
{
    setWindowTitle(tr("NN Studio"));
    setObjectName("MainWindow");
    createViews();
    views::installFormUndo(setup_, undo_);  // Ctrl+Z takes back any set-up change
    createActions();
    createMenus();
    createBuilder();
    createStatusBar();
    connectSession();
    watchFrameCost();  // redraws while training adapt to what a frame costs here
    connectTrainingHints();
    installFieldKeys();

    QSettings settings;
    if (!restoreGeometry(settings.value("window/geometry").toByteArray())) applyFirstStartGeometry();
    restoreState(settings.value("window/state").toByteArray());
    if (settings.value("view/projector", false).toBool()) setProjectorMode(true);
    rebuildRecentMenu();
    session_->setConfig(setup_->trainConfig());
    updateRunActions();
}

MainWindow::~MainWindow() = default;

void MainWindow::createViews()
{
    setup_ = new views::SetupPanel;
    curves_ = new views::CurvesChart;
    boundary_ = new views::BoundaryView(session_);
    histograms_ = new views::HistogramPanel(session_);
    confusion_ = new views::ConfusionView(session_);

    auto* dashboard = new QSplitter(Qt::Horizontal);
    dashboard->addWidget(boundary_);
    dashboard->addWidget(curves_);
    dashboard->setStretchFactor(0, 1);
    dashboard->setStretchFactor(1, 1);
    stepper_ = new views::StepperView(session_);
    pages_ = new QTabWidget;
    pages_->addTab(dashboard, tr("Training dashboard"));
    // In a scroll area: a tab widget is as large as its largest page, and the
    // stepper at 2x text would otherwise push the window past the screen.
    auto* stepperScroll = new QScrollArea;
    stepperScroll->setWidget(stepper_);
    stepperScroll->setWidgetResizable(true);
    stepperScroll->setFrameShape(QFrame::NoFrame);
    pages_->addTab(stepperScroll, tr("Backprop stepper"));
    pages_->setTabToolTip(0, tr("Train a network and watch it learn (Ctrl+1)"));
    pages_->setTabToolTip(1, tr("Walk a formula or one training step node by node (Ctrl+2)"));
    compress_ = new views::compress::CompressPage(session_);
    pages_->setTabToolTip(pages_->addTab(compress_, tr("Compress")),
                          tr("Prune, share, quantize and Huffman-code a copy of the trained model, stage by stage (Ctrl+4)"));
    setCentralWidget(pages_);
    // The bottom panels watch training: on the other pages they only take room,
    // so they step aside there and come back with the dashboard.
    connect(pages_, &QTabWidget::currentChanged, this, [this](int page) {
        if (page != 0) {
            if (!hiddenForStepper_.isEmpty()) return;  // already put away by another page
            hiddenForStepper_.clear();
            for (auto* d : findChildren<QDockWidget*>())
                if (dockWidgetArea(d) == Qt::BottomDockWidgetArea && !d->isHidden() && !d->isFloating()) {
                    hiddenForStepper_ << d;
                    d->hide();
                }
        } else {
            for (auto* d : hiddenForStepper_) d->show();
            hiddenForStepper_.clear();
            confusionDock_->raise();
        }
    });

    auto dock = [this](QWidget* w, const QString& title, const char* name, Qt::DockWidgetArea area) {
        auto* d = new QDockWidget(title, this);
        d->setObjectName(name);
        d->setWidget(w);
        addDockWidget(area, d);
        return d;
    };
    // The form scrolls when the window is short (projector mode at 1000 px high)
    // instead of making the window taller than the screen.
    setupScroll_ = new QScrollArea;
    setupScroll_->setWidget(setup_);
    setupScroll_->setWidgetResizable(true);
    setupScroll_->setFrameShape(QFrame::NoFrame);
    setupScroll_->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    dock(setupScroll_, tr("Set-up"), "setupDock", Qt::LeftDockWidgetArea);
    setupScroll_->setMinimumWidth(setup_->minimumSizeHint().width() + setupScroll_->verticalScrollBar()->sizeHint().width());
    histogramDock_ = dock(histograms_, tr("Weights and gradients"), "histogramDock", Qt::BottomDockWidgetArea);
    confusionDock_ = dock(confusion_, tr("Confusion matrix"), "confusionDock", Qt::BottomDockWidgetArea);
    histograms_->setMinimumHeight(220);
    history_ = new views::HistoryDock(session_);  // records the session's runs into the default history
    history_->onBranch = [this](const views::HistoryDock::BranchRequest& b) { startBranch(b); };
    // Compression runs go into the same history, and appear there when they end.
    compress_->historyStore = [this] { return history_->storePath(); };
    connect(compress_, &views::compress::CompressPage::runRecorded, history_, &views::HistoryDock::refresh);
    tabifyDockWidget(confusionDock_, dock(history_, tr("History"), "historyDock", Qt::BottomDockWidgetArea));
    confusionDock_->raise();
}

void MainWindow::createActions()
{
    auto make = [this](const QString& text, const QKeySequence& key, const QString& tip, auto slot) {
        auto* a = new QAction(text, this);
        a->setShortcut(key);
        a->setToolTip(QString("%1 (%2)").arg(tip, key.toString(QKeySequence::NativeText)));
        a->setStatusTip(tip);
        connect(a, &QAction::triggered, this, slot);
        return a;
    };
    trainAct_ = make(tr("&Train"), QKeySequence(Qt::Key_Space), tr("Start or resume training; Space pauses again"), [this] {
        if (session_->state() == TrainingSession::State::Running) {
            session_->pause();
            return;
        }
        if (session_->state() != TrainingSession::State::Paused) session_->setConfig(setup_->trainConfig());
        session_->train();
    });
    pauseAct_ = make(tr("&Pause"), QKeySequence(Qt::Key_Pause), tr("Pause after the current mini-batch"), [this] { session_->pause(); });
    stepAct_ = make(tr("&Step"), QKeySequence(Qt::Key_F10), tr("Train exactly one mini-batch"), [this] {
        if (session_->state() == TrainingSession::State::Ready) session_->setConfig(setup_->trainConfig());
        session_->step();
    });
    stopAct_ = make(tr("St&op"), QKeySequence(Qt::SHIFT | Qt::Key_F5), tr("End the run now (the test set is still evaluated)"), [this] { session_->stop(); });
    resetAct_ = make(tr("&Reset"), QKeySequence(Qt::CTRL | Qt::Key_R), tr("Forget the run and start again from the seed's initial weights"), [this] {
        session_->setConfig(setup_->trainConfig());
        session_->reset();
    });
    projectorAct_ = make(tr("&Projector mode"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_P), tr("Scale fonts, lines and markers for a room"), [this] { setProjectorMode(!projector_); });
    projectorAct_->setCheckable(true);

    auto* tb = addToolBar(tr("Run"));
    tb->setObjectName("runToolbar");
    tb->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    for (QAction* a : {trainAct_, pauseAct_, stepAct_, stopAct_, resetAct_}) tb->addAction(a);
    tb->addSeparator();
    tb->addAction(projectorAct_);
}

void MainWindow::createMenus()
{
    QMenu* file = menuBar()->addMenu(tr("&File"));
    file->addAction(tr("&New"), QKeySequence::New, this, [this] {
        openModel(views::sampleModelsDirFile("spiral-mlp.json"));
        setup_->selectData("spiral");
        setup_->bringDefaults(views::SetupPanel::Picked::Data);
    })->setStatusTip(tr("The spiral net on the spiral data, untrained, with their default settings"));
    file->addAction(tr("&Open model…"), QKeySequence::Open, this, [this] {
        const QString path = views::openFileName(this, "model", tr("Open model spec"), tr("Model specs (*.json)"), views::sampleModelsDir());
        if (!path.isEmpty() && openModel(path)) setup_->bringDefaults(views::SetupPanel::Picked::Model);
    });
    file->addAction(tr("&Save model spec…"), QKeySequence::Save, this, &MainWindow::saveModelSpec);
    auto trainedPath = [this](const QString& title, const QString& suffix, const QString& filter) {
        const QString name = session_->spec() ? QString::fromStdString(session_->spec()->name) : QString("model");
        return views::saveFileName(this, suffix.mid(1), title, name + suffix, filter);  // kinds "nnm", "onnx"
    };
    file->addAction(tr("Save &trained model…"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_S), this, [this, trainedPath] {
        const QString path = trainedPath(tr("Save trained model"), ".nnm", tr("NN Studio models (*.nnm)"));
        if (!path.isEmpty()) saveTrainedModel(path);
    });
    file->addAction(tr("Export &ONNX…"), this, [this, trainedPath] {
        const QString path = trainedPath(tr("Export ONNX"), ".onnx", tr("ONNX models (*.onnx)"));
        if (!path.isEmpty()) exportOnnx(path);
    });
    recentMenu_ = file->addMenu(tr("&Recent"));
    file->addAction(tr("Open &history…"), this, [this] { history_->chooseStore(); })
        ->setStatusTip(tr("Choose the run history file (SQLite) the History dock shows and records into"));
    file->addSeparator();
    file->addAction(tr("&Export chart…"), QKeySequence(Qt::CTRL | Qt::Key_E), this, &MainWindow::exportChartDialog);
    file->addSeparator();
    file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);

    QMenu* edit = menuBar()->addMenu(tr("&Edit"));
    undoAct_ = undo_->createUndoAction(this, tr("&Undo"));
    undoAct_->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Z));
    undoAct_->setObjectName("undoAction");
    redoAct_ = undo_->createRedoAction(this, tr("&Redo"));
    // Not QKeySequence::Redo as well: on X11 that is Ctrl+Shift+Z too, and an action
    // with the same key twice is an "ambiguous shortcut" that does nothing.
    redoAct_->setShortcuts({QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_Z), QKeySequence(Qt::CTRL | Qt::Key_Y)});
    redoAct_->setObjectName("redoAction");
    edit->addAction(undoAct_);
    edit->addAction(redoAct_);

    viewMenu_ = menuBar()->addMenu(tr("&View"));
    viewMenu_->addAction(tr("Training &dashboard"), QKeySequence(Qt::CTRL | Qt::Key_1), this, [this] { showPage(0); });
    viewMenu_->addAction(tr("Backprop &stepper"), QKeySequence(Qt::CTRL | Qt::Key_2), this, [this] { showPage(1); });
    viewMenu_->addAction(tr("&Compress"), QKeySequence(Qt::CTRL | Qt::Key_4), this, [this] { showPage(compressPageIndex()); });
    viewMenu_->addSeparator();
    for (QDockWidget* d : findChildren<QDockWidget*>()) viewMenu_->addAction(d->toggleViewAction());
    viewMenu_->addSeparator();
    viewMenu_->addAction(projectorAct_);

    QMenu* run = menuBar()->addMenu(tr("&Run"));
    for (QAction* a : {trainAct_, pauseAct_, stepAct_, stopAct_, resetAct_}) run->addAction(a);

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&Keyboard shortcuts"), QKeySequence(Qt::Key_F1), this, &MainWindow::showShortcuts);
    help->addAction(tr("&About NN Studio"), this, [this] {
        QMessageBox::about(this, tr("About NN Studio"),
                           tr("<h3>NN Studio %1</h3><p>Build, train, step through, compress and accelerate real "
                              "neural networks.</p>").arg(QApplication::applicationVersion()));
    });
}

void MainWindow::createStatusBar()
{
    deviceLabel_ = new QLabel(tr("CPU · %1 thread(s)").arg(nn::cpu::threads()));
    deviceLabel_->setToolTip(tr("Where training runs. The CUDA backend is not part of this build yet."));
    stateLabel_ = new QLabel;
    metricsLabel_ = new QLabel;
    progress_ = new QProgressBar;
    progress_->setFormat(tr("epoch %v of %m"));
    progress_->setAlignment(Qt::AlignCenter);
    progress_->setValue(0);
    statusBar()->addWidget(stateLabel_);
    statusBar()->addWidget(metricsLabel_, 1);
    statusBar()->addPermanentWidget(progress_);
    statusBar()->addPermanentWidget(deviceLabel_);
    new StatusTips(statusBar());  // their tooltips open above the bar, not over its text
    fitProgressBar();
}

void MainWindow::setProgress(int done, int total)
{
    // QProgressBar::setValue repaints at once (synchronously) whenever its "%v"
    // text changes: 7-10 ms per poll under Xvfb, inside the poll. With updates off
    // it only records the value; turning them on schedules an ordinary update,
    // painted with the next frame.
    progress_->setUpdatesEnabled(false);
    progress_->setMaximum(std::max(1, total));
    progress_->setValue(std::clamp(done, 0, progress_->maximum()));
    progress_->setUpdatesEnabled(true);
}

void MainWindow::connectSession()
{
    connect(setup_, &views::SetupPanel::dataRequested, session_, &TrainingSession::loadData);
    connect(setup_, &views::SetupPanel::modelRequested, this, &MainWindow::openModel);
    connect(setup_, &views::SetupPanel::configChanged, this, [this] {
        if (session_->state() != TrainingSession::State::Ready) return;
        session_->setConfig(setup_->trainConfig());
        updateRunActions();  // "epoch 0 of N" follows the Epochs field
    });
    connect(session_, &TrainingSession::stateChanged, this, &MainWindow::updateRunActions);
    // A new model or new data: the last run's figures describe something that is
    // gone, so they go too (the History dock keeps the run).
    connect(session_, &TrainingSession::modelChanged, this, [this] {
        curves_->clear();
        metricsLabel_->clear();
        updateRunActions();
    });
    connect(session_, &TrainingSession::dataChanged, this, [this] {
        curves_->clear();
        metricsLabel_->clear();
        updateRunActions();
    });
    connect(session_, &TrainingSession::branchPrepared, this, [this] {
        const auto& parent = session_->parentHistory();
        curves_->clear();
        if (!parent.empty()) curves_->addEpochs(parent.data(), parent.size());
        const auto& s = session_->snapshot();
        metricsLabel_->setText(tr("branch of run #%1 from %2").arg(session_->branchOrigin().parentId).arg(views::weightsLabel(s.epoch, s.step)));
        updateRunActions();
    });
    connect(session_, &TrainingSession::notice, this, [this](const QString& m) { statusBar()->showMessage(m, 10000); });
    // Paused, the label names the weights the panels show, whichever news comes
    // last: the pause itself (the poll before it may already have brought the final
    // weights, with the epoch line), a step, an epoch, or weights in a poll of their own.
    connect(session_, &TrainingSession::epochsFinished, this, [this](int from, const nn::EpochMetrics& m) {
        const auto& h = session_->history();
        curves_->addEpochs(h.data() + from, h.size() - size_t(from));
        if (!namePausedWeights())
            metricsLabel_->setText(tr("epoch %1 · loss %2 · val acc %3").arg(m.epoch).arg(m.trainLoss, 0, 'f', 4).arg(m.valAccuracy, 0, 'f', 3));
    });
    connect(session_, &TrainingSession::progress, this, [this](int done, int total) {
        setProgress(done, total);
    });
    connect(session_, &TrainingSession::stepped, this, [this] { namePausedWeights(); });
    connect(session_, &TrainingSession::snapshotChanged, this, [this] { namePausedWeights(); });
    connect(session_, &TrainingSession::stateChanged, this, [this] { namePausedWeights(); });
    connect(session_, &TrainingSession::finished, this, [this](const nn::TrainResult& r) {
        // The state label says how the run ended, the metrics label where: no word twice.
        QString outcome = tr("Finished");
        if (r.status == nn::TrainStatus::EarlyStopped) outcome = tr("Stopped early");
        else if (r.status == nn::TrainStatus::Diverged) outcome = tr("Diverged");
        else if (r.status == nn::TrainStatus::Cancelled) outcome = tr("Stopped");
        stateLabel_->setText(outcome);
        const auto& s = session_->snapshot();
        const QString weights = s.restored ? tr(", weights of epoch %1 (step %2)").arg(s.epoch).arg(s.step) : QString();
        metricsLabel_->setText(tr("%1 epochs%2 · test acc %3").arg(r.epochs).arg(weights).arg(r.testAccuracy, 0, 'f', 3));
        if (r.status == nn::TrainStatus::Diverged) showError(QString::fromStdString(r.message));
    });
    connect(session_, &TrainingSession::errorOccurred, this, &MainWindow::showError);
    // The loader's notes (a CSV read as Latin-1, a first row taken as the header by its label).
    connect(session_, &TrainingSession::dataChanged, this, [this] {
        const auto data = session_->sharedData();
        if (!data || data->train.notices.empty()) return;
        QStringList notes;
        for (const std::string& n : data->train.notices) notes << QString::fromStdString(n);
        statusBar()->showMessage(notes.join(QStringLiteral("  ·  ")), 15000);
    });
}

void MainWindow::startBranch(const views::HistoryDock::BranchRequest& b)
{
    // The parent's settings in the set-up panel (each change undoable), then its
    // model and the snapshot; Train starts the branch with whatever the user changed.
    const auto& h = b.hyper;
    const int epochsDone = b.state ? b.state->epochs : 0;
    const int epochs = h.value("epochs", 10);
    setup_->setEpochs(epochs > epochsDone ? epochs : 2 * std::max(1, epochsDone));  // a branch must train on
    setup_->setBatch(h.value("batch", 32));
    setup_->setLearningRate(h.value("lr", 0.01));
    setup_->setOptimizer(QString::fromStdString(h.value("optimizer", std::string("adam"))));
    setup_->setSeed(int(b.seed));
    auto apply = [this, b] {
        session_->setModelSpec(b.spec);
        session_->setConfig(setup_->trainConfig());
        session_->prepareBranch(b.state, b.parentId, b.parentStep, b.parentHistory);
        showPage(0);
    };
    if (session_->dataName() == b.dataset && session_->data()) {
        apply();
        return;
    }
    // Load the parent's data first; apply once the session has rebuilt its model.
    auto* once = new QObject(this);
    connect(session_, &TrainingSession::dataChanged, once, [once, apply] {
        QTimer::singleShot(0, once, [once, apply] {
            apply();
            once->deleteLater();
        });
    });
    if (!setup_->selectData(b.dataset)) {
        delete once;
        showError(tr("Run #%1 was trained on '%2', which cannot be loaded here").arg(b.parentId).arg(b.dataset));
    }
}

void MainWindow::showPage(int page) { pages_->setCurrentIndex(page); }

int MainWindow::compressPageIndex() const { return pages_->indexOf(compress_); }

bool MainWindow::namePausedWeights()
{
    const auto& s = session_->snapshot();
    if (session_->state() != TrainingSession::State::Paused || s.step != session_->stepsDone()) return false;
    metricsLabel_->setText(tr("%1 · batch loss %2").arg(views::weightsLabel(s.epoch, s.step)).arg(session_->lastStepLoss(), 0, 'f', 4));
    return true;
}

QString MainWindow::statusText() const { return stateLabel_->text() + " · " + metricsLabel_->text(); }

void MainWindow::updateRunActions()
{
    using S = TrainingSession::State;
    const S s = session_->state();
    const bool canRun = s != S::NoData;
    trainAct_->setEnabled(canRun);
    trainAct_->setText(s == S::Running ? tr("&Pause") : s == S::Paused ? tr("&Resume") : tr("&Train"));
    pauseAct_->setEnabled(s == S::Running);
    stepAct_->setEnabled(canRun);
    stopAct_->setEnabled(s == S::Running || s == S::Paused);
    resetAct_->setEnabled(canRun);
    static const char* names[] = {"No model or data", "Ready", "Training…", "Paused", "Finished"};
    stateLabel_->setText(tr(names[int(s)]));
    // The run's epochs (the set-up's while nothing runs yet), never a stale maximum.
    setProgress(session_->epochsDone(), session_->config().epochs);
}

bool MainWindow::openModel(const QString& path)
{
    if (!loadModel(path)) {
        if (!QFileInfo::exists(path)) removeRecent(path);  // a Recent entry whose file is gone goes
        return false;
    }
    addRecent(path);
    return true;
}

bool MainWindow::loadModel(const QString& path)
{
    if (!QFileInfo::exists(path)) {
        showError(tr("%1: no such model spec file").arg(path));
        return false;
    }
    session_->setConfig(setup_->trainConfig());
    if (!session_->setModelFile(path)) {
        // Refused (it does not fit the data, or does not parse): the form names the
        // model still loaded (a pick put back this way leaves no undo entry).
        if (!session_->modelPath().isEmpty()) setup_->selectModel(session_->modelPath());
        return false;
    }
    setup_->selectModel(path);
    return true;
}

bool MainWindow::openAtStart(const QString& modelPath, const QString& dataName, bool remember)
{
    bool known = true;
    views::withoutFormUndo(setup_, [&] {
        if (remember)
            openModel(modelPath);
        else
            loadModel(modelPath);
        known = setup_->selectData(dataName);
        if (known) setup_->applyDefaults();
        session_->setConfig(setup_->trainConfig());
    });
    undo_->clear();  // and clean: nothing to take back, nothing unsaved
    return known;
}

void MainWindow::addRecent(const QString& path)
{
    QSettings settings;
    QStringList recent = settings.value(kRecentKey).toStringList();
    const QString abs = QFileInfo(path).absoluteFilePath();
    recent.removeAll(abs);
    recent.prepend(abs);
    while (recent.size() > kMaxRecent) recent.removeLast();
    settings.setValue(kRecentKey, recent);
    rebuildRecentMenu();
}

void MainWindow::removeRecent(const QString& path)
{
    QSettings settings;
    QStringList recent = settings.value(kRecentKey).toStringList();
    if (recent.removeAll(QFileInfo(path).absoluteFilePath()) == 0) return;
    settings.setValue(kRecentKey, recent);
    rebuildRecentMenu();
}

void MainWindow::rebuildRecentMenu()
{
    recentMenu_->clear();
    const QStringList recent = QSettings().value(kRecentKey).toStringList();
    for (const QString& path : recent)
        recentMenu_->addAction(QFileInfo(path).fileName(), this, [this, path] {
            if (openModel(path)) setup_->bringDefaults(views::SetupPanel::Picked::Model);
        })->setStatusTip(path);
    recentMenu_->setEnabled(!recent.isEmpty());
}

void MainWindow::exportChartDialog()
{
    const QList<QPair<QString, views::Exportable*>> charts {{curves_->exportTitle(), curves_},
                                                            {boundary_->exportTitle(), boundary_},
                                                            {confusion_->exportTitle(), confusion_}};
    QStringList names;
    for (const auto& c : charts) names << c.first;
    bool ok = false;
    const QString which = QInputDialog::getItem(this, tr("Export chart"), tr("Chart:"), names, 0, false, &ok);
    if (!ok) return;
    views::Exportable* chart = charts[names.indexOf(which)].second;
    const QString suggested = chart->exportTitle().toLower().replace(' ', '-') + ".png";
    const QString path = views::saveFileName(this, "chart", tr("Export chart"), suggested,
                                                      tr("PNG image (*.png);;SVG drawing (*.svg);;CSV table (*.csv)"));
    if (path.isEmpty()) return;
    const QString error = views::exportChart(*chart, path);
    if (!error.isEmpty()) showError(error);
    else statusBar()->showMessage(tr("Exported %1").arg(path), 4000);
}

void MainWindow::saveModelSpec()
{
    if (!session_->spec()) {
        showError(tr("There is no model to save yet: open a model spec first (File → Open model)."));
        return;
    }
    const QString path = views::saveFileName(this, "model", tr("Save model spec"), QString::fromStdString(session_->spec()->name) + ".json",
                                             tr("Model specs (*.json)"));
    if (path.isEmpty()) return;
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        showError(tr("%1: cannot write (%2)").arg(path, f.errorString()));
        return;
    }
    f.write(QByteArray::fromStdString(session_->spec()->toJson().dump(2)));
    statusBar()->showMessage(tr("Saved %1").arg(path), 4000);
}

QString MainWindow::saveTrainedModel(const QString& path)
{
    const auto model = session_->currentModel();
    if (!model) {
        showError(tr("There is no model to save yet: open a model and a data set first."));
        return tr("no model");
    }
    try {
        nn::io::ModelFileExtras extras;
        extras.classNames = session_->data()->train.classNames;
        const auto state = session_->modelState();  // the state behind the saved weights
        if (state && !state->optimizer.empty()) {  // so training can resume where it stopped
            extras.optimizerKind = session_->config().optimizer.kind;
            extras.optimizerState = state->optimizer;
        }
        extras.metadata = {{"data", session_->dataName().toStdString()}, {"seed", session_->config().seed},
                           {"epochs", session_->snapshot().epoch}, {"saved_by", "nnstudio"}};
        nn::io::saveModelFile(path.toStdString(), *model, extras);
    } catch (const nn::Error& e) {
        showError(QString::fromUtf8(e.what()));
        return QString::fromUtf8(e.what());
    }
    statusBar()->showMessage(tr("Saved the trained model to %1").arg(path), 4000);
    return {};
}

QString MainWindow::exportOnnx(const QString& path)
{
    const auto model = session_->currentModel();
    if (!model) {
        showError(tr("There is no model to export yet: open a model and a data set first."));
        return tr("no model");
    }
    try {
        nn::io::exportOnnx(*model, path.toStdString());
    } catch (const nn::Error& e) {
        showError(QString::fromUtf8(e.what()));
        return QString::fromUtf8(e.what());
    }
    statusBar()->showMessage(tr("Exported %1 (ONNX opset %2)").arg(path).arg(nn::io::kOnnxOpset), 4000);
    return {};
}

void MainWindow::showShortcuts()
{
    QString rows;
    for (QAction* a : {trainAct_, stepAct_, stopAct_, resetAct_, projectorAct_})
        rows += QString("<tr><td><b>%1</b></td><td>%2</td></tr>").arg(a->shortcut().toString(QKeySequence::NativeText), a->statusTip());
    rows += tr("<tr><td><b>Ctrl+O / Ctrl+S</b></td><td>Open / save a model spec</td></tr>"
               "<tr><td><b>Ctrl+Shift+S</b></td><td>Save the trained model (.nnm)</td></tr>"
               "<tr><td><b>Ctrl+1 / Ctrl+2</b></td><td>Training dashboard / backprop stepper</td></tr>"
               "<tr><td><b>→ / ← (stepper)</b></td><td>Forward step / backward step</td></tr>"
               "<tr><td><b>Ctrl+3</b></td><td>Network builder</td></tr>"
               "<tr><td><b>Delete, Ctrl+C / Ctrl+V, Ctrl+L, Ctrl+0 (builder)</b></td><td>Delete / copy / paste the selection, auto-layout, fit the network</td></tr>"
               "<tr><td><b>Wheel, middle drag or Space + drag (builder)</b></td><td>Zoom, pan</td></tr>"
               "<tr><td><b>Ctrl+4</b></td><td>Compress page</td></tr>"
               "<tr><td><b>Ctrl+Return / Esc (compress)</b></td><td>Run / cancel the pipeline</td></tr>"
               "<tr><td><b>Ctrl+L, Ctrl+↑ / ↓, ← / → (compress)</b></td><td>Edit the pipeline, previous / next layer, previous / next stage</td></tr>"
               "<tr><td><b>Ctrl+E</b></td><td>Export a chart as PNG, SVG or CSV</td></tr>"
               "<tr><td><b>Ctrl+Z / Ctrl+Shift+Z</b></td><td>Undo / redo</td></tr>");
    QMessageBox::information(this, tr("Keyboard shortcuts"), "<table cellspacing=8>" + rows + "</table>");
}

void MainWindow::showError(const QString& message)
{
    statusBar()->showMessage(message, 10000);
    if (qEnvironmentVariableIsSet("NNSTUDIO_NO_DIALOGS")) return;  // tests and screenshots must not block
    QMessageBox::warning(this, tr("NN Studio"), message);
}

void MainWindow::closeEvent(QCloseEvent* e)
{
    session_->stop();
    compress_->cancel();
    QSettings settings;
    settings.setValue("window/geometry", saveGeometry());
    settings.setValue("window/state", saveState());
    e->accept();
}

void MainWindow::createBuilder()
{
    builder_ = new views::builder::BuilderView(undo_);
    const int at = pages_->indexOf(stepper_->parentWidget()->parentWidget()) + 1;  // after the stepper's scroll area
    pages_->insertTab(at, builder_, tr("Network builder"));
    pages_->setTabToolTip(at, tr("Build a network by dragging layers; see shapes, parameters, FLOPs and errors live (Ctrl+3)"));
    auto* show = new QAction(tr("Network &builder"), this);
    show->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_3));
    connect(show, &QAction::triggered, this, &MainWindow::showBuilder);
    const auto acts = viewMenu_->actions();
    viewMenu_->insertAction(acts.size() > 2 ? acts[2] : nullptr, show);
    builder_->dashboardModelPath = [this] { return setup_->modelPath(); };
    builder_->twoDClasses = [this] { return setup_->sourceOptions().twoD.classes; };
    connect(builder_, &views::builder::BuilderView::trainRequested, this, &MainWindow::trainFromBuilder);
    connect(projectorAct_, &QAction::toggled, builder_, [this](bool on) { builder_->setUiScale(on ? 2.0 : 1.0); });
    // The builder wants the width: the set-up dock steps aside while it shows.
    connect(pages_, &QTabWidget::currentChanged, this, [this](int page) {
        auto* setupDock = findChild<QDockWidget*>("setupDock");
        if (pages_->widget(page) == builder_ && setupDock && !setupDock->isHidden() && !setupDock->isFloating()) {
            hiddenForBuilder_ = setupDock;
            setupDock->hide();
        } else if (pages_->widget(page) != builder_ && hiddenForBuilder_) {
            hiddenForBuilder_->show();
            hiddenForBuilder_ = nullptr;
        }
    });
}

void MainWindow::showBuilder() { pages_->setCurrentWidget(builder_); }

void MainWindow::trainFromBuilder(const QString& specPath, const QString& dataName)
{
    // The data first: a spec is checked against the data it will train on, and
    // while that loads the check waits for it.
    if (setup_->dataName() != dataName) setup_->selectData(dataName);
    openModel(specPath);
    showPage(0);
    // Loading runs in the background: start when the session says it is ready.
    auto once = std::make_shared<QMetaObject::Connection>();
    auto fail = std::make_shared<QMetaObject::Connection>();
    auto go = [this, once, fail] {
        if (session_->busyLoading() || session_->state() != TrainingSession::State::Ready) return;
        disconnect(*once);
        disconnect(*fail);
        session_->setConfig(setup_->trainConfig());
        session_->train();
    };
    *once = connect(session_, &TrainingSession::stateChanged, this, go);
    *fail = connect(session_, &TrainingSession::errorOccurred, this, [this, once, fail] {
        disconnect(*once);
        disconnect(*fail);
    });
    QTimer::singleShot(0, this, go);
}

void MainWindow::installFieldKeys()
{
    new FieldKeys(this, {trainAct_, undoAct_, redoAct_}, [this] { return pages_->currentWidget(); });
}

void MainWindow::connectTrainingHints()
{
    auto update = [this](bool diverged) {
        const views::LossHint h = views::lossHint(session_->history(), session_->config().lr, diverged);
        setup_->setTrainingHint(h.text, h.suggestedLr);
    };
    connect(session_, &TrainingSession::epochsFinished, this, [update] { update(false); });
    connect(session_, &TrainingSession::finished, this, [update](const nn::TrainResult& r) {
        update(r.status == nn::TrainStatus::Diverged);
    });
    auto clear = [this] { setup_->setTrainingHint({}); };  // a new run has nothing to say yet
    connect(session_, &TrainingSession::modelChanged, this, clear);
    connect(session_, &TrainingSession::dataChanged, this, clear);
    connect(session_, &TrainingSession::stateChanged, this, [clear](TrainingSession::State s) {
        if (s == TrainingSession::State::Ready) clear();
    });
}
