// Dataset's own members: feature counting and subsetting. Everything that makes
// a data set (generators, file loaders, splits) lives in its own file.
#include "engine/data/dataset.h"

#include "engine/core/error.h"

#include <algorithm>
#include <string>

namespace nn::data {

size_t Dataset::featureCount() const
{
    size_t n = 1;
    for (int64_t d : sampleShape) n *= size_t(d);
    return n;
}

Dataset Dataset::subset(const std::vector<size_t>& indices) const
{
    Dataset out;
    out.name = name;
    out.sampleShape = sampleShape;
    out.numClasses = numClasses;
    out.classNames = classNames;
    out.notices = notices;

    const size_t fc = featureCount();
    out.features.resize(indices.size() * fc);
    out.labels.resize(indices.size());
    for (size_t k = 0; k < indices.size(); ++k) {
        const size_t i = indices[k];
        // An out-of-range index is a programming error, but a silent read past
        // the buffer would be far worse than a clear message.
        if (i >= size())
            throw Error("data set '" + name + "': subset index " + std::to_string(i) +
                        " is out of range (the set has " + std::to_string(size()) + " samples)");
        std::copy_n(features.begin() + ptrdiff_t(i * fc), fc, out.features.begin() + ptrdiff_t(k * fc));
        out.labels[k] = labels[i];
    }
    return out;
}

} // namespace nn::data
