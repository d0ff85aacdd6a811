#pragma once
// Storage accounting of one weight tensor, in bits, by format (Deep Compression's
// size figures). Index widths used:
// - dense f32: 32 bits per element.
// - CSR of a 2-D [rows, cols] tensor: 32-bit values, 32-bit column indices and
//   rows + 1 32-bit row pointers (int32, as scipy and MKL store them).
// - relative index (EIE / Deep Compression): the tensor read in row-major order as
//   one stream (the shape delimits it: no pointers); each nonzero is stored with
//   the number of zeros before it (since the previous stored entry) in `gapBits`
//   bits. When that gap exceeds 2^gapBits - 1 (15 for 4 bits), a filler entry - a
//   stored zero with the largest gap - covers 2^gapBits positions, as many times as
//   needed: gap g costs g / 2^gapBits fillers. Zeros after the last nonzero cost
//   nothing. Values 32-bit f32.
// - codebook + indices: the same stream with a `bits`-bit codebook index per entry
//   instead of an f32, plus the K - 1 = 2^bits - 1 f32 centroids. Index 0 is the
//   reserved zero entry (weight_sharing.h): a filler stores it and decodes to 0, so
//   the stream decodes back to the exact weights; being implied, it is not stored.
// - Huffman: the codebook stream with the index sequence and the gap sequence each
//   Huffman coded (exact Σ count × length), plus the centroids and both code tables
//   as 8 bits per alphabet symbol (canonical codes need only the lengths).
#include <cstdint>
#include <string>
#include <vector>

#include "engine/compress/weight_sharing.h"
#include "engine/tensor/tensor.h"

namespace nn::compress {

struct StorageBits {
    uint64_t values = 0;    // weights: f32, codebook indices or their Huffman code
    uint64_t indices = 0;   // column indices, or relative gaps (or their Huffman code)
    uint64_t pointers = 0;  // row pointers
    uint64_t codebook = 0;  // shared centroids
    uint64_t tables = 0;    // Huffman code tables
    uint64_t total() const { return values + indices + pointers + codebook + tables; }
};

// Dense f32 bits ÷ a format's bits.
double ratio(uint64_t denseBits, const StorageBits& s);

uint64_t denseBits(const Tensor& w);
// Throws nn::Error unless w is 2-D.
StorageBits csrBits(const Tensor& w);

// The relative-index stream: per entry its gap and the flat position of the
// nonzero it stores, or -1 for a filler.
struct RelativeEntry {
    uint32_t gap = 0;
    int64_t position = -1;
};
std::vector<RelativeEntry> relativeIndex(const std::vector<uint8_t>& nonzero, int gapBits = 4);
std::vector<uint8_t> nonzeroFlags(const Tensor& w);
std::vector<uint8_t> nonzeroFlags(const SharedWeights& s);

// The codebook stream as two symbol sequences, one symbol per stored entry: the
// codebook index (kZeroEntry for a filler) and the gap. Throws nn::Error when a
// nonzero weight has the reserved index.
struct CodebookStream {
    std::vector<uint32_t> values, gaps;
};
CodebookStream codebookStream(const SharedWeights& s, int gapBits = 4);
// The weights back from a stream: each entry sits `gap` positions after the
// previous one; positions after the last entry are zero. Throws nn::Error for an
// index outside the codebook or a stream longer than `numel`.
std::vector<float> decodeCodebookStream(const CodebookStream& stream, const std::vector<float>& codebook,
                                        int64_t numel);

StorageBits relativeIndexBits(const Tensor& w, int gapBits = 4);
StorageBits codebookBits(const SharedWeights& s, int gapBits = 4);
StorageBits huffmanBits(const SharedWeights& s, int gapBits = 4);

} // namespace nn::compress
