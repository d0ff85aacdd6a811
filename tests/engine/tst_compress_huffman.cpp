// Huffman coding (engine/compress/huffman): code lengths of a textbook example,
// the exact bit count Σ count × length equal to what the encoder writes, a
// prefix-free canonical code (Kraft sum 1), round trips, and the edge cases: one
// symbol (1 bit each), no symbols, a symbol without a code, a corrupt stream.
#include <QtTest/QtTest>

#include <cmath>

#include "engine/compress/huffman.h"
#include "engine/core/error.h"
#include "engine/core/random.h"

using namespace nn;
using namespace nn::compress;

namespace {

double kraft(const HuffmanCode& h)
{
    double sum = 0;
    for (uint8_t l : h.lengths)
        if (l) sum += std::ldexp(1.0, -int(l));
    return sum;
}

bool prefixFree(const HuffmanCode& h)
{
    for (size_t a = 0; a < h.lengths.size(); ++a)
        for (size_t b = 0; b < h.lengths.size(); ++b) {
            if (a == b || !h.lengths[a] || !h.lengths[b] || h.lengths[a] > h.lengths[b]) continue;
            if ((h.codes[b] >> (h.lengths[b] - h.lengths[a])) == h.codes[a]) return false;
        }
    return true;
}

} // namespace

class CompressHuffmanTest : public QObject {
    Q_OBJECT
private slots:
    void textbookLengths()
    {
        // CLRS's example: a..f with these counts.
        const std::vector<uint64_t> counts {5, 9, 12, 13, 16, 45};
        const HuffmanCode h = buildHuffman(counts);
        QCOMPARE(h.lengths, (std::vector<uint8_t> {4, 4, 3, 3, 3, 1}));
        QCOMPARE(h.bits(counts), uint64_t(224));  // 4·14 + 3·41 + 45
        QCOMPARE(kraft(h), 1.0);
        QVERIFY(prefixFree(h));
        // Canonical: f = 0, c d e = 100 101 110, a b = 1110 1111.
        QCOMPARE(h.codes, (std::vector<uint64_t> {0b1110, 0b1111, 0b100, 0b101, 0b110, 0b0}));
    }

    void bitsEqualSumOfCountTimesLengthAndRoundTrip()
    {
        for (uint64_t seed : {1, 2, 3}) {
            Rng r(seed);
            std::vector<uint32_t> symbols;
            for (int i = 0; i < 20000; ++i) {  // roughly geometric over 32 symbols
                uint32_t s = 0;
                while (s < 31 && r.uniform() < 0.6) ++s;
                symbols.push_back(s);
            }
            const auto counts = symbolCounts(symbols, 32);
            const HuffmanCode h = buildHuffman(counts);
            QVERIFY(prefixFree(h));
            QCOMPARE(kraft(h), 1.0);
            uint64_t expected = 0;
            for (size_t s = 0; s < counts.size(); ++s) {
                QCOMPARE(h.lengths[s] == 0, counts[s] == 0);
                expected += counts[s] * h.lengths[s];
            }
            const BitString bits = huffmanEncode(h, symbols);
            QCOMPARE(bits.bits, expected);
            QCOMPARE(h.bits(counts), expected);
            QCOMPARE(bits.bytes.size(), size_t((expected + 7) / 8));
            QVERIFY(expected < 5 * symbols.size());  // beats 5-bit fixed codes
            QCOMPARE(huffmanDecode(h, bits), symbols);
        }
    }

    void oneSymbol()
    {
        const std::vector<uint64_t> counts {0, 0, 7};
        const HuffmanCode h = buildHuffman(counts);
        QCOMPARE(h.lengths, (std::vector<uint8_t> {0, 0, 1}));
        QCOMPARE(h.bits(counts), uint64_t(7));
        const std::vector<uint32_t> symbols(7, 2);
        const BitString b = huffmanEncode(h, symbols);
        QCOMPARE(b.bits, uint64_t(7));
        QCOMPARE(huffmanDecode(h, b), symbols);
        QVERIFY_THROWS_EXCEPTION(Error, huffmanEncode(h, {1}));  // no code
        BitString bad;
        bad.bytes = {0x80};
        bad.bits = 1;  // "1" is no code
        QVERIFY_THROWS_EXCEPTION(Error, huffmanDecode(h, bad));
    }

    void noSymbols()
    {
        const HuffmanCode h = buildHuffman({0, 0});
        QCOMPARE(h.lengths, (std::vector<uint8_t> {0, 0}));
        const BitString b = huffmanEncode(h, {});
        QCOMPARE(b.bits, uint64_t(0));
        QVERIFY(huffmanDecode(h, b).empty());
        QVERIFY_THROWS_EXCEPTION(Error, symbolCounts({3}, 3));
    }

    void truncatedStream()
    {
        const HuffmanCode h = buildHuffman({5, 9, 12, 13, 16, 45});
        BitString b = huffmanEncode(h, {0});  // 1110
        b.bits = 3;
        QVERIFY_THROWS_EXCEPTION(Error, huffmanDecode(h, b));
    }
};

QTEST_APPLESS_MAIN(CompressHuffmanTest)
#include "tst_compress_huffman.moc"
