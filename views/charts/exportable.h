#pragma once
// Every chart in the app exports to PNG, SVG and CSV the same way: it implements
// Exportable, and installExportMenu() gives it a right-click menu for all three.
// File → Export chart… in the main window uses the same interface.
#include <QSize>
#include <QString>
#include <QStringList>
#include <QVector>

class QPainter;
class QWidget;

namespace views {

// How large an exported picture is: `size` in logical pixels (the layout the
// chart gets), `scale` device pixels per logical pixel (2: a 1600×900 chart
// becomes a sharp 3200×1800 PNG). An empty size or a scale of 0 means the
// chart's default (defaultExportSize()).
struct ExportSize {
    QSize size;
    double scale = 0;
};

class Exportable {
public:
    virtual ~Exportable() = default;
    // Shown in menus and used as the default file name ("Loss curves").
    virtual QString exportTitle() const = 0;
    // The widget to render for PNG/SVG.
    virtual QWidget* exportWidget() = 0;
    // The size an export gets when none is asked for: by default the widget's own.
    virtual ExportSize defaultExportSize();
    // Draws the chart alone into (0, 0, size). By default the widget as it is on
    // screen, scaled to fit; charts that can lay themselves out at any size
    // (the training curves) draw afresh at `size`, without the UI around them.
    virtual void renderExport(QPainter& painter, const QSize& size);
    // The chart's data as a table: a header row and numeric rows (or text rows, below).
    virtual QStringList csvHeader() const = 0;
    virtual QVector<QVector<double>> csvRows() const { return {}; }
    // Tables with words in them (layer names, Huffman codes) give their rows here
    // instead; when this is not empty, exportCsv writes it and not csvRows().
    virtual QVector<QStringList> csvTextRows() const { return {}; }
};

// Each returns an empty string on success, else a message naming the file and the problem.
QString exportPng(Exportable& chart, const QString& path, ExportSize size = {});
QString exportSvg(Exportable& chart, const QString& path, ExportSize size = {});
QString exportCsv(const Exportable& chart, const QString& path);
// Picks the format from the file's extension (.png, .svg, .csv).
QString exportChart(Exportable& chart, const QString& path, ExportSize size = {});

// Adds "Export PNG…/SVG…/CSV…" to the widget's context menu (file dialogs).
void installExportMenu(QWidget* widget, Exportable* chart);

} // namespace views
