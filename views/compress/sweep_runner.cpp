#include "views/compress/sweep_runner.h"

#include <chrono>

namespace views::compress {

namespace {
constexpr auto kProgressInterval = std::chrono::milliseconds(50);
} // namespace

SweepRunner::SweepRunner(QObject* parent) : QObject(parent) {}

SweepRunner::~SweepRunner()
{
    cancel_ = true;
    if (thread_.joinable()) thread_.join();
}

bool SweepRunner::start(std::unique_ptr<nn::Model> model, std::shared_ptr<const nn::data::Split> data, SweepPlan plan)
{
    if (running_ || !model || !data) return false;
    if (thread_.joinable()) thread_.join();
    model_ = std::move(model);
    data_ = std::move(data);
    cancel_ = false;
    running_ = true;
    thread_ = std::thread([this, plan = std::move(plan)]() mutable { work(std::move(plan)); });
    return true;
}

void SweepRunner::work(SweepPlan plan)
{
    QString error;
    // The sensitivity sweep costs about as much as all bit sweeps together times the
    // retraining: it gets most of the bar when it retrains.
    const int parts = 1 + int(plan.bits.size());
    const double sensitivityShare = plan.sensitivity.retrainEpochs > 0 ? 0.8 : 1.0 / parts;
    const double bitsShare = plan.bits.empty() ? 0.0 : (1.0 - sensitivityShare) / double(plan.bits.size());
    auto last = std::chrono::steady_clock::now() - kProgressInterval;
    auto report = [this, &last](double fraction, const std::string& message) {
        const auto now = std::chrono::steady_clock::now();
        if (now - last < kProgressInterval && fraction < 1.0) return;
        last = now;
        const QString text = QString::fromStdString(message);
        QMetaObject::invokeMethod(this, [this, fraction, text] { emit progress(fraction, text); }, Qt::QueuedConnection);
    };
    auto onPoint = [this](const nn::compress::SweepPoint& p) {
        QMetaObject::invokeMethod(this, [this, p] { emit point(p); }, Qt::QueuedConnection);
    };
    try {
        nn::compress::pruneSensitivity(*model_, *data_, plan.sensitivity, onPoint,
                                       [&](double f, const std::string& m) { report(f * sensitivityShare, m); }, &cancel_);
        double base = sensitivityShare;
        for (const auto& b : plan.bits) {
            if (cancel_) break;
            nn::compress::bitsSweep(*model_, *data_, b, onPoint,
                                    [&](double f, const std::string& m) { report(base + f * bitsShare, m); }, &cancel_);
            base += bitsShare;
        }
    } catch (const std::exception& e) {
        error = QString::fromUtf8(e.what());
    }
    const bool cancelled = cancel_;
    QMetaObject::invokeMethod(
        this,
        [this, cancelled, error] {
            if (thread_.joinable()) thread_.join();
            running_ = false;
            emit finished(cancelled, error);
        },
        Qt::QueuedConnection);
}

} // namespace views::compress
