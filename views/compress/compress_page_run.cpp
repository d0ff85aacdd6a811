// The Compress page at work: the pipeline string checked as typed, runs and sweeps
// started and cancelled, stages and progress as they arrive, the selected stage
// and layer shown in the filmstrip and the tabs.
#include "views/compress/compress_page.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>

#include "views/compress/compress_runner.h"
#include "views/compress/filmstrip_view.h"
#include "views/compress/huffman_table.h"
#include "views/compress/layer_table.h"
#include "views/compress/sensitivity_chart.h"
#include "views/compress/storage_chart.h"
#include "views/compress/storage_formats.h"
#include "views/compress/sweep_runner.h"
#include "views/training/training_session.h"

namespace views::compress {

namespace {
// The engine's message names the command-line option; here the field is the option.
QString pipelineMessage(const char* what)
{
    QString m = QString::fromUtf8(what);
    if (m.startsWith("--pipeline ")) m = m.mid(11);
    if (!m.isEmpty()) m[0] = m[0].toUpper();
    return m;
}

// Data options for a saved model's data set, as the CLI uses them (the same seed
} // namespace

// ---- pipeline ---------------------------------------------------------------------------

void CompressPage::setPipeline(const QString& text)
{
    pipelineEdit_->setText(text);
    validatePipeline();
}

QString CompressPage::pipeline() const { return pipelineEdit_->text().trimmed(); }

void CompressPage::validatePipeline()
{
    specs_.clear();
    pipelineError_.clear();
    try {
        specs_ = nn::compress::parsePipeline(pipeline().toStdString());
    } catch (const std::exception& e) {
        pipelineError_ = pipelineMessage(e.what());
    }
    if (pipelineError_.isEmpty()) {
        QStringList steps;
        for (const auto& s : specs_) steps << QString::fromStdString(s.text);
        pipelineStatus_->setText(tr("<span style='color:#2c7a2c'>✔</span> %1 stages: dense → %2")
                                     .arg(specs_.size())
                                     .arg(steps.join(" → ").toHtmlEscaped()));
        pipelineEdit_->setStyleSheet(QString());
    } else {
        pipelineStatus_->setText(QString("<span style='color:#c62828'>✘ %1</span>").arg(pipelineError_.toHtmlEscaped()));
        pipelineEdit_->setStyleSheet("QLineEdit { border: 2px solid #c62828; }");
    }
    updateButtons();
}

void CompressPage::updateButtons()
{
    const bool busy = running();
    runButton_->setEnabled(!busy && pipelineError_.isEmpty() && sourceReady());
    cancelButton_->setEnabled(busy);
    saveButton_->setEnabled(!busy && compressedModel() && !stages_.empty());
    sweepButton_->setEnabled(!busy && sourceReady());
    dashboardButton_->setEnabled(!busy);
    openButton_->setEnabled(!busy);
    pipelineEdit_->setReadOnly(busy);
    for (auto* b : presetButtons_) b->setEnabled(!busy);
}

bool CompressPage::running() const { return runner_->running() || sweeps_->running(); }

const nn::Model* CompressPage::compressedModel() const { return runner_->model(); }

QString CompressPage::run()
{
    auto refuse = [this](const QString& why) {
        setStatus(why, true);
        return why;
    };
    if (running()) return refuse(tr("A pipeline or sweep is already running: cancel it first (Esc)."));
    validatePipeline();
    if (!pipelineError_.isEmpty()) return refuse(pipelineError_);

    std::unique_ptr<nn::Model> model;
    std::shared_ptr<const nn::data::Split> data;
    if (const QString why = takeSource(model, data); !why.isEmpty()) return refuse(why);
    nn::compress::PipelineOptions options;
    options.train = session_->config();
    options.retrainLr = float(retrainLr_->value());

    clearResults(false);  // the sweeps' curves stay: they are of this source too
    resultsSource_ = sourceKey_;
    resultsName_ = tr("%1 on %2").arg(QString::fromStdString(model->spec().name), fromFile_ ? fileDataName_ : session_->dataName());
    runPipeline_ = pipeline();
    recordedRun_ = 0;
    recordError_.clear();
    if (const QString store = historyStore ? historyStore() : QString(); !store.isEmpty()) {
        CompressRunner::Recording rec;
        rec.storePath = store.toStdString();
        rec.pipeline = runPipeline_.toStdString();
        const std::string dataName = (fromFile_ ? fileDataName_ : session_->dataName()).toStdString();
        rec.run.spec = model->spec().toJson();
        rec.run.dataset = dataName;
        rec.run.name = model->spec().name + " on " + dataName + " · " + rec.pipeline;
        rec.run.notes = fromFile_ ? "compressed from " + filePath_.toStdString() : "compressed from the dashboard's model";
        runner_->setRecording(std::move(rec));
    }
    if (!runner_->start(std::move(model), std::move(data), specs_, options))
        return refuse(tr("The pipeline could not start."));
    progress_->setValue(0);
    setStatus(tr("Evaluating the dense model…"), false);
    updateButtons();
    emit runStarted();
    return {};
}

QString CompressPage::runSweeps()
{
    auto refuse = [this](const QString& why) {
        setStatus(why, true);
        return why;
    };
    if (running()) return refuse(tr("A pipeline or sweep is already running: cancel it first (Esc)."));
    std::unique_ptr<nn::Model> model;
    std::shared_ptr<const nn::data::Split> data;
    if (const QString why = takeSource(model, data); !why.isEmpty()) return refuse(why);

    SweepPlan plan;
    plan.sensitivity.retrainEpochs = sweepEpochs_->value();
    plan.sensitivity.train = session_->config();
    plan.sensitivity.retrainLr = float(retrainLr_->value());
    // Accuracy vs bits per layer type: dense and conv apart when the model has both.
    bool dense = false, conv = false;
    for (const auto& p : model->parameters()) {
        if (p.name.size() < 7 || p.name.compare(p.name.size() - 7, 7, ".weight") != 0) continue;
        dense = dense || p.value.shape().rank() == 2;
        conv = conv || p.value.shape().rank() == 4;
    }
    const std::vector<std::string> types = dense && conv ? std::vector<std::string> {"dense", "conv"} : std::vector<std::string> {"all"};
    for (const char* method : {"share", "fixed"})
        for (const auto& type : types) {
            nn::compress::BitsSweepOptions b;
            b.method = method;
            b.layerType = type;
            plan.bits.push_back(b);
        }
    sensitivity_->clear();
    // The sweeps' curves are results too, of this source (any stages shown are of it as well).
    resultsSource_ = sourceKey_;
    resultsName_ = tr("%1 on %2").arg(QString::fromStdString(model->spec().name), fromFile_ ? fileDataName_ : session_->dataName());
    if (!sweeps_->start(std::move(model), std::move(data), std::move(plan))) return refuse(tr("The sweeps could not start."));
    showTab(sensitivity_);
    progress_->setValue(0);
    setStatus(tr("Sweeps started…"), false);
    updateButtons();
    return {};
}

void CompressPage::setSweepRetrainEpochs(int epochs) { sweepEpochs_->setValue(epochs); }

void CompressPage::cancel()
{
    if (!running()) return;
    runner_->cancel();
    sweeps_->cancel();
    setStatus(tr("Cancelling after the current step…"), false);
}

// ---- results ------------------------------------------------------------------------------

void CompressPage::onStage(const nn::compress::StageResult& stage)
{
    stages_.push_back(stage);
    if (stages_.size() == 1) {  // the dense model names the layers
        const QString keep = layerBox_->currentText().section(' ', 0, 0);
        QSignalBlocker block(layerBox_);
        layerBox_->clear();
        int restore = 0;
        for (const auto& l : stage.layers) {
            QStringList dims;
            for (int64_t d : l.shape) dims << QString::number(d);
            if (QString::fromStdString(l.name) == keep) restore = layerBox_->count();
            layerBox_->addItem(QString("%1 (%2)").arg(QString::fromStdString(l.name), dims.join(QChar(0x00d7))));
        }
        layerBox_->setCurrentIndex(stage.layers.empty() ? -1 : restore);
        filmstrip_->setLayer(restore);
    }
    filmstrip_->addStage(stage);
    storage_->addStage(stage);
    if (followNewest_) selectStage(int(stages_.size()) - 1);
}

void CompressPage::onProgress(int step, double fraction, const QString& message)
{
    const int n = std::max<int>(1, int(specs_.size()));
    const double done = step <= 0 ? 0.0 : (step - 1 + std::clamp(fraction, 0.0, 1.0)) / n;
    progress_->setValue(int(done * kProgressSteps));
    const QString stage = step >= 1 && step <= int(specs_.size()) ? QString::fromStdString(specs_[size_t(step - 1)].text) : tr("dense");
    setStatus(tr("Stage %1 of %2 · %3 · %4").arg(std::max(0, step)).arg(specs_.size()).arg(stage, message), false);
}

void CompressPage::clearResults(bool sweepsToo)
{
    stages_.clear();
    filmstrip_->clear();
    storage_->clear();
    layerTable_->clearStage();
    stageSummary_->clear();
    timing_.clear();
    huffman_->clearLayer(tr("Huffman codes appear after a huffman stage."));
    if (sweepsToo) sensitivity_->clear();
    progress_->setValue(0);
    selectedStage_ = -1;
    followNewest_ = true;
    resultsSource_.clear();
    resultsName_.clear();
    updateButtons();
}

void CompressPage::onFinished(bool cancelled, const QString& error)
{
    updateButtons();
    // The history's trouble is said after the run's own outcome, which it never hides.
    const QString storeNote = recordError_.isEmpty() ? QString() : tr(" · Not kept in the history: %1").arg(recordError_);
    if (!error.isEmpty()) {
        setStatus(tr("The pipeline stopped: %1").arg(error) + storeNote, true);
    } else if (cancelled) {
        setStatus(tr("Cancelled after %1 of %2 stages; the stages done are shown.")
                          .arg(std::max(0, int(stages_.size()) - 1))
                          .arg(specs_.size()) +
                      storeNote,
                  !storeNote.isEmpty());
    } else if (!stages_.empty()) {
        progress_->setValue(kProgressSteps);
        const auto& first = stages_.front();
        const auto& last = stages_.back();
        setStatus(tr("Done in %1 s: %2× smaller than dense f32 (%3, %4), test accuracy %5% → %6%")
                      .arg(last.seconds, 0, 'f', 1)
                      .arg(last.ratio, 0, 'f', 1)
                      .arg(formatName(last.bestFormat))
                      .arg(last.bits.count(last.bestFormat) ? sizeText(double(last.bits.at(last.bestFormat))) : QString("?"))
                      .arg(100.0 * first.testAccuracy, 0, 'f', 1)
                      .arg(100.0 * last.testAccuracy, 0, 'f', 1) +
                      storeNote,
                  !storeNote.isEmpty());
    } else if (!storeNote.isEmpty()) {
        setStatus(storeNote.mid(3), true);
    }
    dropStaleResults();  // the dashboard's model changed during the run
    emit runFinished(cancelled, error);
}

void CompressPage::selectStage(int index)
{
    if (stages_.empty()) return;
    selectedStage_ = std::clamp(index, 0, int(stages_.size()) - 1);
    filmstrip_->setSelectedStage(selectedStage_);
    showStageDetails();
}

void CompressPage::selectLayer(int index)
{
    if (layerBox_->count() == 0) return;
    layerBox_->setCurrentIndex(std::clamp(index, 0, layerBox_->count() - 1));
}

int CompressPage::selectedLayer() const { return layerBox_->currentIndex(); }

void CompressPage::showStageDetails()
{
    if (selectedStage_ < 0 || selectedStage_ >= int(stages_.size())) return;
    const auto& s = stages_[size_t(selectedStage_)];
    layerTable_->setStage(s);
    const double change = 100.0 * s.accuracyChange;
    QString summary = tr("<b>%1</b>: test accuracy %2%").arg(s.step == 0 ? tr("dense") : QString("%1 · %2").arg(s.step).arg(QString::fromStdString(s.text).toHtmlEscaped()))
                          .arg(100.0 * s.testAccuracy, 0, 'f', 1);
    if (s.step > 0) summary += tr(" (%1%2 points)").arg(change >= 0 ? "+" : QString(QChar(0x2212))).arg(std::abs(change), 0, 'f', 1);
    if (s.bits.count(s.bestFormat))
        summary += tr(" · %1 as %2, %3× smaller than dense f32").arg(sizeText(double(s.bits.at(s.bestFormat))), formatName(s.bestFormat))
                       .arg(s.ratio, 0, 'f', 1);
    if (!timing_.isEmpty()) summary += "<br>" + timing_.toHtmlEscaped();
    stageSummary_->setText(summary);
    const int layer = selectedLayer();
    if (layer >= 0 && layer < int(s.layers.size())) huffman_->setLayer(s.layers[size_t(layer)], QString::fromStdString(s.text));
}

} // namespace views::compress
