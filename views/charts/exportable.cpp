#include "views/charts/exportable.h"

#include <QAction>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QMessageBox>
#include <QPainter>
#include <QSvgGenerator>
#include <QTextStream>
#include <QWidget>

namespace views {

QString exportPng(Exportable& chart, const QString& path)
{
    const QPixmap pixmap = chart.exportWidget()->grab();
    if (pixmap.isNull() || !pixmap.save(path, "PNG")) return path + ": could not write the PNG (is the folder writable?)";
    return {};
}

QString exportSvg(Exportable& chart, const QString& path)
{
    QWidget* w = chart.exportWidget();
    QSvgGenerator svg;
    svg.setFileName(path);
    svg.setSize(w->size());
    svg.setViewBox(QRect(QPoint(0, 0), w->size()));
    // Without this the SVG's physical size assumes 72 dpi and comes out wrong.
    svg.setResolution(w->logicalDpiX());
    svg.setTitle(chart.exportTitle());
    QPainter painter;
    if (!painter.begin(&svg)) return path + ": could not write the SVG (is the folder writable?)";
    w->render(&painter);
    painter.end();
    if (!QFileInfo(path).exists()) return path + ": the SVG was not written";
    return {};
}

QString exportCsv(const Exportable& chart, const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate | QIODevice::Text))
        return path + ": could not write the CSV (" + f.errorString() + ")";
    QTextStream out(&f);
    out << chart.csvHeader().join(',') << '\n';
    const QVector<QStringList> text = chart.csvTextRows();
    for (const QStringList& row : text) {
        QStringList cells;
        for (QString cell : row) {
            // RFC 4180: a cell with a comma, quote or line break is quoted, quotes doubled.
            if (cell.contains(',') || cell.contains('"') || cell.contains('\n'))
                cell = '"' + cell.replace("\"", "\"\"") + '"';
            cells << cell;
        }
        out << cells.join(',') << '\n';
    }
    if (!text.isEmpty()) return {};
    for (const auto& row : chart.csvRows()) {
        QStringList cells;
        for (double v : row) cells << QString::number(v, 'g', 9);
        out << cells.join(',') << '\n';
    }
    return {};
}

QString exportChart(Exportable& chart, const QString& path)
{
    const QString ext = QFileInfo(path).suffix().toLower();
    if (ext == "png") return exportPng(chart, path);
    if (ext == "svg") return exportSvg(chart, path);
    if (ext == "csv") return exportCsv(chart, path);
    return path + ": unknown format '." + ext + "'; use .png, .svg or .csv";
}

void installExportMenu(QWidget* widget, Exportable* chart)
{
    widget->setContextMenuPolicy(Qt::ActionsContextMenu);
    const struct {
        const char* label;
        const char* filter;
        const char* ext;
    } formats[] = {{"Export PNG…", "PNG image (*.png)", "png"},
                   {"Export SVG…", "SVG drawing (*.svg)", "svg"},
                   {"Export CSV…", "CSV table (*.csv)", "csv"}};
    for (const auto& f : formats) {
        auto* action = new QAction(QObject::tr(f.label), widget);
        QObject::connect(action, &QAction::triggered, widget, [widget, chart, f] {
            const QString suggested = chart->exportTitle().toLower().replace(' ', '-') + "." + f.ext;
            const QString path = QFileDialog::getSaveFileName(widget, QObject::tr(f.label), suggested, QObject::tr(f.filter));
            if (path.isEmpty()) return;
            const QString error = exportChart(*chart, path);
            if (!error.isEmpty()) QMessageBox::warning(widget, QObject::tr("Export failed"), error);
        });
        widget->addAction(action);
    }
}

} // namespace views
