#pragma once
// Runs the compression sweeps (engine/compress/sweeps.h) on a worker thread, as
// CompressRunner runs a pipeline: pruning sensitivity per layer (with and without
// retraining), then accuracy vs bits for weight sharing and fixed point. Points
// and progress arrive as signals on the thread that owns the runner. The runner
// owns the model it sweeps (a copy); destroying it cancels and joins.
#include <QObject>
#include <QString>
#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "engine/compress/sweeps.h"

namespace views::compress {

struct SweepPlan {
    nn::compress::SensitivityOptions sensitivity;
    std::vector<nn::compress::BitsSweepOptions> bits;  // run after the sensitivity sweep, in order
};

class SweepRunner : public QObject {
    Q_OBJECT
public:
    explicit SweepRunner(QObject* parent = nullptr);
    ~SweepRunner() override;

    // False (nothing started) while a sweep runs.
    bool start(std::unique_ptr<nn::Model> model, std::shared_ptr<const nn::data::Split> data, SweepPlan plan);
    void cancel() { cancel_ = true; }
    bool running() const { return running_; }

signals:
    void point(const nn::compress::SweepPoint& p);
    void progress(double fraction, const QString& message);  // over the whole plan
    void finished(bool cancelled, const QString& error);

private:
    void work(SweepPlan plan);

    std::unique_ptr<nn::Model> model_;
    std::shared_ptr<const nn::data::Split> data_;
    std::thread thread_;
    std::atomic<bool> cancel_ {false};
    bool running_ = false;  // UI thread only
};

} // namespace views::compress
