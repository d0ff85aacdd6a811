#pragma once
// Reduces a long series to what a plot of a given width can show, as
// TensorBoard and M4/LTTB plots do: the points are grouped into buckets of
// about one pixel column, and each bucket keeps its first, lowest, highest and
// last point. The drawn line then looks exactly like the full series (every
// peak and dip stays), but has at most 4 points per column however many epochs
// were trained, so drawing it costs pixels, not epochs.
//
// Adding a point is O(1) amortised (buckets merge in pairs when there are more
// than columns); points() is O(columns). The full series is kept too, so a new
// width can be bucketed again from it.
#include <QList>
#include <QPointF>
#include <vector>

namespace views {

class MinMaxDecimator {
public:
    void clear();
    // Points must come in increasing x (epochs do).
    void add(double x, double y);
    // The plot's width in pixel columns (at least 1). Rebuckets when it changes.
    void setColumns(int columns);
    int columns() const { return columns_; }

    // The points to draw, in x order: at most 4 × columns().
    QList<QPointF> points() const;
    // Every point added, for hover and export.
    const std::vector<QPointF>& full() const { return full_; }
    int size() const { return int(full_.size()); }
    // How many points share a bucket (a power of two).
    int bucketWidth() const { return width_; }

private:
    struct Bucket {
        QPointF first, last, lo, hi;
        int count = 0;
    };
    void addToBuckets(const QPointF& p);
    void mergePairs();

    std::vector<QPointF> full_;
    std::vector<Bucket> buckets_;
    int columns_ = 512;
    int width_ = 1;
};

} // namespace views
