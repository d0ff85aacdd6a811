#pragma once
// The per-layer storage table of one pipeline stage: for every weight tensor its
// shape, weights, sparsity, distinct values, codebook bits, bits per weight in the
// stage's smallest format and its size in every format the stage has, then one
// row for the whole model (biases included, as f32). The stage's smallest format
// is bold. Column headers explain each format in plain words. Exports PNG, SVG, CSV.
#include <QTableWidget>

#include "engine/compress/pipeline.h"
#include "views/charts/exportable.h"
#include "views/compress/storage_formats.h"

namespace views::compress {

class LayerTable : public QTableWidget, public Exportable {
    Q_OBJECT
public:
    explicit LayerTable(QWidget* parent = nullptr);

    void setStage(const nn::compress::StageResult& stage);
    void clearStage();

    QString exportTitle() const override;
    QWidget* exportWidget() override { return this; }
    QStringList csvHeader() const override;
    QVector<QStringList> csvTextRows() const override;

private:
    void setColumns(const nn::compress::StageResult* stage);

    QVector<StorageFormat> columns_;  // the formats shown
    nn::compress::StageResult stage_;
    bool hasStage_ = false;
};

} // namespace views::compress
