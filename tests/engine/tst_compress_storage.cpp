// Storage accounting (engine/compress/storage): dense f32, CSR and the EIE
// relative-index format counted by hand on a small matrix that has a gap > 15 (one
// filler); the filler rule at its edges (gap 15, 16, 32); codebook + indices and
// Huffman-coded sizes by hand; and the formats' ordering on a LeNet-300-100-sized
// layer pruned to 92% and shared at 5 bits (sizes printed).
#include <QtTest/QtTest>

#include "engine/compress/huffman.h"
#include "engine/compress/pruning.h"
#include "engine/compress/storage.h"
#include "engine/core/error.h"
#include "engine/core/random.h"

using namespace nn;
using namespace nn::compress;

namespace {

// 3 × 12, row-major flat positions 0, 3, 23, 29 nonzero.
Tensor smallMatrix()
{
    Tensor w(Shape {3, 12});
    w[0] = 0.5f;
    w[3] = -1.0f;
    w[23] = 2.0f;  // row 1, column 11: 19 zeros after position 3
    w[29] = 0.25f;  // row 2, column 5: 5 zeros after 23
    return w;
}

std::vector<uint8_t> flagsAt(size_t n, std::initializer_list<size_t> at)
{
    std::vector<uint8_t> f(n);
    for (size_t i : at) f[i] = 1;
    return f;
}

} // namespace

class CompressStorageTest : public QObject {
    Q_OBJECT
private slots:
    void handCountSmallMatrix()
    {
        const Tensor w = smallMatrix();
        QCOMPARE(denseBits(w), uint64_t(36 * 32));

        // CSR: 4 values + 4 column indices (32 bits each) + 4 row pointers (32 bits).
        const StorageBits csr = csrBits(w);
        QCOMPARE(csr.values, uint64_t(4 * 32));
        QCOMPARE(csr.indices, uint64_t(4 * 32));
        QCOMPARE(csr.pointers, uint64_t(4 * 32));
        QCOMPARE(csr.total(), uint64_t(384));
        QCOMPARE(ratio(denseBits(w), csr), 3.0);

        // Relative index: gaps 0, 2, then 19 > 15: a filler (gap 15, covering
        // positions 4..19), then gap 3; then gap 5. Trailing zeros cost nothing.
        const auto stream = relativeIndex(nonzeroFlags(w));
        QCOMPARE(int(stream.size()), 5);
        const uint32_t gaps[] = {0, 2, 15, 3, 5};
        const int64_t positions[] = {0, 3, -1, 23, 29};
        for (int i = 0; i < 5; ++i) {
            QCOMPARE(stream[size_t(i)].gap, gaps[i]);
            QCOMPARE(stream[size_t(i)].position, positions[i]);
        }
        const StorageBits rel = relativeIndexBits(w);
        QCOMPARE(rel.values, uint64_t(5 * 32));
        QCOMPARE(rel.indices, uint64_t(5 * 4));
        QCOMPARE(rel.total(), uint64_t(180));
        QCOMPARE(ratio(denseBits(w), rel), 1152.0 / 180.0);

        // Codebook + 2-bit indices: 5 entries × (2 + 4) + 3 stored centroids × 32
        // (entry 0, the reserved zero, is implied).
        SharedWeights s;
        s.bits = 2;
        s.codebook = {0.0f, -1.0f, 0.5f, 2.0f};
        s.index.assign(36, -1);
        s.index[0] = 2;
        s.index[3] = 1;
        s.index[23] = 3;
        s.index[29] = 2;
        const StorageBits cb = codebookBits(s);
        QCOMPARE(cb.values, uint64_t(10));
        QCOMPARE(cb.indices, uint64_t(20));
        QCOMPARE(cb.codebook, uint64_t(96));
        QCOMPARE(cb.total(), uint64_t(126));

        // Huffman: index stream 2 1 [0] 3 2 (filler = the zero entry): counts 1,1,2,1
        // over 4 symbols -> all 2 bits = 10; gap stream 0 2 15 3 5, five symbols once
        // each -> lengths 2,2,2,3,3 = 12; tables 8 bits × (4 + 16) symbols.
        const StorageBits hf = huffmanBits(s);
        QCOMPARE(hf.values, uint64_t(10));
        QCOMPARE(hf.indices, uint64_t(12));
        QCOMPARE(hf.codebook, uint64_t(96));
        QCOMPARE(hf.tables, uint64_t(160));
        QCOMPARE(hf.total(), uint64_t(278));

        // The stream decodes back to the weights, the filler to an exact zero.
        const CodebookStream coded = codebookStream(s);
        QCOMPARE(coded.values, (std::vector<uint32_t> {2, 1, 0, 3, 2}));
        QCOMPARE(coded.gaps, (std::vector<uint32_t> {0, 2, 15, 3, 5}));
        std::vector<float> expected(36, 0.0f);
        expected[0] = 0.5f;
        expected[3] = -1.0f;
        expected[23] = 2.0f;
        expected[29] = 0.5f;
        QCOMPARE(decodeCodebookStream(coded, s.codebook, 36), expected);
        QVERIFY_THROWS_EXCEPTION(Error, decodeCodebookStream(coded, s.codebook, 29));  // runs past the end
        QVERIFY_THROWS_EXCEPTION(Error, decodeCodebookStream(coded, {0.0f, 1.0f}, 36));  // index 2 too big
        s.index[3] = 0;  // a nonzero on the reserved entry cannot be stored
        QVERIFY_THROWS_EXCEPTION(Error, codebookStream(s));
    }

    void fillerEdges()
    {
        // Gap 15 fits; 16 needs one filler; 32 two; 31 one filler then gap 15.
        auto rel15 = relativeIndex(flagsAt(40, {15}));
        QCOMPARE(int(rel15.size()), 1);
        QCOMPARE(rel15[0].gap, 15u);
        auto rel16 = relativeIndex(flagsAt(40, {16}));
        QCOMPARE(int(rel16.size()), 2);
        QCOMPARE(rel16[0].position, int64_t(-1));
        QCOMPARE(rel16[1].gap, 0u);
        QCOMPARE(int(relativeIndex(flagsAt(40, {32})).size()), 3);
        auto rel31 = relativeIndex(flagsAt(40, {31}));
        QCOMPARE(int(rel31.size()), 2);
        QCOMPARE(rel31[1].gap, 15u);
        // 3-bit gaps: a filler covers 8 positions.
        QCOMPARE(int(relativeIndex(flagsAt(40, {20}), 3).size()), 3);
        QVERIFY(relativeIndex(std::vector<uint8_t>(40, 0)).empty());
        QVERIFY_THROWS_EXCEPTION(Error, csrBits(Tensor(Shape {2, 2, 2})));
    }

    void lenetSizedLayer()
    {
        Tensor w(Shape {784, 300});
        Rng r(5);
        for (int64_t i = 0; i < w.numel(); ++i) w[i] = 0.05f * float(r.normal());
        prunePerTensor({w}, 0.92);
        const SharedWeights s = shareWeights(w, 5);
        applySharing(w, s);
        const uint64_t dense = denseBits(w);
        const StorageBits csr = csrBits(w), rel = relativeIndexBits(w), cb = codebookBits(s), hf = huffmanBits(s);
        qInfo("784x300 at 92%% sparsity, 5-bit sharing: dense %llu bits; CSR %.2fx; relative index %.2fx; "
              "codebook %.2fx; Huffman %.2fx",
              (unsigned long long)dense, ratio(dense, csr), ratio(dense, rel), ratio(dense, cb), ratio(dense, hf));
        QVERIFY(dense > csr.total());
        QVERIFY(csr.total() > rel.total());
        QVERIFY(rel.total() > cb.total());
        QVERIFY(cb.total() > hf.total());

        // Both streams through their Huffman codes and back, then decoded: the exact
        // weights, long runs of pruned zeros (fillers) included.
        const CodebookStream stream = codebookStream(s);
        int64_t fillers = 0;
        for (size_t e = 0; e < stream.values.size(); ++e) fillers += stream.values[e] == 0;
        QVERIFY(fillers > 0);
        const auto vc = symbolCounts(stream.values, s.codebook.size()), gc = symbolCounts(stream.gaps, 16);
        const HuffmanCode vcode = buildHuffman(vc), gcode = buildHuffman(gc);
        const BitString vbits = huffmanEncode(vcode, stream.values), gbits = huffmanEncode(gcode, stream.gaps);
        QCOMPARE(vbits.bits, hf.values);
        QCOMPARE(gbits.bits, hf.indices);
        const CodebookStream decoded {huffmanDecode(vcode, vbits), huffmanDecode(gcode, gbits)};
        const std::vector<float> back = decodeCodebookStream(decoded, s.codebook, w.numel());
        for (int64_t i = 0; i < w.numel(); ++i)
            if (back[size_t(i)] != w[i]) QFAIL(qPrintable(QString("weight %1 decodes to %2, not %3").arg(i).arg(back[size_t(i)]).arg(w[i])));
    }
};

QTEST_APPLESS_MAIN(CompressStorageTest)
#include "tst_compress_storage.moc"
