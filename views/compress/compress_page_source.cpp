// The Compress page's source model: a copy of the dashboard's, or a saved .nnm
// on the data set it names (loaded in the background, or shared with the
// dashboard when it is the same set); saving the compressed model.
#include "views/compress/compress_page.h"

#include <QFileInfo>
#include <QFutureWatcher>
#include <QLabel>
#include <QtConcurrent/QtConcurrentRun>

#include <nlohmann/json.hpp>

#include "engine/io/model_file.h"
#include "views/compress/compress_runner.h"
#include "views/training/training_session.h"

namespace views::compress {

namespace {
// gives the same test split).
nn::data::SourceOptions savedDataOptions(const std::string& name, uint64_t seed)
{
    nn::data::SourceOptions o;
    o.twoD.seed = seed;
    o.splitSeed = seed;
    if (name == "fashion-mnist") o.validationFraction = 5000.0 / 60000.0;
    return o;
}
} // namespace

void CompressPage::useDashboardModel()
{
    fromFile_ = false;
    filePath_.clear();
    fileData_.reset();
    updateSource();
}

QString CompressPage::openModelFile(const QString& path)
{
    QString dataName;
    uint64_t seed = 1;
    try {
        const nn::io::LoadedModel loaded = nn::io::loadModelFile(path.toStdString());
        const auto& meta = loaded.extras.metadata;
        if (meta.is_object() && meta.contains("data") && meta["data"].is_string())
            dataName = QString::fromStdString(meta["data"].get<std::string>());
        if (meta.is_object() && meta.contains("seed") && meta["seed"].is_number_integer()) seed = meta["seed"].get<uint64_t>();
        fileInfo_ = tr("%1 (%2 parameters)").arg(QString::fromStdString(loaded.model.spec().name)).arg(loaded.model.parameterCount());
    } catch (const std::exception& e) {
        const QString m = QString::fromUtf8(e.what());
        setStatus(m, true);
        return m;
    }
    if (dataName.isEmpty()) {
        const QString m = tr("%1 does not say which data set it was trained on: save it from NN Studio or "
                             "nnstudio-cli train --out, which record it").arg(path);
        setStatus(m, true);
        return m;
    }
    fromFile_ = true;
    filePath_ = path;
    fileDataName_ = dataName;
    fileData_.reset();
    if (session_->dataName() == dataName && session_->sharedData()) {
        fileData_ = session_->sharedData();  // the dashboard's split of the same set
    } else if (session_->dataName() == dataName && session_->busyLoading()) {
        // The dashboard is loading the same set: share it rather than hold it twice.
        loadingData_ = true;
        auto* once = new QObject(this);
        auto done = [this, once, forPath = path, dataName] {
            once->deleteLater();
            if (filePath_ != forPath) return;
            loadingData_ = false;
            fileData_ = session_->sharedData();
            if (!fileData_) setStatus(tr("Could not load the data set '%1' named in the model file").arg(dataName), true);
            updateSource();
        };
        connect(session_, &TrainingSession::dataChanged, once, done);
        connect(session_, &TrainingSession::errorOccurred, once, done);
    } else {
        loadingData_ = true;
        auto* watcher = new QFutureWatcher<std::shared_ptr<const nn::data::Split>>(this);
        const std::string name = dataName.toStdString();
        const QString forPath = path;
        connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, forPath, dataName] {
            watcher->deleteLater();
            if (filePath_ != forPath) return;  // another source was chosen meanwhile
            loadingData_ = false;
            fileData_ = watcher->result();
            if (!fileData_) setStatus(tr("Could not load the data set '%1' named in the model file").arg(dataName), true);
            updateSource();
        });
        watcher->setFuture(QtConcurrent::run([name, seed]() -> std::shared_ptr<const nn::data::Split> {
            try {
                return std::make_shared<const nn::data::Split>(nn::data::loadSource(name, savedDataOptions(name, seed)));
            } catch (const std::exception&) {
                return nullptr;
            }
        }));
    }
    updateSource();
    return {};
}

bool CompressPage::sourceReady() const
{
    if (fromFile_) return fileData_ != nullptr;
    return session_->viewModel() && session_->sharedData();
}

QString CompressPage::sourceText() const { return sourceLabel_->text(); }

void CompressPage::updateSource()
{
    QString text;
    QString loading;
    if (fromFile_) {
        text = tr("%1 from <i>%2</i> on %3").arg(fileInfo_.toHtmlEscaped(), QFileInfo(filePath_).fileName().toHtmlEscaped(),
                                                fileDataName_.toHtmlEscaped());
        if (loadingData_) loading = tr(" · loading the data…");
    } else if (!session_->spec() || !session_->sharedData()) {
        text = tr("The dashboard has no model and data yet: train one there (Ctrl+1), or open a trained model file.");
    } else {
        const auto& snap = session_->snapshot();
        text = tr("The dashboard's <b>%1</b> on %2, a copy").arg(QString::fromStdString(session_->spec()->name).toHtmlEscaped(),
                                                               session_->dataName().toHtmlEscaped());
        if (session_->state() == TrainingSession::State::Finished)
            text += tr(" · trained %1 epochs, test accuracy %2%").arg(snap.epoch).arg(100.0 * session_->result().testAccuracy, 0, 'f', 1);
        else if (snap.step == 0)
            text += tr(" · <span style='color:#b35900'>untrained: train it first for a meaningful result</span>");
        else
            text += tr(" · epoch %1").arg(snap.epoch);
    }
    sourceKey_ = text;
    sourceLabel_->setText(text + loading);
    dropStaleResults();
    updateButtons();
    emit sourceChanged();
}

void CompressPage::dropStaleResults()
{
    if (running() || resultsSource_.isEmpty() || resultsSource_ == sourceKey_) return;
    const QString whose = resultsName_;
    clearResults(true);
    setStatus(tr("The results of %1 were cleared: the source is now another model (or the same one trained further). "
                 "Run the pipeline again for it.").arg(whose),
              false);
}

QString CompressPage::takeSource(std::unique_ptr<nn::Model>& model, std::shared_ptr<const nn::data::Split>& data)
{
    if (fromFile_) {
        if (!fileData_) return loadingData_ ? tr("The model file's data set is still loading.") : tr("The model file's data set could not be loaded.");
        try {
            model = std::make_unique<nn::Model>(nn::io::loadModelFile(filePath_.toStdString()).model);
        } catch (const std::exception& e) {
            return QString::fromUtf8(e.what());
        }
        data = fileData_;
        return {};
    }
    if (session_->state() == TrainingSession::State::Running)
        return tr("The dashboard is training: pause (Space) or wait for it to finish, so the copy compressed is "
                  "one fixed model.");
    model = session_->currentModel();
    data = session_->sharedData();
    if (!model || !data)
        return tr("The dashboard has no model and data yet: open and train one there (Ctrl+1), or open a trained "
                  "model file.");
    return {};
}

QString CompressPage::saveCompressedModel(const QString& path)
{
    const nn::Model* model = compressedModel();
    if (!model || stages_.empty()) {
        const QString m = tr("There is no compressed model yet: run a pipeline first.");
        setStatus(m, true);
        return m;
    }
    try {
        nn::io::ModelFileExtras extras;
        const auto data = fromFile_ ? fileData_ : session_->sharedData();
        if (data) extras.classNames = data->train.classNames;
        const auto& last = stages_.back();
        extras.metadata = {{"data", (fromFile_ ? fileDataName_ : session_->dataName()).toStdString()},
                           {"seed", session_->config().seed},
                           {"compress", runPipeline_.toStdString()},
                           {"ratio", last.ratio},
                           {"test_accuracy", last.testAccuracy},
                           {"saved_by", "nnstudio"}};
        nn::io::saveModelFile(path.toStdString(), *model, extras);
    } catch (const std::exception& e) {
        const QString m = QString::fromUtf8(e.what());
        setStatus(m, true);
        return m;
    }
    setStatus(tr("Saved the compressed model to %1").arg(path), false);
    return {};
}

} // namespace views::compress
