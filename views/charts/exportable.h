#pragma once
// Every chart in the app exports to PNG, SVG and CSV the same way: it implements
// Exportable, and installExportMenu() gives it a right-click menu for all three.
// File → Export chart… in the main window uses the same interface.
#include <QString>
#include <QStringList>
#include <QVector>

class QWidget;

namespace views {

class Exportable {
public:
    virtual ~Exportable() = default;
    // Shown in menus and used as the default file name ("Loss curves").
    virtual QString exportTitle() const = 0;
    // The widget to render for PNG/SVG.
    virtual QWidget* exportWidget() = 0;
    // The chart's data as a table: a header row and numeric rows (or text rows, below).
    virtual QStringList csvHeader() const = 0;
    virtual QVector<QVector<double>> csvRows() const { return {}; }
    // Tables with words in them (layer names, Huffman codes) give their rows here
    // instead; when this is not empty, exportCsv writes it and not csvRows().
    virtual QVector<QStringList> csvTextRows() const { return {}; }
};

// Each returns an empty string on success, else a message naming the file and the problem.
QString exportPng(Exportable& chart, const QString& path);
QString exportSvg(Exportable& chart, const QString& path);
QString exportCsv(const Exportable& chart, const QString& path);
// Picks the format from the file's extension (.png, .svg, .csv).
QString exportChart(Exportable& chart, const QString& path);

// Adds "Export PNG…/SVG…/CSV…" to the widget's context menu (file dialogs).
void installExportMenu(QWidget* widget, Exportable* chart);

} // namespace views
