#pragma once
// `nnstudio --screenshot F --page compress [--sweeps]`: before the capture, the
// Compress page runs its pipeline on the trained model (and then, with sweeps,
// the sensitivity sweeps, showing their tab), waiting first for a model file's
// data set to load. Errors are printed; the capture still happens.
#include <functional>

namespace views::compress {
class CompressPage;
}

// The work for ScreenshotDriver::beforeCapture.
std::function<void(std::function<void()> capture)> compressBeforeCapture(views::compress::CompressPage* page, bool sweeps);
