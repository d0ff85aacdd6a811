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
    };
    return formats;
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
