#pragma once
// The storage formats of the compression view, in the order a model moves through
// them (dense → sparse → shared → Huffman): the engine's key for each
// (StageResult::bits), a short column name and a plain-words explanation for
// tooltips. One table, so the layer table, the storage chart and the filmstrip
// captions name and explain a format the same way.
#include <QString>
#include <QVector>

namespace views::compress {

struct StorageFormat {
    const char* key;   // as in nn::compress::StageResult::bits: "dense", "csr", ...
    QString name;      // "Relative index"
    QString tooltip;   // what is stored, in plain words
};

// dense, csr, relative_index, codebook, huffman (the Deep Compression formats,
// always shown), then fixed, fixed_sparse, int8, int8_sparse, ternary, binary,
// low_rank (shown when a stage has them).
const QVector<StorageFormat>& storageFormats();
bool isCoreFormat(const std::string& key);
// The name for a key; the key itself for a format this table does not know yet.
QString formatName(const std::string& key);
QString formatTooltip(const std::string& key);

// "12.3 KiB" from bits (KiB = 8192 bits), "1.21 MiB" past 1024 KiB.
QString sizeText(double bits);

} // namespace views::compress
