#pragma once
// The network builder page: palette | canvas | properties and totals, a tool bar
// (templates, open, save, auto-layout, export, the data set shapes are checked
// against, the batch size memory is counted at) and the Train button, disabled
// with the reason while the graph has an error.
//
// Why a QGraphicsView scene rather than an ImGui canvas: the builder is a document
// editor, not a live instrument. Qt's scene gives selection, rubber band, hit
// testing, drag and drop, per-item tooltips, undo integration and SVG export via
// QSvgGenerator for free, and it repaints only what changed; an ImGui canvas
// would redraw every frame and need all of that written by hand.
//
// Edits: gestures in the scene and the property panel become QUndoCommands on
// the window's stack (builder_commands.h); every document change re-runs the
// analysis (builder_analysis.h) and redraws the nodes.
#include <QWidget>
#include <functional>

#include "views/builder/builder_analysis.h"
#include "views/builder/builder_document.h"

class QComboBox;
class QHBoxLayout;
class QLabel;
class QPushButton;
class QSpinBox;
class QSplitter;
class QUndoStack;
class QToolBar;

namespace views::builder {

class BuilderScene;
class BuilderCanvas;
class Palette;
class PropertyPanel;
class Minimap;

class BuilderView : public QWidget {
    Q_OBJECT
public:
    explicit BuilderView(QUndoStack* undo, QWidget* parent = nullptr);
    ~BuilderView() override;

    Document* document() const { return doc_; }
    BuilderScene* scene() const { return scene_; }
    BuilderCanvas* canvas() const { return canvas_; }
    Palette* palette() const { return palette_; }
    PropertyPanel* properties() const { return properties_; }
    QPushButton* trainButton() const { return train_; }
    const Analysis& analysis() const { return analysis_; }
    QString statusText() const;

    // The data set the shapes are checked against (and Train uses): spiral,
    // circles, xor, gaussians or fashion-mnist. False if unknown.
    bool setData(const QString& name);
    QString dataName() const;
    DataContext dataContext() const;
    // Classes of the 2-D sets (the set-up panel's spin box decides); default 2.
    std::function<int()> twoDClasses;
    // The model spec file the dashboard uses now, for "From dashboard" (empty: none).
    std::function<QString()> dashboardModelPath;

    // ---- whole documents (each one undo step) ---------------------------------------
    // Input and Loss, nothing between (undoable unless it is the page's start).
    void newNetwork(bool undoable = true);
    void loadTemplate(const QString& title);
    // A spec (.json, with or without an editor section) or a trained model (.nnm).
    // "" on success, else the message (nothing changes).
    QString openFile(const QString& path);
    QString saveFile(const QString& path);
    QString currentFile() const { return file_; }

    // ---- edits, the same paths the gestures take --------------------------------------
    // Adds a node of `kind` at `scenePos`. A node dropped onto a connection is spliced
    // into it; otherwise, if one node is selected and its output is free, the new node
    // is connected after it. The new node is selected. Returns its uid.
    int addNode(const QString& kind, const QPointF& scenePos);
    int addNodeAfterSelection(const QString& kind);
    void connectNodes(int from, int to, int port = -1);
    void deleteSelection();
    void layOut();
    void copySelection();
    void paste();

    // Writes the spec where the dashboard can read it and asks to train on it.
    void requestTrain();
    void setUiScale(double scale);

signals:
    // The spec file to train (written by requestTrain) and the data set to use.
    void trainRequested(const QString& specPath, const QString& dataName);

private:
    void buildToolbar(QToolBar* tb);
    void buildTrainBar(QHBoxLayout* bar);
    void documentChanged();
    void selectOnly(int uid);
    QString exportDialog(bool svg);
    void fitPanels();
    void pasteNodes(const nlohmann::json& clip);  // throws json::exception on foreign data

protected:
    void resizeEvent(QResizeEvent* e) override;

private:

    QUndoStack* undo_;
    Document* doc_;
    BuilderScene* scene_;
    BuilderCanvas* canvas_;
    Minimap* minimap_;
    Palette* palette_;
    PropertyPanel* properties_;
    QSplitter* split_;
    QLabel* totals_;
    QLabel* status_;
    QComboBox* data_;
    QSpinBox* batch_;
    QPushButton* train_;
    Analysis analysis_;
    QString file_;
    double uiScale_ = 1.0;
    bool panelsPending_ = false;
};

} // namespace views::builder
