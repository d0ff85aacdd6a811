#include "engine/backend/cpu/thread_pool.h"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "engine/backend/kernel.h"

namespace nn::cpu {

namespace {

// Static partitioning: worker i always runs share i + 1 of each job, so a worker
// never touches a later job's state (no shared claim counter to race on).
class Pool {
public:
    ~Pool() { resize(0); }

    void resize(int workers)
    {
        workers = std::max(0, workers);
        if (workers == int(threads_.size())) return;
        {
            std::lock_guard lock(mutex_);
            stop_ = true;
        }
        wake_.notify_all();
        for (auto& t : threads_) t.join();
        threads_.clear();
        stop_ = false;
        // New workers wait for the next job, not for one that already ran.
        for (int i = 0; i < workers; ++i) threads_.emplace_back([this, i, seen = generation_] { loop(i, seen); });
    }

    int workers() const { return int(threads_.size()); }

    void run(int64_t n, int shares, ShareFn fn, void* ctx)
    {
        {
            std::lock_guard lock(mutex_);
            job_ = fn;
            ctx_ = ctx;
            n_ = n;
            shares_ = shares;
            pending_ = int(threads_.size());
            ++generation_;
        }
        wake_.notify_all();
        fn(ctx, 0, n / shares);  // the caller's share
        std::unique_lock lock(mutex_);
        done_.wait(lock, [&] { return pending_ == 0; });
        job_ = nullptr;
    }

private:
    void loop(int index, uint64_t seen)
    {
        enableFlushToZero();  // as on the training thread: denormals would be 100x slower
        for (;;) {
            ShareFn job;
            void* ctx;
            int64_t n;
            int shares;
            {
                std::unique_lock lock(mutex_);
                wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
                if (stop_) return;
                seen = generation_;
                job = job_;
                ctx = ctx_;
                n = n_;
                shares = shares_;
            }
            const int share = index + 1;
            if (share < shares) job(ctx, n * share / shares, n * (share + 1) / shares);
            {
                std::lock_guard lock(mutex_);
                if (--pending_ == 0) done_.notify_all();
            }
        }
    }

    std::vector<std::thread> threads_;
    std::mutex mutex_;
    std::condition_variable wake_, done_;
    ShareFn job_ = nullptr;
    void* ctx_ = nullptr;
    int64_t n_ = 0;
    int shares_ = 1;
    int pending_ = 0;
    uint64_t generation_ = 0;
    bool stop_ = false;
};

Pool& pool()
{
    static Pool p;
    return p;
}

std::mutex& runMutex()  // one job at a time (two trainers on two threads share the pool)
{
    static std::mutex m;
    return m;
}

} // namespace

void resizePool(int threads)
{
    std::lock_guard lock(runMutex());
    pool().resize(threads - 1);
}

void parallelForRaw(int64_t n, ShareFn fn, void* ctx)
{
    std::unique_lock lock(runMutex(), std::try_to_lock);
    const int shares = int(std::min<int64_t>({n, int64_t(pool().workers()) + 1, int64_t(kMaxShares)}));
    if (!lock.owns_lock() || shares < 2) {  // busy (another trainer) or nothing to split: run here
        fn(ctx, 0, n);
        return;
    }
    pool().run(n, shares, fn, ctx);
}

} // namespace nn::cpu
