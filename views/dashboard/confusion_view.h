#pragma once
// ConfusionView: which classes the network mixes up. Rows are the true class,
// columns the predicted one; a cell's colour is its share of the row (blue on the
// diagonal = right, orange off it = mistakes), the count is written in it, and a
// column on the right gives each class's accuracy (recall). Overall accuracy is in
// the title.
//
// The matrix is computed on the validation set (the test set when there is none),
// at most kMaxSamples of it, on a thread-pool thread from a copy of the latest
// weights: never on the UI thread. New weights that arrive while one evaluation
// runs are coalesced into the next, so it runs at most once per snapshot
// (normally once per epoch).
#include <QFutureWatcher>
#include <QString>
#include <QStringList>
#include <QVector>
#include <QWidget>
#include <memory>

#include "views/charts/exportable.h"

namespace views {

class TrainingSession;

class ConfusionView : public QWidget, public Exportable {
    Q_OBJECT
public:
    static constexpr int kMaxSamples = 5000;

    explicit ConfusionView(TrainingSession* session, QWidget* parent = nullptr);
    ~ConfusionView() override;

    // counts[true][predicted]; empty until the first evaluation finishes.
    QVector<QVector<int>> matrix() const { return matrix_; }
    // Overall accuracy in [0, 1] (NaN before the first evaluation).
    double accuracy() const;
    // Per-class accuracy (recall) in [0, 1]; NaN for a class with no samples.
    QVector<double> classAccuracy() const;
    QStringList classNames() const { return classNames_; }
    // "validation" or "test"; the number of samples evaluated and the set's size.
    QString evaluatedSet() const { return setName_; }
    int evaluatedSamples() const { return samples_; }
    // Epoch and step of the weights the matrix shows (the session snapshot's).
    int matrixEpoch() const { return epoch_; }
    qint64 matrixStep() const { return step_; }
    // True while an evaluation runs in the background.
    bool isComputing() const { return running_; }
    // Evaluates the current weights now, on the calling thread (tests, export).
    void computeNow();
    // Milliseconds the last evaluation took (on its thread).
    double lastComputeMs() const { return lastMs_; }

    // 1.0 normal, 2.0 projector mode (relative to the widget's font).
    void setUiScale(double scale);
    double uiScale() const { return scale_; }

    // How the columns (predicted class) are labelled at the current size: the
    // names level, the names at 45°, or the class numbers (each row then ends in
    // its number). For tests: the layout's cell size and the labels' font.
    enum class ColumnLabels { Names, Rotated, Keys };
    ColumnLabels columnLabels();
    QSizeF cellSize();
    QFont labelFont() const { return scaledFont(layout_.labelScale); }

    // Exportable: CSV = "true\pred", class names...; rows = class index, counts.
    QString exportTitle() const override;
    QWidget* exportWidget() override { return this; }
    QStringList csvHeader() const override;
    QVector<QVector<double>> csvRows() const override;

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

signals:
    void matrixChanged();

protected:
    void paintEvent(QPaintEvent* e) override;
    void resizeEvent(QResizeEvent* e) override;
    void mouseMoveEvent(QMouseEvent* e) override;
    void leaveEvent(QEvent* e) override;
    bool event(QEvent* e) override;

public:
    // What one evaluation needs and gives; public for the .cpp's worker function.
    struct EvalSet;
    struct Job;
    struct Result {
        QVector<QVector<int>> matrix;
        int epoch = 0;
        qint64 step = 0;
        quint64 generation = 0;
        double ms = 0;
        QString error;
    };

private:
    struct Layout {
        QRectF title, grid, accuracy;
        double cell = 0;              // the smaller of a cell's width and height
        double cellW = 0, cellH = 0;
        double rowLabelW = 0, colLabelH = 0;
        ColumnLabels columnLabels = ColumnLabels::Names;
        double keyW = 0;  // the class numbers' column at the right of the row labels (Keys)
        bool side = false;       // title in a column left of the matrix (wide, short panel)
        bool tooSmall = false;   // no room for readable cells: a message instead
        double labelScale = 0.95;
        bool valid = false;
    };

    void onDataChanged();
    void onModelChanged();
    void requestCompute();
    void startJob();
    std::shared_ptr<Job> makeJob() const;
    void apply(const Result& r);
    void doLayout();
    QFont scaledFont(double factor, bool bold = false) const;
    bool cellAt(const QPointF& p, int* row, int* col) const;

    TrainingSession* session_;
    double scale_ = 1.0;
    std::shared_ptr<const EvalSet> set_;
    QStringList classNames_;
    QString setName_;
    int samples_ = 0, setSize_ = 0;
    QVector<QVector<int>> matrix_;
    int epoch_ = 0;
    qint64 step_ = 0;
    double lastMs_ = 0;
    QString error_;
    quint64 generation_ = 0;
    bool running_ = false, pending_ = false;
    QFutureWatcher<Result> watcher_;
    int hoverRow_ = -1, hoverCol_ = -1;
    Layout layout_;
    void ensureLayout()
    {
        if (!layout_.valid) doLayout();
    }
};

} // namespace views
