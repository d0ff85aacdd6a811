#pragma once
// Huffman coding (Deep Compression's last stage) of small alphabets: the
// shared-weight indices and the sparse index gaps. The code is canonical (codes
// of one length are consecutive, in symbol order), so a decoder needs only the
// lengths. Bits are written most significant first.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace nn::compress {

struct HuffmanCode {
    std::vector<uint8_t> lengths;  // per symbol 0..n-1; 0 = the symbol never occurs
    std::vector<uint64_t> codes;   // the lowest lengths[s] bits are the code
    // Σ counts[s] × lengths[s]: the exact size of a sequence with these counts.
    uint64_t bits(const std::vector<uint64_t>& counts) const;
};

// From per-symbol counts (symbols with count 0 get no code). A single occurring
// symbol gets a 1-bit code ("0"); no occurring symbol gives an empty code.
// Ties are broken deterministically. Throws nn::Error past 64-bit codes.
HuffmanCode buildHuffman(const std::vector<uint64_t>& counts);

// Counts of each symbol 0..alphabet-1 in `symbols` (a symbol ≥ alphabet throws).
std::vector<uint64_t> symbolCounts(const std::vector<uint32_t>& symbols, size_t alphabet);

struct BitString {
    std::vector<uint8_t> bytes;  // bit i is bytes[i / 8] >> (7 - i % 8)
    uint64_t bits = 0;
};

// Throws nn::Error for a symbol without a code.
BitString huffmanEncode(const HuffmanCode& code, const std::vector<uint32_t>& symbols);
// Decodes all of `bits`; throws nn::Error on a code that is not in the table or
// a truncated last code.
std::vector<uint32_t> huffmanDecode(const HuffmanCode& code, const BitString& bits);

} // namespace nn::compress
