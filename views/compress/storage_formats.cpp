#include "views/compress/storage_formats.h"

#include <QObject>

namespace views::compress {

const QVector<StorageFormat>& storageFormats()
{
    static const QVector<StorageFormat> formats {
        {"dense", QObject::tr("Dense f32"),
         QObject::tr("Every weight as a 32-bit float, zeros included: the size before any compression.")},
        {"csr", QObject::tr("CSR"),
         QObject::tr("Compressed sparse rows: only the nonzero weights (32 bits each), each with its column "
                     "number (32 bits), plus one 32-bit pointer per row to where the row starts. Smaller than "
                     "dense only when well over half the weights are zero.")},
        {"relative_index", QObject::tr("Relative index"),
         QObject::tr("The EIE / Deep Compression layout: the nonzero weights in reading order, each with the "
                     "number of zeros skipped since the previous one, in 4 bits. A gap longer than 15 costs an "
                     "extra stored zero (a filler) per 16 positions.")},
        {"codebook", QObject::tr("Codebook"),
         QObject::tr("Weight sharing: the weights take only 2^B distinct values (the centroids). Each weight is "
                     "stored as a B-bit number saying which centroid it is, with its 4-bit relative index; the "
                     "centroids themselves are stored once, as 32-bit floats.")},
        {"huffman", QObject::tr("Huffman"),
         QObject::tr("The codebook layout with the centroid numbers and the gaps each Huffman coded: frequent "
                     "symbols get short codes, rare ones long codes, so the total is Σ count × code length "
                     "bits, plus the code tables.")},
        {"fixed", QObject::tr("Fixed point"),
         QObject::tr("Every weight rounded to B-bit fixed point: 2^B evenly spaced values, the spacing chosen so the "
                     "largest weight still fits. B bits a weight, zeros included.")},
        {"fixed_sparse", QObject::tr("Fixed, sparse"),
         QObject::tr("The relative-index layout with B-bit fixed-point values instead of 32-bit floats.")},
        {"int8", QObject::tr("int8"),
         QObject::tr("Every weight as an 8-bit integer q, read as (q − zero point) × scale, one scale and zero point "
                     "per tensor: 8 bits a weight.")},
        {"int8_sparse", QObject::tr("int8, sparse"),
         QObject::tr("The relative-index layout with 8-bit integer values instead of 32-bit floats.")},
        {"ternary", QObject::tr("Ternary"),
         QObject::tr("Every weight is −Wn, 0 or +Wp, two learned scales per layer: 2 bits a weight.")},
        {"binary", QObject::tr("Binary"), QObject::tr("Every weight is +α or −α, one scale per layer: 1 bit a weight.")},
        {"low_rank", QObject::tr("Low rank"),
         QObject::tr("A matrix stored as two thin factors of rank r (from its SVD): r × (rows + columns) floats "
                     "instead of rows × columns.")},
    };
    return formats;
}

bool isCoreFormat(const std::string& key)
{
    return key == "dense" || key == "csr" || key == "relative_index" || key == "codebook" || key == "huffman";
}

QString formatName(const std::string& key)
{
    for (const auto& f : storageFormats())
        if (key == f.key) return f.name;
    return QString::fromStdString(key);
}

QString formatTooltip(const std::string& key)
{
    for (const auto& f : storageFormats())
        if (key == f.key) return f.tooltip;
    return {};
}

QString sizeText(double bits)
{
    const double kib = bits / 8192.0;
    if (kib >= 1024.0) return QObject::tr("%1 MiB").arg(kib / 1024.0, 0, 'f', 2);
    return QObject::tr("%1 KiB").arg(kib, 0, 'f', kib < 10 ? 2 : 1);
}

} // namespace views::compress
