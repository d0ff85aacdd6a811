#include "engine/compress/huffman.h"

#include <algorithm>
#include <queue>
#include <string>
#include <tuple>

#include "engine/core/error.h"

namespace nn::compress {

uint64_t HuffmanCode::bits(const std::vector<uint64_t>& counts) const
{
    uint64_t total = 0;
    for (size_t s = 0; s < counts.size() && s < lengths.size(); ++s) total += counts[s] * lengths[s];
    return total;
}

HuffmanCode buildHuffman(const std::vector<uint64_t>& counts)
{
    HuffmanCode h;
    h.lengths.assign(counts.size(), 0);
    h.codes.assign(counts.size(), 0);
    // Tree nodes: leaves first (one per occurring symbol), then internal nodes.
    struct Node {
        int parent = -1;
    };
    std::vector<Node> nodes;
    std::vector<size_t> leafSymbol;
    using Item = std::tuple<uint64_t, int>;  // (weight, node id): lower id wins ties
    std::priority_queue<Item, std::vector<Item>, std::greater<Item>> queue;
    for (size_t s = 0; s < counts.size(); ++s)
        if (counts[s] > 0) {
            queue.emplace(counts[s], int(nodes.size()));
            nodes.push_back({});
            leafSymbol.push_back(s);
        }
    if (leafSymbol.empty()) return h;
    if (leafSymbol.size() == 1) {
        h.lengths[leafSymbol[0]] = 1;
        return h;
    }
    while (queue.size() > 1) {
        const auto [wa, a] = queue.top();
        queue.pop();
        const auto [wb, b] = queue.top();
        queue.pop();
        const int parent = int(nodes.size());
        nodes.push_back({});
        nodes[size_t(a)].parent = nodes[size_t(b)].parent = parent;
        queue.emplace(wa + wb, parent);
    }
    for (size_t leaf = 0; leaf < leafSymbol.size(); ++leaf) {
        int depth = 0;
        for (int n = int(leaf); nodes[size_t(n)].parent >= 0; n = nodes[size_t(n)].parent) ++depth;
        if (depth > 64) throw Error("Huffman code longer than 64 bits (" + std::to_string(depth) + ")");
        h.lengths[leafSymbol[leaf]] = uint8_t(depth);
    }
    // Canonical codes: by (length, symbol), each the previous + 1, shifted left as
    // the length grows.
    std::vector<size_t> order = leafSymbol;
    std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) { return h.lengths[x] < h.lengths[y]; });
    uint64_t code = 0;
    int previous = h.lengths[order[0]];
    for (size_t i = 0; i < order.size(); ++i) {
        const int len = h.lengths[order[i]];
        if (i > 0) code = (code + 1) << (len - previous);
        previous = len;
        h.codes[order[i]] = code;
    }
    return h;
}

std::vector<uint64_t> symbolCounts(const std::vector<uint32_t>& symbols, size_t alphabet)
{
    std::vector<uint64_t> c(alphabet);
    for (uint32_t s : symbols) {
        if (s >= alphabet)
            throw Error("symbol " + std::to_string(s) + " is outside the alphabet of " + std::to_string(alphabet));
        ++c[s];
    }
    return c;
}

BitString huffmanEncode(const HuffmanCode& code, const std::vector<uint32_t>& symbols)
{
    BitString out;
    for (uint32_t s : symbols) {
        if (s >= code.lengths.size() || code.lengths[s] == 0)
            throw Error("symbol " + std::to_string(s) + " has no Huffman code");
        const int len = code.lengths[s];
        for (int b = len - 1; b >= 0; --b) {
            if (out.bits % 8 == 0) out.bytes.push_back(0);
            if ((code.codes[s] >> b) & 1u) out.bytes.back() |= uint8_t(0x80u >> (out.bits % 8));
            ++out.bits;
        }
    }
    return out;
}

std::vector<uint32_t> huffmanDecode(const HuffmanCode& code, const BitString& in)
{
    // Canonical decoding: per length, the first code and where its symbols start
    // in the (length, symbol) order.
    std::vector<uint32_t> sorted;
    int maxLen = 0;
    for (size_t s = 0; s < code.lengths.size(); ++s)
        if (code.lengths[s]) {
            sorted.push_back(uint32_t(s));
            maxLen = std::max<int>(maxLen, code.lengths[s]);
        }
    std::stable_sort(sorted.begin(), sorted.end(),
                     [&](uint32_t x, uint32_t y) { return code.lengths[x] < code.lengths[y]; });
    std::vector<uint64_t> countOf(size_t(maxLen) + 1), first(size_t(maxLen) + 1);
    std::vector<size_t> start(size_t(maxLen) + 1);
    for (uint32_t s : sorted) ++countOf[code.lengths[s]];
    size_t pos = 0;
    for (int len = 1; len <= maxLen; ++len) {
        start[size_t(len)] = pos;
        pos += countOf[size_t(len)];
    }
    for (int len = 1; len <= maxLen; ++len)
        if (countOf[size_t(len)]) first[size_t(len)] = code.codes[sorted[start[size_t(len)]]];
    std::vector<uint32_t> out;
    uint64_t value = 0;
    int len = 0;
    for (uint64_t i = 0; i < in.bits; ++i) {
        value = (value << 1) | ((in.bytes[size_t(i / 8)] >> (7 - i % 8)) & 1u);
        ++len;
        if (len > maxLen) throw Error("bit " + std::to_string(i) + " ends no Huffman code");
        const uint64_t n = countOf[size_t(len)];
        if (n && value >= first[size_t(len)] && value - first[size_t(len)] < n) {
            out.push_back(sorted[start[size_t(len)] + size_t(value - first[size_t(len)])]);
            value = 0;
            len = 0;
        }
    }
    if (len) throw Error("the bit string ends inside a Huffman code");
    return out;
}

} // namespace nn::compress
