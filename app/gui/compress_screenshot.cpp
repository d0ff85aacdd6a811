#include "app/gui/compress_screenshot.h"

#include <QObject>
#include <cstdio>

#include "views/compress/compress_page.h"

using views::compress::CompressPage;

namespace {
void report(const QString& error)
{
    if (!error.isEmpty()) std::fprintf(stderr, "nnstudio: compress: %s\n", qPrintable(error));
}
} // namespace

std::function<void(std::function<void()> capture)> compressBeforeCapture(CompressPage* page, bool sweeps)
{
    return [page, sweeps](std::function<void()> capture) {
        QObject::connect(page, &CompressPage::sweepsFinished, page, [capture](bool, const QString& error) {
            report(error);
            capture();
        });
        QObject::connect(page, &CompressPage::runFinished, page, [page, sweeps, capture](bool, const QString& error) {
            report(error);
            if (!sweeps || !error.isEmpty()) {
                capture();
                return;
            }
            const QString why = page->runSweeps();
            report(why);
            if (!why.isEmpty()) capture();
        });
        auto start = [page, capture] {
            const QString error = page->run();
            report(error);
            if (!error.isEmpty()) capture();
        };
        if (page->sourceReady()) {
            start();
            return;
        }
        // A model file's data set still loading: run once it is there.
        auto* once = new QObject(page);
        QObject::connect(page, &CompressPage::sourceChanged, once, [page, once, start] {
            if (!page->sourceReady()) return;
            once->deleteLater();
            start();
        });
    };
}
