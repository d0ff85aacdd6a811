#pragma once
// The dashboard's set-up form: which data, which model, which hyperparameters.
// It only describes a run; MainWindow hands what it says to the TrainingSession.
#include <QWidget>

#include "engine/data/dataset.h"
#include "engine/train/trainer.h"

class QComboBox;
class QDoubleSpinBox;
class QSpinBox;
class QTimer;
class QLabel;

namespace views {

class SetupPanel : public QWidget {
    Q_OBJECT
public:
    explicit SetupPanel(QWidget* parent = nullptr);

    QString dataName() const;
    nn::data::SourceOptions sourceOptions() const;
    QString modelPath() const;
    nn::TrainConfig trainConfig() const;

    // Select by value (CLI flags, screenshots, lessons, branches): only the data
    // set or model, not their defaults. Return false if unknown.
    bool selectData(const QString& name);
    bool selectModel(const QString& path);
    // The user's pick of a data set (the combo box, the builder's Train): the set
    // and the training defaults it brings, as one undoable change.
    bool pickData(const QString& name);
    // The training defaults of the current data set and model
    // (assets/training-defaults.json, the spec's "defaults"): applyDefaults() sets
    // them (start-up); bringDefaults() adds them to the undoable change of the data
    // set or the model just picked, and does nothing while an undo replays.
    void applyDefaults();
    enum class Picked { Data, Model };
    void bringDefaults(Picked picked);
    // A hint under the learning rate ("" hides it); with `suggestedLr` > 0 a link
    // sets the learning rate to it.
    void setTrainingHint(const QString& text, double suggestedLr = 0);
    QString trainingHint() const;
    void setEpochs(int epochs);
    // Use only the first `images` Fashion-MNIST training images (0 = all); reloads
    // at once if Fashion-MNIST is the data, not after the typing debounce.
    void setImageLimit(int images);
    void setLearningRate(double lr);
    void setOptimizer(const QString& kind);
    void setBatch(int batch);
    void setSeed(int seed);
    void setUiScale(double scale);

signals:
    void dataRequested(const QString& name, const nn::data::SourceOptions& options);
    void modelRequested(const QString& path);
    void configChanged();

private:
    void requestData();
    void openCsv();
    void openSpec();
    void updateDataControls();
    bool isCsv() const;
    int csvItem(const QString& path);  // the data set item for a CSV file (added when new)

    QComboBox* data_;
    QSpinBox* points_;
    QDoubleSpinBox* noise_;
    QSpinBox* classes_;
    QSpinBox* limit_;
    QComboBox* model_;
    QComboBox* optimizer_;
    QDoubleSpinBox* lr_;
    QSpinBox* batch_;
    QSpinBox* epochs_;
    QSpinBox* seed_;
    QDoubleSpinBox* weightDecay_;
    QComboBox* schedule_;
    QSpinBox* patience_;
    QTimer* dataDebounce_;
    QLabel* hint_;
    double suggestedLr_ = 0;
    int lastData_ = 0, lastModel_ = 0;  // the items picked before an action item ("CSV file…")
};

} // namespace views
