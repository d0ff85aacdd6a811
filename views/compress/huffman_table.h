#pragma once
// The Huffman code tables of one layer after a huffman stage, side by side: the
// centroid numbers (which shared value each weight takes) and the relative-index
// gaps (zeros skipped before each stored weight). Each row is a symbol, how often
// it occurs and its code, most frequent first, so the short codes sit on top; a
// line under each table compares the coded size (Σ count × code length) with the
// fixed-width size. Exports PNG, SVG and CSV.
#include <QWidget>

#include "engine/compress/pipeline.h"
#include "views/charts/exportable.h"

class QLabel;
class QTableWidget;

namespace views::compress {

class HuffmanTable : public QWidget, public Exportable {
    Q_OBJECT
public:
    explicit HuffmanTable(QWidget* parent = nullptr);

    // `layer` of the stage `stageText`; a layer without code tables shows why.
    void setLayer(const nn::compress::LayerReport& layer, const QString& stageText);
    void clearLayer(const QString& why);

    int indexRows() const;
    int gapRows() const;

    QString exportTitle() const override;
    QWidget* exportWidget() override { return this; }
    QStringList csvHeader() const override;
    QVector<QStringList> csvTextRows() const override;

private:
    void fill(QTableWidget* table, QLabel* summary, const std::vector<nn::compress::HuffmanRow>& rows, int fixedBits);

    QLabel* heading_;
    QTableWidget *indices_, *gaps_;
    QLabel *indexSummary_, *gapSummary_;
    nn::compress::LayerReport layer_;
    QString stageText_;
};

} // namespace views::compress
