#include "views/dashboard/setup_panel.h"

#include <algorithm>

#include <QComboBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QLabel>
#include <QSpinBox>
#include <QTimer>
#include <QVBoxLayout>

#include "views/common/file_dialog.h"
#include "views/common/paths.h"
#include "views/dashboard/setup_undo.h"
#include "views/dashboard/training_defaults.h"

namespace views {

namespace {
const char* kCsvItem = "CSV file…";
const char* kOpenSpecItem = "Open spec…";
} // namespace

SetupPanel::SetupPanel(QWidget* parent) : QWidget(parent)
{
    // ---- data ------------------------------------------------------------------------
    data_ = new QComboBox;
    data_->addItem(tr("Spiral"), "spiral");
    data_->addItem(tr("Circles"), "circles");
    data_->addItem(tr("XOR"), "xor");
    data_->addItem(tr("Gaussian clusters"), "gaussians");
    data_->addItem(tr("Fashion-MNIST"), "fashion-mnist");
    data_->addItem(tr(kCsvItem), QString());
    data_->setItemData(data_->count() - 1, true, kFormActionRole);
    data_->setItemData(data_->count() - 1, tr("Open a CSV file: numeric columns, the last one the label"), Qt::ToolTipRole);
    data_->setToolTip(tr("The data set to learn. The 2-D sets show a decision boundary; "
                         "Fashion-MNIST is 70 000 clothing images in 10 classes."));
    points_ = new QSpinBox;
    points_->setRange(20, 100000);
    points_->setValue(500);
    points_->setToolTip(tr("How many points the 2-D set has (split into train, validation and test)"));
    noise_ = new QDoubleSpinBox;
    noise_->setRange(0.0, 2.0);
    noise_->setSingleStep(0.05);
    noise_->setValue(0.1);
    noise_->setToolTip(tr("Random jitter added to each point: more noise, more overlap between classes"));
    classes_ = new QSpinBox;
    classes_->setRange(2, 10);
    classes_->setValue(2);
    classes_->setToolTip(tr("Number of spiral arms or Gaussian clusters"));
    limit_ = new QSpinBox;
    limit_->setRange(0, 60000);
    limit_->setSingleStep(1000);
    limit_->setSpecialValueText(tr("all"));
    limit_->setToolTip(tr("Use only the first N training images (faster runs in class); 0 = all 60 000"));

    auto* dataBox = new QGroupBox(tr("Data"));
    auto* dataForm = new QFormLayout(dataBox);
    dataForm->addRow(tr("&Set"), data_);
    dataForm->addRow(tr("&Points"), points_);
    dataForm->addRow(tr("&Noise"), noise_);
    dataForm->addRow(tr("C&lasses"), classes_);
    dataForm->addRow(tr("&Images"), limit_);

    // ---- model -----------------------------------------------------------------------
    model_ = new QComboBox;
    const QDir models(sampleModelsDir());
    for (const QFileInfo& f : models.entryInfoList({"*.json"}, QDir::Files, QDir::Name))
        model_->addItem(f.completeBaseName(), f.absoluteFilePath());
    model_->addItem(tr(kOpenSpecItem), QString());
    model_->setItemData(model_->count() - 1, true, kFormActionRole);
    model_->setToolTip(tr("The network: a sample spec from assets/models, or any spec file you open"));
    auto* modelBox = new QGroupBox(tr("Model"));
    auto* modelForm = new QFormLayout(modelBox);
    modelForm->addRow(tr("&Spec"), model_);

    // ---- training --------------------------------------------------------------------
    optimizer_ = new QComboBox;
    optimizer_->addItem(tr("Adam"), "adam");
    optimizer_->addItem(tr("SGD + momentum"), "momentum");
    optimizer_->addItem(tr("SGD"), "sgd");
    optimizer_->setToolTip(tr("How gradients become weight updates"));
    lr_ = new QDoubleSpinBox;
    lr_->setDecimals(5);
    lr_->setRange(0.00001, 100.0);
    lr_->setSingleStep(0.001);
    lr_->setValue(0.03);
    lr_->setToolTip(tr("Step size of each update. Too large diverges (NaN), too small crawls."));
    batch_ = new QSpinBox;
    batch_->setRange(1, 4096);
    batch_->setValue(10);
    batch_->setToolTip(tr("Samples per mini-batch: one update per batch"));
    epochs_ = new QSpinBox;
    epochs_->setRange(1, 100000);
    epochs_->setValue(300);
    epochs_->setToolTip(tr("Passes over the training set"));
    seed_ = new QSpinBox;
    seed_->setRange(0, 1000000);
    seed_->setValue(1);
    seed_->setToolTip(tr("Seeds the data, the initial weights and the shuffling: same seed, same run"));
    weightDecay_ = new QDoubleSpinBox;
    weightDecay_->setDecimals(5);
    weightDecay_->setRange(0.0, 1.0);
    weightDecay_->setSingleStep(0.0001);
    weightDecay_->setToolTip(tr("L2 regularisation: pulls every weight towards zero each update"));
    schedule_ = new QComboBox;
    schedule_->addItem(tr("constant"), "constant");
    schedule_->addItem(tr("step (÷10 every 10 epochs)"), "step");
    schedule_->addItem(tr("cosine"), "cosine");
    schedule_->setToolTip(tr("How the learning rate changes over the epochs"));
    patience_ = new QSpinBox;
    patience_->setRange(0, 1000);
    patience_->setSpecialValueText(tr("off"));
    patience_->setToolTip(tr("Early stop: end the run after this many epochs without a better validation loss"));

    auto* trainBox = new QGroupBox(tr("Training"));
    auto* trainForm = new QFormLayout(trainBox);
    trainForm->addRow(tr("&Optimizer"), optimizer_);
    trainForm->addRow(tr("Learning &rate"), lr_);
    hint_ = new QLabel;
    hint_->setObjectName("trainingHint");
    hint_->setWordWrap(true);
    hint_->setTextFormat(Qt::RichText);
    hint_->setStyleSheet("QLabel { background: #fff3cd; color: #664d03; border: 1px solid #e0c46c; border-radius: 3px; padding: 4px; }");
    hint_->hide();
    connect(hint_, &QLabel::linkActivated, this, [this] {
        if (suggestedLr_ > 0) setLearningRate(suggestedLr_);  // an undoable change like any other
    });
    trainForm->addRow(hint_);
    trainForm->addRow(tr("&Batch"), batch_);
    trainForm->addRow(tr("&Epochs"), epochs_);
    trainForm->addRow(tr("See&d"), seed_);
    trainForm->addRow(tr("&Weight decay"), weightDecay_);
    trainForm->addRow(tr("Sc&hedule"), schedule_);
    trainForm->addRow(tr("Early s&top"), patience_);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(8, 8, 8, 8);
    layout->setSpacing(10);
    layout->addWidget(dataBox);
    layout->addWidget(modelBox);
    layout->addWidget(trainBox);
    layout->addStretch(1);

    dataDebounce_ = new QTimer(this);
    dataDebounce_->setSingleShot(true);
    dataDebounce_->setInterval(250);
    connect(dataDebounce_, &QTimer::timeout, this, &SetupPanel::requestData);
    // Picking "CSV file…" or "Open spec…" opens a dialog and leaves the box on the
    // current item; what the dialog brings is the change (cancel: no change).
    auto isAction = [](QComboBox* c, int i) { return c->itemData(i, kFormActionRole).toBool(); };
    connect(data_, &QComboBox::currentIndexChanged, this, [this, isAction](int i) {
        if (!isAction(data_, i)) lastData_ = i;
    });
    connect(model_, &QComboBox::currentIndexChanged, this, [this, isAction](int i) {
        if (!isAction(model_, i)) lastModel_ = i;
    });
    connect(data_, &QComboBox::activated, this, [this, isAction](int i) {
        if (isAction(data_, i)) {
            data_->setCurrentIndex(lastData_);
            if (!formUndoReplaying(this)) openCsv();
            return;
        }
        updateDataControls();
        dataDebounce_->start();
        bringDefaults(Picked::Data);
    });
    for (QSpinBox* s : {points_, classes_, limit_, seed_})
        connect(s, &QSpinBox::valueChanged, dataDebounce_, qOverload<>(&QTimer::start));
    connect(noise_, &QDoubleSpinBox::valueChanged, dataDebounce_, qOverload<>(&QTimer::start));
    connect(model_, &QComboBox::activated, this, [this, isAction](int i) {
        if (isAction(model_, i)) {
            model_->setCurrentIndex(lastModel_);
            if (!formUndoReplaying(this)) openSpec();
            return;
        }
        const QString picked = modelPath();
        emit modelRequested(picked);
        if (modelPath() == picked) bringDefaults(Picked::Model);  // not for a spec refused (and put back)
    });
    for (QSpinBox* s : {batch_, epochs_, seed_, patience_}) connect(s, &QSpinBox::valueChanged, this, &SetupPanel::configChanged);
    for (QDoubleSpinBox* s : {lr_, weightDecay_}) connect(s, &QDoubleSpinBox::valueChanged, this, &SetupPanel::configChanged);
    for (QComboBox* c : {optimizer_, schedule_}) connect(c, &QComboBox::currentIndexChanged, this, &SetupPanel::configChanged);
    updateDataControls();
}

bool SetupPanel::isCsv() const { return defaultsKey(dataName()) == "csv"; }

void SetupPanel::updateDataControls()
{
    const QString d = data_->currentData().toString();
    const bool twoD = d != "fashion-mnist" && !isCsv();
    points_->setEnabled(twoD);
    noise_->setEnabled(twoD);
    classes_->setEnabled(d == "spiral" || d == "gaussians");
    limit_->setEnabled(d == "fashion-mnist");
}

int SetupPanel::csvItem(const QString& path)
{
    const QString abs = QFileInfo(path).absoluteFilePath();
    int i = data_->findData(abs);
    if (i < 0) {
        i = data_->count() - 1;  // before "CSV file…"
        data_->insertItem(i, QFileInfo(abs).fileName(), abs);
        data_->setItemData(i, abs, Qt::ToolTipRole);
    }
    return i;
}

void SetupPanel::openCsv()
{
    const QString path = openFileName(this, "csv", tr("Open CSV data"), tr("CSV files (*.csv)"));
    if (!path.isEmpty()) pickData(path);
}

void SetupPanel::openSpec()
{
    const QString path = openFileName(this, "model", tr("Open model spec"), tr("Model specs (*.json)"), sampleModelsDir());
    if (path.isEmpty()) return;
    emit modelRequested(path);  // selected here once it has opened
    if (modelPath() == QFileInfo(path).absoluteFilePath()) bringDefaults(Picked::Model);
}

QString SetupPanel::dataName() const { return data_->currentData().toString(); }

nn::data::SourceOptions SetupPanel::sourceOptions() const
{
    nn::data::SourceOptions o;
    o.twoD.points = points_->value();
    o.twoD.noise = noise_->value();
    o.twoD.classes = classes_->value();
    o.twoD.seed = uint64_t(seed_->value());
    o.splitSeed = uint64_t(seed_->value());
    o.limit = size_t(limit_->value());
    if (data_->currentData().toString() == "fashion-mnist") o.validationFraction = 5000.0 / 60000.0;
    return o;
}

void SetupPanel::requestData()
{
    const QString name = dataName();
    if (!name.isEmpty()) emit dataRequested(name, sourceOptions());
}

QString SetupPanel::modelPath() const { return model_->currentData().toString(); }

nn::TrainConfig SetupPanel::trainConfig() const
{
    nn::TrainConfig c;
    c.optimizer.kind = optimizer_->currentData().toString().toStdString();
    c.lr = float(lr_->value());
    c.batch = batch_->value();
    c.epochs = epochs_->value();
    c.seed = uint64_t(seed_->value());
    c.optimizer.weightDecay = float(weightDecay_->value());
    c.schedule.kind = schedule_->currentData().toString().toStdString();
    c.patience = patience_->value();
    c.stepEventEvery = 10;
    return c;
}

bool SetupPanel::selectData(const QString& name)
{
    int i = name.isEmpty() ? -1 : data_->findData(name);
    if (i < 0 || data_->itemData(i, kFormActionRole).toBool()) {
        if (!name.endsWith(".csv", Qt::CaseInsensitive)) return false;
        i = csvItem(name);
    }
    data_->setCurrentIndex(i);
    updateDataControls();
    requestData();
    return true;
}

bool SetupPanel::pickData(const QString& name)
{
    if (!selectData(name)) return false;
    bringDefaults(Picked::Data);
    return true;
}

void SetupPanel::applyDefaults()
{
    const TrainingDefaults d = trainingDefaults(dataName(), modelPath());
    if (!d.error.isEmpty()) setTrainingHint(d.error.toHtmlEscaped());
    const auto& v = d.values;
    if (v.contains("optimizer")) setOptimizer(QString::fromStdString(v["optimizer"].get<std::string>()));
    if (v.contains("lr")) lr_->setValue(v["lr"].get<double>());
    if (v.contains("batch")) batch_->setValue(v["batch"].get<int>());
    if (v.contains("epochs")) epochs_->setValue(v["epochs"].get<int>());
    if (v.contains("weight_decay")) weightDecay_->setValue(v["weight_decay"].get<double>());
    if (v.contains("schedule")) schedule_->setCurrentIndex(std::max(0, schedule_->findData(QString::fromStdString(v["schedule"].get<std::string>()))));
    if (v.contains("patience")) patience_->setValue(v["patience"].get<int>());
}

void SetupPanel::bringDefaults(Picked picked)
{
    if (formUndoReplaying(this)) return;  // the command being undone or redone restores them itself
    addToLastFormChange(this, picked == Picked::Data ? static_cast<QWidget*>(data_) : model_, [this] { applyDefaults(); });
}

void SetupPanel::setTrainingHint(const QString& text, double suggestedLr)
{
    suggestedLr_ = suggestedLr;
    QString html = text;
    if (suggestedLr > 0) html += QString(" <a href=\"lr\">%1</a>").arg(tr("Use %1").arg(suggestedLr, 0, 'g', 3));
    hint_->setText(html);
    hint_->setVisible(!text.isEmpty());
}

QString SetupPanel::trainingHint() const { return hint_->isVisible() ? hint_->text() : QString(); }

bool SetupPanel::selectModel(const QString& path)
{
    const QString abs = QFileInfo(path).absoluteFilePath();
    int i = model_->findData(abs);
    if (i < 0) {
        model_->insertItem(model_->count() - 1, QFileInfo(path).completeBaseName(), abs);
        i = model_->findData(abs);
    }
    model_->setCurrentIndex(i);
    return true;
}

void SetupPanel::setEpochs(int epochs) { epochs_->setValue(epochs); }
void SetupPanel::setImageLimit(int images)
{
    {
        const QSignalBlocker quiet(limit_);
        limit_->setValue(images);
    }
    if (data_->currentData().toString() == "fashion-mnist") requestData();
}
void SetupPanel::setLearningRate(double lr) { lr_->setValue(lr); }
void SetupPanel::setBatch(int batch) { batch_->setValue(batch); }
void SetupPanel::setSeed(int seed) { seed_->setValue(seed); }
void SetupPanel::setOptimizer(const QString& kind)
{
    const int i = optimizer_->findData(kind);
    if (i >= 0) optimizer_->setCurrentIndex(i);
}

void SetupPanel::setUiScale(double scale)
{
    QFont f = QWidget::font();
    f.setPointSizeF(QFont().pointSizeF() * scale);
    setFont(f);
}

} // namespace views
