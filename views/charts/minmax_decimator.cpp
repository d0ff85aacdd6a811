#include "views/charts/minmax_decimator.h"

#include <algorithm>

namespace views {

void MinMaxDecimator::clear()
{
    full_.clear();
    buckets_.clear();
    width_ = 1;
}

void MinMaxDecimator::add(double x, double y)
{
    full_.emplace_back(x, y);
    addToBuckets(full_.back());
}

void MinMaxDecimator::addToBuckets(const QPointF& p)
{
    if (buckets_.empty() || buckets_.back().count >= width_) {
        buckets_.push_back({p, p, p, p, 1});
    } else {
        Bucket& b = buckets_.back();
        b.last = p;
        if (p.y() < b.lo.y()) b.lo = p;
        if (p.y() > b.hi.y()) b.hi = p;
        ++b.count;
    }
    // One bucket per column at most: merging halves them, so each point is
    // merged O(log n) times in all.
    if (int(buckets_.size()) > columns_) mergePairs();
}

void MinMaxDecimator::mergePairs()
{
    std::vector<Bucket> merged;
    merged.reserve(buckets_.size() / 2 + 1);
    for (size_t i = 0; i < buckets_.size(); i += 2) {
        Bucket b = buckets_[i];
        if (i + 1 < buckets_.size()) {
            const Bucket& c = buckets_[i + 1];
            b.last = c.last;
            if (c.lo.y() < b.lo.y()) b.lo = c.lo;
            if (c.hi.y() > b.hi.y()) b.hi = c.hi;
            b.count += c.count;
        }
        merged.push_back(b);
    }
    buckets_ = std::move(merged);
    width_ *= 2;
}

void MinMaxDecimator::setColumns(int columns)
{
    columns = std::max(1, columns);
    if (columns == columns_) return;
    columns_ = columns;
    buckets_.clear();
    width_ = 1;
    for (const QPointF& p : full_) addToBuckets(p);
}

QList<QPointF> MinMaxDecimator::points() const
{
    QList<QPointF> out;
    out.reserve(qsizetype(buckets_.size()) * 4);
    for (const Bucket& b : buckets_) {
        // first, then the extremes in the order they happened, then last.
        const QPointF* mid[2] = {&b.lo, &b.hi};
        if (b.hi.x() < b.lo.x()) std::swap(mid[0], mid[1]);
        for (const QPointF* p : {&b.first, mid[0], mid[1], &b.last})
            if (out.isEmpty() || out.back().x() != p->x()) out.append(*p);
    }
    return out;
}

} // namespace views
