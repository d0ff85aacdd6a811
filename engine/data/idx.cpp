// Fashion-MNIST from the IDX files Debian's dataset-fashion-mnist installs.
// IDX: a big-endian header (magic 0x000008DD: type 0x08 = unsigned byte, DD =
// number of dimensions, then one 32-bit count per dimension) followed by raw
// bytes. Each file is streamed through zlib (gzread also passes plain files
// through) straight into one buffer of the size the header announces, and
// checked against that header, so a damaged file fails with the byte offset of
// the problem instead of yielding a silently short data set.
//
// With a `limit` only the header and the first `limit` samples are read: that is
// what makes a limit fast, and it means damage past them goes unnoticed.
#include "engine/data/dataset.h"

#include "engine/core/error.h"

#include <zlib.h>

#include <algorithm>
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

// A gzipped (or plain) file read front to back; every zlib failure becomes an
// nn::Error naming the file.
class GzFile {
public:
    explicit GzFile(const std::string& path) : path_(path)
    {
        std::error_code ec;
        if (!std::filesystem::is_regular_file(path, ec)) throw Error(path + ": no such file");
        f_ = gzopen(path.c_str(), "rb");
        if (!f_) throw Error(path + ": cannot open the file (check its permissions)");
        gzbuffer(f_, 1 << 18);  // fewer, larger reads of the compressed file
    }
    ~GzFile() { gzclose_r(f_); }
    GzFile(const GzFile&) = delete;
    GzFile& operator=(const GzFile&) = delete;

    // Reads up to n bytes into dst; returns how many there were (fewer only at
    // the end of the data).
    size_t read(uint8_t* dst, size_t n)
    {
        size_t got = 0;
        while (got < n) {
            const unsigned step = unsigned(std::min<size_t>(n - got, size_t(1) << 30));
            const int r = gzread(f_, dst + got, step);
            if (r < 0) {
                int code = 0;
                const std::string why = gzerror(f_, &code);
                throw Error(path_ + ": damaged gzip data after " + std::to_string(offset_ + got) +
                            " decompressed bytes (" + why + "); the file is corrupt: reinstall or re-download it");
            }
            if (r == 0) break;
            got += size_t(r);
        }
        offset_ += got;
        // A gzip stream that stops early reads as a plain end of file; zlib
        // flags it only as Z_BUF_ERROR in gzerror.
        if (got < n) {
            int code = Z_OK;
            gzerror(f_, &code);
            if (code == Z_BUF_ERROR)
                throw Error(path_ + ": truncated gzip data: the stream ends unexpectedly after " +
                            std::to_string(offset_) +
                            " decompressed bytes; the file is incomplete: reinstall or re-download it");
        }
        return got;
    }

    // Counts the bytes left until the end of the data (normally none).
    size_t skipToEnd()
    {
        std::vector<uint8_t> sink(size_t(1) << 16);
        size_t extra = 0;
        for (size_t r; (r = read(sink.data(), sink.size())) > 0;) extra += r;
        return extra;
    }

    size_t offset() const { return offset_; }

private:
    std::string path_;
    gzFile f_ = nullptr;
    size_t offset_ = 0;  // decompressed bytes read so far
};

uint32_t bigEndian32(const uint8_t* b)
{
    return (uint32_t(b[0]) << 24) | (uint32_t(b[1]) << 16) | (uint32_t(b[2]) << 8) | uint32_t(b[3]);
}

// Reads and checks the magic number and header; returns the dimension counts.
std::vector<uint32_t> readHeader(GzFile& in, const std::string& path, uint32_t expected, const char* kind)
{
    const size_t dims = expected & 0xFF;
    const size_t headerBytes = 4 + 4 * dims;
    std::array<uint8_t, 16> h {};
    const size_t got = in.read(h.data(), headerBytes);
    if (got < 4)
        throw Error(path + ": file is only " + std::to_string(got) +
                    " bytes, too short for an IDX header (offset 0)");
    const uint32_t magic = bigEndian32(h.data());
    if (magic != expected) {
        std::string msg = path + ": bad magic number " + hex32(magic) + " at offset 0 (expected " + hex32(expected) +
                          " for an IDX " + kind + " file)";
        if (magic == kImageMagic || magic == kLabelMagic)
            msg += "; this is an IDX " + std::string(magic == kImageMagic ? "image" : "label") +
                   " file: are the images and labels paths swapped?";
        throw Error(msg);
    }
    if (got < headerBytes)
        throw Error(path + ": header is cut off at offset " + std::to_string(got) + " (an IDX " + kind +
                    " header needs " + std::to_string(headerBytes) + " bytes)");
    std::vector<uint32_t> counts(dims);
    for (size_t i = 0; i < dims; ++i) counts[i] = bigEndian32(h.data() + 4 + 4 * i);
    return counts;
}

// Reads `count` records of `recordBytes`, of which the header announced `total`
// (`what`): short data is an error, and so are bytes past the announced end
// when the whole file was meant to be read.
std::vector<uint8_t> readPayload(GzFile& in, const std::string& path, size_t count, size_t recordBytes,
                                 size_t total, const std::string& what)
{
    std::vector<uint8_t> data(count * recordBytes);
    const size_t start = in.offset();
    const size_t got = in.read(data.data(), data.size());
    if (got < data.size())
        throw Error(path + ": truncated: the header announces " + what + " (" +
                    std::to_string(start + total * recordBytes) + " bytes in all) but the data ends at offset " +
                    std::to_string(start + got) + "; the file is incomplete: reinstall or re-download it");
    if (count == total) {
        const size_t end = in.offset();
        if (const size_t extra = in.skipToEnd())
            throw Error(path + ": " + std::to_string(extra) + (extra == 1 ? " unexpected byte" : " unexpected bytes") +
                        " after offset " +
                        std::to_string(end) + " (the header announces " + what +
                        "): the header count does not match the data");
    }
    return data;
}

} // namespace

Dataset loadIdx(const std::string& imagesPath, const std::string& labelsPath, size_t limit)
{
    GzFile images(imagesPath);
    const std::vector<uint32_t> idims = readHeader(images, imagesPath, kImageMagic, "image");
    const size_t count = idims[0], rows = idims[1], cols = idims[2];
    if (rows == 0 || cols == 0)
        throw Error(imagesPath + ": header at offset 8 gives an empty image size " + std::to_string(rows) + "x" +
                    std::to_string(cols));

    GzFile labels(labelsPath);
    const std::vector<uint32_t> ldims = readHeader(labels, labelsPath, kLabelMagic, "label");
    if (ldims[0] != count)
        throw Error(labelsPath + ": holds " + std::to_string(ldims[0]) + " labels but " + imagesPath + " holds " +
                    std::to_string(count) + " images: the two files must come from the same set (train or t10k)");

    // A damaged header can announce absurd sizes; refuse before allocating.
    const size_t pixels = rows * cols;
    constexpr size_t kMaxBytes = size_t(1) << 32;
    if (pixels > kMaxBytes || count * pixels > kMaxBytes)
        throw Error(imagesPath + ": the header (offset 4) announces " + std::to_string(count) + " images of " +
                    std::to_string(rows) + "x" + std::to_string(cols) +
                    ", more than 4 GiB of pixels: the header is damaged");
    const size_t n = limit > 0 && limit < count ? limit : count;
    const std::vector<uint8_t> img =
        readPayload(images, imagesPath, n, pixels, count,
                    std::to_string(count) + " images of " + std::to_string(rows) + "x" + std::to_string(cols));
    const std::vector<uint8_t> lab = readPayload(labels, labelsPath, n, 1, count, std::to_string(count) + " labels");

    Dataset d;
    d.name = std::filesystem::path(imagesPath).filename().string();
    d.sampleShape = {1, int64_t(rows), int64_t(cols)};
    d.numClasses = kFashionClasses;
    d.classNames = fashionClassNames();

    d.labels.resize(n);
    for (size_t i = 0; i < n; ++i) {
        if (lab[i] >= kFashionClasses)
            throw Error(labelsPath + ": label " + std::to_string(lab[i]) + " at offset " + std::to_string(8 + i) +
                        " (sample " + std::to_string(i) + ") is not a class index 0.." +
                        std::to_string(kFashionClasses - 1));
        d.labels[i] = lab[i];
    }

    // A 256-entry table turns the byte-to-float scaling into one load per pixel.
    std::array<float, 256> scale;
    for (size_t v = 0; v < scale.size(); ++v) scale[v] = float(v) / 255.0f;
    d.features.resize(img.size());
    for (size_t i = 0; i < img.size(); ++i) d.features[i] = scale[img[i]];
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
