// The CPU backend's kernel table: every OpKind must have both kernels (checked
// once at start-up; leaves have none and are never dispatched).
#include "engine/backend/cpu/blas.h"
#include "engine/backend/cpu/thread_pool.h"
#include <xmmintrin.h>

#include "engine/backend/cpu/kernel_util.h"
#include "engine/core/error.h"

namespace nn::cpu {

namespace {

struct Table {
    Kernels k[kOpCount] {};
    Table()
    {
        registerElementwise(k);
        registerLinear(k);
        registerReduce(k);
        registerLoss(k);
        registerConv(k);
        registerPool(k);
        registerNorm(k);
        for (int i = int(OpKind::Constant) + 1; i < kOpCount; ++i)
            if (!k[i].forward || !k[i].backward)
                throw Error(std::string("CPU backend has no kernel for op '") + opName(OpKind(i)) + "'");
    }
};

const Table& table()
{
    static const Table t;
    return t;
}

int gThreads = 1;

} // namespace

const Kernels& kernels(OpKind kind) { return table().k[int(kind)]; }

bool savedShape(OpKind kind, const Shape* in, const Shape& out, Shape& saved)
{
    switch (kind) {
    case OpKind::SoftmaxCrossEntropy: saved = in[0]; return true;    // probabilities
    case OpKind::Maxout:                                               // winning piece
    case OpKind::Dropout:                                              // mask
    case OpKind::MaxPool2D: saved = out; return true;                  // winner's index
    case OpKind::BatchNorm: saved = Shape {2 * in[0][1] + 1}; return true;  // mean, invstd, mode
    default: return false;
    }
}

void setThreads(int threads)
{
    if (threads <= 0) threads = blas::processors();
    gThreads = threads;
    blas::setThreads(threads);
    resizePool(threads);
}

int threads() { return gThreads; }

} // namespace nn::cpu

namespace nn::cpu {

void enableFlushToZero()
{
    _mm_setcsr(_mm_getcsr() | 0x8040);  // FTZ (bit 15) and DAZ (bit 6)
}

} // namespace nn::cpu
