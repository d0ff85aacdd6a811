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

    // Select by value (CLI flags, screenshots, lessons). Return false if unknown.
    bool selectData(const QString& name);
    bool selectModel(const QString& path);
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
    QString csvPath_;
};

} // namespace views
