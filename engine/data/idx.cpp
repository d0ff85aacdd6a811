// Fashion-MNIST from the IDX files Debian's dataset-fashion-mnist installs.
// IDX: a big-endian header (magic 0x000008DD: type 0x08 = unsigned byte, DD =
// number of dimensions, then one 32-bit count per dimension) followed by raw
// bytes. Each file is read whole (zlib's gzread also passes plain files through)
// and then checked against its header, so a damaged file fails with the byte
// offset of the problem instead of yielding a silently short data set.
#include "engine/data/dataset.h"

#include "engine/core/error.h"

#include <zlib.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

namespace nn::data {
namespace {

constexpr uint32_t kImageMagic = 0x00000803;  // unsigned bytes, 3 dimensions (n, rows, cols)
constexpr uint32_t kLabelMagic = 0x00000801;  // unsigned bytes, 1 dimension (n)
constexpr int kFashionClasses = 10;

const std::vector<std::string>& fashionClassNames()
{
    static const std::vector<std::string> names = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                                   "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
    return names;
}

std::string hex32(uint32_t v)
{
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%08X", unsigned(v));
    return buf;
}

// The whole decompressed content of `path`.
std::vector<uint8_t> readWholeFile(const std::string& path)
{
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec))
        throw Error(path + ": no such file");

    gzFile f = gzopen(path.c_str(), "rb");
    if (!f) throw Error(path + ": cannot open the file (check its permissions)");
    gzbuffer(f, 1 << 18);  // fewer, larger reads of the compressed file

    // Read straight into the result in 1 MiB steps (no bounce buffer: the 60k
    // image file inflates to 47 MB).
    constexpr size_t kStep = size_t(1) << 20;
    std::vector<uint8_t> data;
    for (;;) {
        const size_t have = data.size();
        data.resize(have + kStep);
        const int n = gzread(f, data.data() + have, unsigned(kStep));
        data.resize(have + size_t(n > 0 ? n : 0));
        if (n < 0) {
            int code = 0;
            const std::string why = gzerror(f, &code);
            gzclose_r(f);
            throw Error(path + ": damaged gzip data after " + std::to_string(data.size()) +
                        " decompressed bytes (" + why + "); the file is corrupt: reinstall or re-download it");
        }
        if (n == 0) break;
    }
    // A gzip stream that stops early reads as a plain end of file; zlib only
    // flags it as Z_BUF_ERROR (in gzerror, and again from gzclose_r).
    int code = Z_OK;
    gzerror(f, &code);
    const int closed = gzclose_r(f);
    if (code == Z_BUF_ERROR || closed == Z_BUF_ERROR)
        throw Error(path + ": truncated gzip data: the stream ends unexpectedly after " +
                    std::to_string(data.size()) + " decompressed bytes; the file is incomplete: reinstall or re-download it");
    if (closed != Z_OK) throw Error(path + ": error reading the file (zlib error " + std::to_string(closed) + ")");
    return data;
}

uint32_t readBigEndian32(const std::vector<uint8_t>& b, size_t offset)
{
    return (uint32_t(b[offset]) << 24) | (uint32_t(b[offset + 1]) << 16) | (uint32_t(b[offset + 2]) << 8) |
           uint32_t(b[offset + 3]);
}

// Checks the magic number and header length; returns the dimension counts.
std::vector<uint32_t> readHeader(const std::string& path, const std::vector<uint8_t>& b, uint32_t expected,
                                 const char* kind)
{
    if (b.size() < 4)
        throw Error(path + ": file is only " + std::to_string(b.size()) +
                    " bytes, too short for an IDX header (offset 0)");
    const uint32_t magic = readBigEndian32(b, 0);
    if (magic != expected) {
        std::string msg = path + ": bad magic number " + hex32(magic) + " at offset 0 (expected " + hex32(expected) +
                          " for an IDX " + kind + " file)";
        if (magic == kImageMagic || magic == kLabelMagic)
            msg += "; this is an IDX " + std::string(magic == kImageMagic ? "image" : "label") +
                   " file: are the images and labels paths swapped?";
        throw Error(msg);
    }
    const size_t dims = expected & 0xFF;
    const size_t headerBytes = 4 + 4 * dims;
    if (b.size() < headerBytes)
        throw Error(path + ": header is cut off at offset " + std::to_string(b.size()) + " (an IDX " + kind +
                    " header needs " + std::to_string(headerBytes) + " bytes)");
    std::vector<uint32_t> counts(dims);
    for (size_t i = 0; i < dims; ++i) counts[i] = readBigEndian32(b, 4 + 4 * i);
    return counts;
}

// The payload must be exactly what the header announces.
void checkPayload(const std::string& path, size_t fileBytes, size_t headerBytes, uint64_t expectedPayload,
                  const std::string& what)
{
    const uint64_t expectedTotal = headerBytes + expectedPayload;
    if (fileBytes < expectedTotal)
        throw Error(path + ": truncated: the header announces " + what + " (" + std::to_string(expectedTotal) +
                    " bytes in all) but the data ends at offset " + std::to_string(fileBytes) +
                    "; the file is incomplete: reinstall or re-download it");
    if (fileBytes > expectedTotal)
        throw Error(path + ": " + std::to_string(fileBytes - expectedTotal) + " unexpected bytes after offset " +
                    std::to_string(expectedTotal) + " (the header announces " + what +
                    "): the header count does not match the data");
}

} // namespace

Dataset loadIdx(const std::string& imagesPath, const std::string& labelsPath, size_t limit)
{
    const std::vector<uint8_t> img = readWholeFile(imagesPath);
    const std::vector<uint32_t> idims = readHeader(imagesPath, img, kImageMagic, "image");
    const uint32_t count = idims[0], rows = idims[1], cols = idims[2];
    if (rows == 0 || cols == 0)
        throw Error(imagesPath + ": header at offset 8 gives an empty image size " + std::to_string(rows) + "x" +
                    std::to_string(cols));
    const size_t pixels = size_t(rows) * cols;
    checkPayload(imagesPath, img.size(), 16, uint64_t(count) * pixels,
                 std::to_string(count) + " images of " + std::to_string(rows) + "x" + std::to_string(cols));

    const std::vector<uint8_t> lab = readWholeFile(labelsPath);
    const std::vector<uint32_t> ldims = readHeader(labelsPath, lab, kLabelMagic, "label");
    checkPayload(labelsPath, lab.size(), 8, ldims[0], std::to_string(ldims[0]) + " labels");
    if (ldims[0] != count)
        throw Error(labelsPath + ": holds " + std::to_string(ldims[0]) + " labels but " + imagesPath + " holds " +
                    std::to_string(count) + " images: the two files must come from the same set (train or t10k)");

    const size_t n = limit > 0 && limit < count ? limit : count;
    Dataset d;
    d.name = std::filesystem::path(imagesPath).filename().string();
    d.sampleShape = {1, int64_t(rows), int64_t(cols)};
    d.numClasses = kFashionClasses;
    d.classNames = fashionClassNames();

    d.labels.resize(n);
    for (size_t i = 0; i < n; ++i) {
        const uint8_t v = lab[8 + i];
        if (v >= kFashionClasses)
            throw Error(labelsPath + ": label " + std::to_string(v) + " at offset " + std::to_string(8 + i) +
                        " (sample " + std::to_string(i) + ") is not a class index 0.." +
                        std::to_string(kFashionClasses - 1));
        d.labels[i] = v;
    }

    // A 256-entry table turns the byte-to-float scaling into one load per pixel.
    std::array<float, 256> scale;
    for (size_t v = 0; v < scale.size(); ++v) scale[v] = float(v) / 255.0f;
    d.features.resize(n * pixels);
    const uint8_t* src = img.data() + 16;
    for (size_t i = 0; i < d.features.size(); ++i) d.features[i] = scale[src[i]];
    return d;
}

FashionMnist loadFashionMnist(const std::string& dir, size_t limit)
{
    const std::string install = "`sudo apt-get install dataset-fashion-mnist`";
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec))
        throw Error("Fashion-MNIST not found in " + dir + ": install it with " + install);

    // Debian ships the files gzipped; a hand-made directory may hold them unpacked.
    auto find = [&](const std::string& stem) {
        for (const std::string& name : {stem + ".gz", stem}) {
            const std::filesystem::path p = std::filesystem::path(dir) / name;
            if (std::filesystem::is_regular_file(p, ec)) return p.string();
        }
        throw Error("Fashion-MNIST file " + stem + ".gz is missing from " + dir + ": install it with " + install +
                    " (or `sudo apt-get install --reinstall dataset-fashion-mnist` if it is already installed)");
    };
    const std::string trainImages = find("train-images-idx3-ubyte");
    const std::string trainLabels = find("train-labels-idx1-ubyte");
    const std::string testImages = find("t10k-images-idx3-ubyte");
    const std::string testLabels = find("t10k-labels-idx1-ubyte");

    FashionMnist fm;
    fm.train = loadIdx(trainImages, trainLabels, limit);
    fm.train.name = "fashion-mnist";
    fm.test = loadIdx(testImages, testLabels, limit);
    fm.test.name = "fashion-mnist";
    return fm;
}

} // namespace nn::data
