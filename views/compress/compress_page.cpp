#include "views/compress/compress_page.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QShortcut>
#include <QSpinBox>
#include <QSplitter>
#include <QTabWidget>
#include <QVBoxLayout>

#include "views/common/file_dialog.h"
#include "views/compress/compress_runner.h"
#include "views/compress/filmstrip_view.h"
#include "views/compress/huffman_table.h"
#include "views/compress/layer_table.h"
#include "views/compress/sensitivity_chart.h"
#include "views/compress/storage_chart.h"
#include "views/compress/storage_formats.h"
#include "views/compress/sweep_runner.h"
#include "views/training/training_session.h"

// The page's widgets, their layout and shortcuts (compress_page_source.cpp: where
// the model comes from; compress_page_run.cpp: running and showing the results).

namespace views::compress {

namespace {
const char* kDefaultPipeline = "prune:0.9,retrain:2,share:5,retrain:1,huffman";

struct Preset {
    const char* name;
    const char* pipeline;
    const char* tip;
    bool button;  // a button of its own; the others are in the "More presets" menu
};
// Offered when the engine's parser accepts them (a stage kind it does not know
// yet hides its preset rather than offering a pipeline that cannot run).
const Preset kPresets[] = {
    {"Deep Compression", "prune:0.9,retrain:2,share:5,retrain:1,huffman",
     "Han et al.'s three stages: prune 90% of each layer, retrain, share 32 values per layer, retrain the "
     "centroids, Huffman code", true},
    {"Iterative pruning", "prune:0.5,retrain:1,prune:0.75,retrain:1,prune:0.9,retrain:1",
     "Prune a little, retrain, prune more: the network recovers better than from one big cut", true},
    {"Pruning without retraining", "prune:0.5,prune:0.75,prune:0.9",
     "The same cuts with no retraining in between: watch the accuracy fall", false},
    {"Weight sharing", "share:4,retrain:1,huffman", "No pruning: 16 values per layer, retrained, Huffman coded", false},
    {"Global pruning", "gprune:0.9,retrain:2",
     "One threshold for all layers: the big layers, with many small weights, lose more", false},
    {"Dense-Sparse-Dense", "prune:0.5,retrain:2,dsd:2",
     "Prune and retrain, then release the mask and train densely again (DSD): often more accurate than before", false},
    {"Fixed point, 6 bits", "prune:0.9,retrain:2,fixed:6,retrain:1",
     "Pruned, then every weight on a 6-bit fixed-point grid (evenly spaced values), retrained", false},
    {"int8", "prune:0.9,retrain:2,int8", "Pruned, then 8-bit integers with a scale and a zero point per tensor", false},
    {"int8 weights and layer outputs", "int8,act8",
     "8-bit weights, then every layer output rounded to 8 bits as well when the test set is evaluated (calibrated on "
     "training data): what an integer-only accelerator would compute", false},
    {"Ternary", "ternary,retrain:2", "Every weight −Wn, 0 or +Wp (two learned scales per layer): 2 bits a weight", false},
    {"Binary", "binary,retrain:2", "Every weight ±α (one scale per layer): 1 bit a weight", false},
    {"Low rank", "lowrank:0.8,retrain:1",
     "Each dense layer replaced by its SVD truncated to keep 80% of the energy, retrained", false},
};

bool parses(const std::string& text)
{
    try {
        nn::compress::parsePipeline(text);
        return true;
    } catch (const std::exception&) {
        return false;
    }
}

} // namespace


CompressPage::CompressPage(TrainingSession* session, QWidget* parent)
    : QWidget(parent), session_(session), runner_(new CompressRunner(this)), sweeps_(new SweepRunner(this))
{
    setObjectName("compressPage");
    buildUi();
    buildShortcuts();
    connect(runner_, &CompressRunner::stageFinished, this, &CompressPage::onStage);
    connect(runner_, &CompressRunner::progress, this, &CompressPage::onProgress);
    connect(runner_, &CompressRunner::finished, this, &CompressPage::onFinished);
    connect(runner_, &CompressRunner::recorded, this, [this](qint64 id, const QString& storeError) {
        recordedRun_ = id;
        recordError_ = storeError;
        if (id) emit runRecorded(id);
    });
    connect(runner_, &CompressRunner::timed, this, [this](double denseMs, double compressedMs, int rounds) {
        timing_ = tr("Speed: one pass over the test set takes %1 ms with the dense weights and %2 ms with the "
                     "compressed ones (alternating, best of %3). The same dense f32 kernels run both, multiplying "
                     "the pruned zeros and the shared values: smaller is not faster here.")
                      .arg(denseMs, 0, 'f', 1)
                      .arg(compressedMs, 0, 'f', 1)
                      .arg(rounds);
        showStageDetails();
    });
    connect(sweeps_, &SweepRunner::point, sensitivity_, &SensitivityChart::addPoint);
    connect(sweeps_, &SweepRunner::progress, this, [this](double fraction, const QString& message) {
        progress_->setValue(int(std::clamp(fraction, 0.0, 1.0) * kProgressSteps));
        setStatus(tr("Sweeps · %1").arg(message), false);
    });
    connect(sweeps_, &SweepRunner::finished, this, [this](bool cancelled, const QString& error) {
        updateButtons();
        if (!error.isEmpty())
            setStatus(tr("The sweeps stopped: %1").arg(error), true);
        else if (cancelled)
            setStatus(tr("Sweeps cancelled; the points done are shown."), false);
        else {
            progress_->setValue(kProgressSteps);
            setStatus(tr("Sweeps done: %1 points.").arg(sensitivity_->points().size()), false);
        }
        dropStaleResults();  // the dashboard's model changed during the sweeps
        emit sweepsFinished(cancelled, error);
    });
    for (auto signal : {&TrainingSession::modelChanged, &TrainingSession::dataChanged})
        connect(session_, signal, this, &CompressPage::updateSource);
    connect(session_, &TrainingSession::stateChanged, this, &CompressPage::updateSource);
    setPipeline(kDefaultPipeline);
    updateSource();
}

CompressPage::~CompressPage() = default;

void CompressPage::buildUi()
{
    // ---- source ----
    sourceLabel_ = new QLabel;
    sourceLabel_->setWordWrap(true);
    sourceLabel_->setTextFormat(Qt::RichText);
    dashboardButton_ = new QPushButton(tr("&Dashboard model"));
    dashboardButton_->setToolTip(tr("Compress a copy of the model trained on the dashboard, on its data set. "
                                    "The dashboard's model is never changed."));
    connect(dashboardButton_, &QPushButton::clicked, this, &CompressPage::useDashboardModel);
    openButton_ = new QPushButton(tr("&Open .nnm…"));
    openButton_->setToolTip(tr("Compress a trained model saved as .nnm (File → Save trained model, or nnstudio-cli "
                               "train --out), on the data set it names"));
    connect(openButton_, &QPushButton::clicked, this, [this] {
        const QString path = views::openFileName(this, "nnm", tr("Open trained model"), tr("NN Studio models (*.nnm)"));
        if (!path.isEmpty()) openModelFile(path);
    });
    saveButton_ = new QPushButton(tr("Sa&ve compressed…"));
    saveButton_->setToolTip(tr("Save the compressed model of the last run as .nnm (its weights as f32: pruned zeros "
                               "and shared values)"));
    connect(saveButton_, &QPushButton::clicked, this, [this] {
        const QString path = views::saveFileName(this, "nnm", tr("Save compressed model"), "compressed.nnm", tr("NN Studio models (*.nnm)"));
        if (!path.isEmpty()) saveCompressedModel(path);
    });
    auto* sourceRow = new QHBoxLayout;
    sourceRow->addWidget(new QLabel(tr("<b>Model</b>")));
    sourceRow->addWidget(sourceLabel_, 1);
    sourceRow->addWidget(dashboardButton_);
    sourceRow->addWidget(openButton_);
    sourceRow->addWidget(saveButton_);

    // ---- pipeline ----
    pipelineEdit_ = new QLineEdit;
    pipelineEdit_->setPlaceholderText(kDefaultPipeline);
    pipelineEdit_->setClearButtonEnabled(true);
    pipelineEdit_->setToolTip(tr("Stages, comma-separated, run in order (Ctrl+L):\n%1")
                                  .arg(QString::fromStdString(nn::compress::pipelineHelp()).trimmed()));
    connect(pipelineEdit_, &QLineEdit::textChanged, this, &CompressPage::validatePipeline);
    connect(pipelineEdit_, &QLineEdit::returnPressed, this, [this] { run(); });
    retrainLr_ = new QDoubleSpinBox;
    retrainLr_->setDecimals(5);
    retrainLr_->setRange(0.00001, 1.0);
    retrainLr_->setSingleStep(0.0005);
    retrainLr_->setValue(0.001);
    retrainLr_->setToolTip(tr("Learning rate of the retrain stages. Retraining fine-tunes a trained network: a "
                              "tenth of the usual rate is a good start. Batch, optimizer and seed come from the "
                              "dashboard's set-up."));
    runButton_ = new QPushButton(tr("&Run"));
    runButton_->setToolTip(tr("Run the pipeline on a copy of the model (Ctrl+Return)"));
    runButton_->setDefault(true);
    connect(runButton_, &QPushButton::clicked, this, [this] { run(); });
    cancelButton_ = new QPushButton(tr("Cancel"));
    cancelButton_->setToolTip(tr("Stop after the current training step; the stages done stay shown (Esc)"));
    connect(cancelButton_, &QPushButton::clicked, this, &CompressPage::cancel);
    auto* pipelineRow = new QHBoxLayout;
    auto* pipelineLabel = new QLabel(tr("<b>&Pipeline</b>"));
    pipelineLabel->setBuddy(pipelineEdit_);
    pipelineRow->addWidget(pipelineLabel);
    pipelineRow->addWidget(pipelineEdit_, 1);
    auto* lrLabel = new QLabel(tr("Retrain &lr"));
    lrLabel->setBuddy(retrainLr_);
    pipelineRow->addWidget(lrLabel);
    pipelineRow->addWidget(retrainLr_);
    pipelineRow->addWidget(runButton_);
    pipelineRow->addWidget(cancelButton_);

    auto* presetRow = new QHBoxLayout;
    presetRow->addWidget(new QLabel(tr("Presets:")));
    auto* more = new QPushButton(tr("More presets"));
    more->setToolTip(tr("Pruning without retraining, weight sharing alone, global pruning, Dense-Sparse-Dense, fixed "
                        "point, int8, ternary, binary and low rank"));
    auto* moreMenu = new QMenu(more);
    moreMenu->setToolTipsVisible(true);
    for (const Preset& p : kPresets) {
        if (!parses(p.pipeline)) continue;
        const QString tip = QString("%1\n%2").arg(tr(p.tip), p.pipeline);
        auto apply = [this, text = QString(p.pipeline)] { setPipeline(text); };
        if (!p.button) {
            moreMenu->addAction(tr(p.name), this, apply)->setToolTip(tip);
            continue;
        }
        auto* b = new QPushButton(tr(p.name));
        b->setToolTip(tip);
        connect(b, &QPushButton::clicked, this, apply);
        presetButtons_ << b;
        presetRow->addWidget(b);
    }
    more->setMenu(moreMenu);
    presetButtons_ << more;
    presetRow->addWidget(more);
    pipelineStatus_ = new QLabel;
    pipelineStatus_->setWordWrap(true);
    presetRow->addWidget(pipelineStatus_, 1);

    progress_ = new QProgressBar;
    progress_->setRange(0, kProgressSteps);
    progress_->setValue(0);
    progress_->setTextVisible(false);
    progress_->setMaximumHeight(QFontMetrics(font()).height());
    status_ = new QLabel;
    status_->setWordWrap(true);
    auto* progressRow = new QHBoxLayout;
    progressRow->addWidget(progress_, 1);
    progressRow->addWidget(status_, 3);

    // ---- filmstrip ----
    layerBox_ = new QComboBox;
    layerBox_->setToolTip(tr("The layer whose weights the filmstrip and the Huffman tables show (Ctrl+Up / Ctrl+Down)"));
    layerBox_->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    logBox_ = new QCheckBox(tr("Lo&g counts"));
    logBox_->setToolTip(tr("Count axis on a log scale: the pruned zeros and the thin tails fit on one axis"));
    exportButton_ = new QPushButton(tr("E&xport"));
    exportButton_->setToolTip(tr("Export the filmstrip, the tables or the storage chart as PNG, SVG or CSV "
                                 "(also on each view's right-click menu)"));
    auto* filmHeader = new QHBoxLayout;
    auto* layerLabel = new QLabel(tr("<b>L&ayer</b>"));
    layerLabel->setToolTip(layerBox_->toolTip());
    layerLabel->setBuddy(layerBox_);
    filmHeader->addWidget(layerLabel);
    filmHeader->addWidget(layerBox_);
    filmHeader->addWidget(logBox_);
    auto* legend = new QLabel(tr("<span style='color:#1f77b4'>■</span> weights &nbsp; "
                                 "<span style='color:#d62728'>■</span> exactly zero (pruned)"));
    legend->setToolTip(tr("The dashed line in each frame is the value 0; every frame uses the dense model's axes "
                          "for this layer"));
    filmHeader->addWidget(legend);
    filmHeader->addStretch(1);
    filmHeader->addWidget(exportButton_);

    filmstrip_ = new FilmstripView;
    auto* filmScroll = new QScrollArea;
    filmScroll->setWidget(filmstrip_);
    filmScroll->setWidgetResizable(true);
    filmScroll->setFrameShape(QFrame::StyledPanel);
    filmScroll->setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    auto* filmPanel = new QWidget;
    auto* filmLayout = new QVBoxLayout(filmPanel);
    filmLayout->setContentsMargins(0, 0, 0, 0);
    filmLayout->addLayout(filmHeader);
    filmLayout->addWidget(filmScroll, 1);
    connect(layerBox_, &QComboBox::currentIndexChanged, this, [this](int i) {
        filmstrip_->setLayer(std::max(0, i));
        showStageDetails();
    });
    connect(logBox_, &QCheckBox::toggled, filmstrip_, &FilmstripView::setLogScale);
    connect(filmstrip_, &FilmstripView::stageSelected, this, [this](int i) {
        followNewest_ = i == int(stages_.size()) - 1;
        selectStage(i);
    });

    // ---- details ----
    layerTable_ = new LayerTable;
    huffman_ = new HuffmanTable;
    storage_ = new StorageChart;
    stageSummary_ = new QLabel;
    stageSummary_->setWordWrap(true);
    stageSummary_->setToolTip(tr("Speed: this build runs pruned and shared weights through the same dense f32 "
                                 "kernels, so a smaller model is not a faster one here; EIE-style sparse hardware "
                                 "or kernels would be needed for that."));
    auto* layersTab = new QWidget;
    auto* layersLayout = new QVBoxLayout(layersTab);
    layersLayout->setContentsMargins(0, 0, 0, 0);
    layersLayout->addWidget(stageSummary_);
    layersLayout->addWidget(layerTable_, 1);
    tabs_ = new QTabWidget;
    tabs_->addTab(layersTab, tr("Layers"));
    tabs_->addTab(huffman_, tr("Huffman codes"));
    tabs_->addTab(storage_, tr("Storage by stage"));
    sensitivity_ = new SensitivityChart;
    sweepEpochs_ = new QSpinBox;
    sweepEpochs_->setRange(0, 50);
    sweepEpochs_->setValue(1);
    sweepEpochs_->setToolTip(tr("Epochs of retraining at each pruning point (0: only the curves without retraining). "
                                "Each layer × 11 fractions × this many epochs: the long part of the sweep."));
    sweepButton_ = new QPushButton(tr("Run &sweeps"));
    sweepButton_->setToolTip(tr("Prune each layer alone to 0 … 95% with and without retraining, then store every "
                                "weight in 8 → 1 bits (sharing) and 16 → 2 bits (fixed point), measuring test "
                                "accuracy at each point (Ctrl+Shift+Return; Esc cancels)"));
    connect(sweepButton_, &QPushButton::clicked, this, [this] { runSweeps(); });
    auto* sweepRow = new QHBoxLayout;
    auto* epochsLabel = new QLabel(tr("Retrain &epochs per point"));
    epochsLabel->setBuddy(sweepEpochs_);
    sweepRow->addWidget(epochsLabel);
    sweepRow->addWidget(sweepEpochs_);
    sweepRow->addWidget(sweepButton_);
    sweepRow->addStretch(1);
    auto* sweepTab = new QWidget;
    auto* sweepLayout = new QVBoxLayout(sweepTab);
    sweepLayout->setContentsMargins(0, 0, 0, 0);
    sweepLayout->addLayout(sweepRow);
    sweepLayout->addWidget(sensitivity_, 1);
    tabs_->addTab(sweepTab, tr("Sensitivity"));
    tabs_->setTabToolTip(3, tr("Accuracy vs fraction pruned per layer (with and without retraining) and accuracy "
                               "vs bits (sharing, fixed point)"));
    tabs_->setTabToolTip(0, tr("Per layer: weights, sparsity, bits per weight and the size in every format, at the "
                               "selected stage"));
    tabs_->setTabToolTip(1, tr("The selected layer's Huffman codes: symbol, count, code"));
    tabs_->setTabToolTip(2, tr("Every stage's size in its smallest format, split by layer"));
    for (Exportable* e : exportables()) installExportMenu(e->exportWidget(), e);

    auto* exportMenu = new QMenu(exportButton_);
    const QStringList names {tr("Filmstrip…"), tr("Layer table…"), tr("Huffman codes…"), tr("Storage chart…"),
                             tr("Sensitivity curves…")};
    for (int i = 0; i < exportables().size(); ++i)
        exportMenu->addAction(names.value(i), this, [this, e = exportables()[i]] { exportDialog(e); });
    exportButton_->setMenu(exportMenu);

    auto* split = new QSplitter(Qt::Vertical);
    split->addWidget(filmPanel);
    split->addWidget(tabs_);
    split->setStretchFactor(0, 5);
    split->setStretchFactor(1, 4);
    split->setChildrenCollapsible(false);

    // In a scroll area: at 2x text (projector mode) the page would otherwise be
    // taller than the screen and push the window past it.
    auto* content = new QWidget;
    auto* scroll = new QScrollArea;
    scroll->setWidget(content);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    auto* outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    outer->addWidget(scroll);
    auto* layout = new QVBoxLayout(content);
    layout->addLayout(sourceRow);
    layout->addLayout(pipelineRow);
    layout->addLayout(presetRow);
    layout->addLayout(progressRow);
    layout->addWidget(split, 1);
}

void CompressPage::buildShortcuts()
{
    auto shortcut = [this](const QKeySequence& key, auto slot) {
        auto* s = new QShortcut(key, this);
        s->setContext(Qt::WidgetWithChildrenShortcut);
        connect(s, &QShortcut::activated, this, slot);
    };
    shortcut(QKeySequence(Qt::CTRL | Qt::Key_Return), [this] { run(); });
    shortcut(QKeySequence(Qt::CTRL | Qt::Key_Enter), [this] { run(); });
    shortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_Return), [this] { runSweeps(); });
    shortcut(QKeySequence(Qt::Key_Escape), [this] { cancel(); });
    shortcut(QKeySequence(Qt::CTRL | Qt::Key_L), [this] {
        pipelineEdit_->setFocus();
        pipelineEdit_->selectAll();
    });
    shortcut(QKeySequence(Qt::CTRL | Qt::Key_Up), [this] { selectLayer(layerBox_->currentIndex() - 1); });
    shortcut(QKeySequence(Qt::CTRL | Qt::Key_Down), [this] { selectLayer(layerBox_->currentIndex() + 1); });
}

QList<Exportable*> CompressPage::exportables() const { return {filmstrip_, layerTable_, huffman_, storage_, sensitivity_}; }

void CompressPage::showTab(QWidget* view)
{
    for (int i = 0; i < tabs_->count(); ++i)
        if (tabs_->widget(i) == view || tabs_->widget(i)->isAncestorOf(view)) tabs_->setCurrentIndex(i);
}

QString CompressPage::statusText() const { return status_->text(); }

QString CompressPage::stageSummary() const { return stageSummary_->text(); }

void CompressPage::setStatus(const QString& text, bool error)
{
    status_->setStyleSheet(error ? "color: #c62828;" : QString());
    status_->setText(text);
}

void CompressPage::exportDialog(Exportable* chart)
{
    const QString suggested = chart->exportTitle().toLower().replace(' ', '-') + ".png";
    const QString path = views::saveFileName(this, "chart", tr("Export %1").arg(chart->exportTitle()), suggested,
                                                      tr("PNG image (*.png);;SVG drawing (*.svg);;CSV table (*.csv)"));
    if (path.isEmpty()) return;
    const QString error = exportChart(*chart, path);
    setStatus(error.isEmpty() ? tr("Exported %1").arg(path) : error, !error.isEmpty());
}

void CompressPage::setUiScale(double scale)
{
    filmstrip_->setUiScale(scale);
    progress_->setMaximumHeight(QFontMetrics(font()).height());
}

} // namespace views::compress
