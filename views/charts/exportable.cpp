#include "views/charts/exportable.h"
#include "views/common/file_dialog.h"

#include <QAction>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QImage>
#include <QMessageBox>
#include <QPainter>
#include <QSvgGenerator>
#include <QTextStream>
#include <QWidget>
#include <algorithm>

namespace views {

ExportSize Exportable::defaultExportSize() { return {exportWidget()->size(), 1.0}; }

void Exportable::renderExport(QPainter& painter, const QSize& size)
{
    QWidget* w = exportWidget();
    if (w->width() <= 0 || w->height() <= 0) return;
    const double k = std::min(double(size.width()) / w->width(), double(size.height()) / w->height());
    painter.save();
    painter.translate((size.width() - k * w->width()) / 2, (size.height() - k * w->height()) / 2);
    painter.scale(k, k);
    w->render(&painter, QPoint(), QRegion(), QWidget::DrawWindowBackground | QWidget::DrawChildren);
    painter.restore();
}

namespace {
ExportSize resolved(Exportable& chart, ExportSize size)
{
    const ExportSize d = chart.defaultExportSize();
    if (size.size.isEmpty()) size.size = d.size;
    if (!(size.scale > 0)) size.scale = d.scale;
    size.scale = std::clamp(size.scale, 0.25, 8.0);
    return size;
}
} // namespace

QString exportPng(Exportable& chart, const QString& path, ExportSize size)
{
    size = resolved(chart, size);
    if (size.size.isEmpty()) return path + ": the chart has no size to export yet";
    QImage image(size.size * size.scale, QImage::Format_ARGB32_Premultiplied);
    if (image.isNull()) return path + ": " + QString("%1×%2 at %3× is too large to export").arg(size.size.width()).arg(size.size.height()).arg(size.scale);
    image.setDevicePixelRatio(size.scale);
    image.fill(Qt::white);
    {
        QPainter painter(&image);
        chart.renderExport(painter, size.size);
    }
    if (!image.save(path, "PNG")) return path + ": could not write the PNG (is the folder writable?)";
    return {};
}

QString exportSvg(Exportable& chart, const QString& path, ExportSize size)
{
    size = resolved(chart, size);  // an SVG has no pixels: the scale does not apply
    if (size.size.isEmpty()) return path + ": the chart has no size to export yet";
    QSvgGenerator svg;
    svg.setFileName(path);
    svg.setSize(size.size);
    svg.setViewBox(QRect(QPoint(0, 0), size.size));
    // Without this the SVG's physical size assumes 72 dpi and comes out wrong.
    svg.setResolution(chart.exportWidget()->logicalDpiX());
    svg.setTitle(chart.exportTitle());
    QPainter painter;
    if (!painter.begin(&svg)) return path + ": could not write the SVG (is the folder writable?)";
    chart.renderExport(painter, size.size);
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

QString exportChart(Exportable& chart, const QString& path, ExportSize size)
{
    const QString ext = QFileInfo(path).suffix().toLower();
    if (ext == "png") return exportPng(chart, path, size);
    if (ext == "svg") return exportSvg(chart, path, size);
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
            const QString path = views::saveFileName(widget, "chart", QObject::tr(f.label), suggested, QObject::tr(f.filter));
            if (path.isEmpty()) return;
            const QString error = exportChart(*chart, path);
            if (!error.isEmpty()) QMessageBox::warning(widget, QObject::tr("Export failed"), error);
        });
        widget->addAction(action);
    }
}

} // namespace views
