#include "views/builder/builder_view.h"

#include <QAction>
#include <array>
#include <cmath>
#include <QApplication>
#include <QClipboard>
#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QGraphicsItem>
#include <QHBoxLayout>
#include <QLabel>
#include <QMenu>
#include <QMessageBox>
#include <QMimeData>
#include <QPushButton>
#include <QScrollArea>
#include <QSpinBox>
#include <QSplitter>
#include <QStandardPaths>
#include <QToolBar>
#include <QToolButton>
#include <QUndoStack>
#include <QVBoxLayout>

#include "engine/core/error.h"
#include "engine/io/model_file.h"
#include "views/builder/builder_canvas.h"
#include "views/builder/builder_commands.h"
#include "views/builder/builder_export.h"
#include "views/builder/builder_layout.h"
#include "views/builder/builder_minimap.h"
#include "views/builder/builder_palette.h"
#include "views/builder/builder_scene.h"
#include "views/builder/builder_templates.h"
#include "views/builder/node_item.h"
#include "views/builder/property_panel.h"
#include "views/common/file_dialog.h"
#include "views/common/paths.h"

namespace views::builder {

using nlohmann::json;

namespace {
QString q(const std::string& s) { return QString::fromStdString(s); }
bool noDialogs() { return qEnvironmentVariableIsSet("NNSTUDIO_NO_DIALOGS"); }
// By palette, not style sheet: a style sheet would keep projector mode's font off the label.
void setTextColor(QWidget* w, const QColor& c)
{
    QPalette p = w->palette();
    p.setColor(QPalette::WindowText, c);
    w->setPalette(p);
}
} // namespace

BuilderView::BuilderView(QUndoStack* undo, QWidget* parent) : QWidget(parent), undo_(undo), doc_(new Document(this))
{
    setObjectName("builderView");
    scene_ = new BuilderScene(doc_, this);
    canvas_ = new BuilderCanvas(scene_);
    minimap_ = new Minimap(canvas_);
    palette_ = new Palette;
    properties_ = new PropertyPanel(doc_, undo_);
    totals_ = new QLabel;
    totals_->setObjectName("builderTotals");
    totals_->setWordWrap(true);
    totals_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    totals_->setMargin(6);
    status_ = new QLabel;
    status_->setObjectName("builderStatus");
    status_->setWordWrap(true);
    status_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    status_->setMargin(4);

    auto* tb = new QToolBar;
    tb->setToolButtonStyle(Qt::ToolButtonTextOnly);
    buildToolbar(tb);

    auto* right = new QWidget;
    auto* rl = new QVBoxLayout(right);
    rl->setContentsMargins(0, 0, 0, 0);
    auto* propTitle = new QLabel(tr("<b>Properties</b>"));
    propTitle->setMargin(6);
    auto* totTitle = new QLabel(tr("<b>Network</b>"));
    totTitle->setMargin(6);
    rl->addWidget(propTitle);
    rl->addWidget(properties_, 1);
    rl->addWidget(totTitle);
    rl->addWidget(totals_);

    // Scrolls rather than growing the window (projector mode at 1600×1000).
    auto* rightScroll = new QScrollArea;
    rightScroll->setWidget(right);
    rightScroll->setWidgetResizable(true);
    rightScroll->setFrameShape(QFrame::NoFrame);
    rightScroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    auto* split = split_ = new QSplitter(Qt::Horizontal);
    split->addWidget(palette_);
    split->addWidget(canvas_);
    split->addWidget(rightScroll);
    split->setStretchFactor(0, 0);
    split->setStretchFactor(1, 1);
    split->setStretchFactor(2, 0);
    split->setSizes({190, 900, 280});
    palette_->setMinimumWidth(160);
    rightScroll->setMinimumWidth(240);

    auto* v = new QVBoxLayout(this);
    v->setContentsMargins(0, 0, 0, 0);
    v->setSpacing(0);
    v->addWidget(tb);
    v->addWidget(split, 1);
    auto* bottom = new QHBoxLayout;
    bottom->setContentsMargins(4, 2, 4, 2);
    bottom->addWidget(status_, 1);
    buildTrainBar(bottom);
    v->addLayout(bottom);

    connect(doc_, &Document::changed, this, &BuilderView::documentChanged);
    connect(scene_, &QGraphicsScene::selectionChanged, this, [this] {
        const auto sel = scene_->selectedNodes();
        properties_->setNode(sel.size() == 1 ? sel.front() : 0);
        properties_->refresh(analysis_);
    });
    connect(scene_, &BuilderScene::dropRequested, this, [this](const QString& kind, const QPointF& p) {
        addNode(kind, p - QPointF(kNodeWidth / 2, kNodeHeight / 2));
    });
    connect(scene_, &BuilderScene::connectRequested, this, [this](const Edge& e) { undo_->push(new ConnectCommand(doc_, e)); });
    connect(scene_, &BuilderScene::disconnectRequested, this, [this](const Edge& e) { undo_->push(new DisconnectCommand(doc_, e)); });
    connect(scene_, &BuilderScene::reconnectRequested, this, [this](const Edge& from, const Edge& to) {
        undo_->beginMacro(tr("Reconnect %1 → %2").arg(q(doc_->node(to.from)->id), q(doc_->node(to.to)->id)));
        undo_->push(new DisconnectCommand(doc_, from));
        undo_->push(new ConnectCommand(doc_, to));
        undo_->endMacro();
    });
    connect(scene_, &BuilderScene::nodesMoved, this, [this](const std::map<int, std::pair<QPointF, QPointF>>& m) {
        undo_->push(new MoveCommand(doc_, m));
    });
    connect(palette_, &Palette::addRequested, this, [this](const QString& kind) { addNodeAfterSelection(kind); });

    setData("fashion-mnist");
    newNetwork(false);  // the empty start is not an edit to take back
}

BuilderView::~BuilderView()
{
    // The scene clears its selection while it is destroyed (after this body): the
    // panels it would update are gone by then.
    disconnect(scene_, nullptr, this, nullptr);
    disconnect(doc_, nullptr, this, nullptr);
    // The views go before their scene: a scene being destroyed detaches its views,
    // which scroll, and the minimap would follow into a half-destroyed scene.
    delete canvas_;  // the minimap with it
}

void BuilderView::buildTrainBar(QHBoxLayout* bar)
{
    bar->addWidget(new QLabel(tr("Data")));
    data_ = new QComboBox;
    for (const char* d : {"fashion-mnist", "spiral", "circles", "xor", "gaussians"}) data_->addItem(d, d);
    data_->setToolTip(tr("Shapes and classes are checked against this data set, and Train uses it"));
    connect(data_, &QComboBox::currentIndexChanged, this, [this] { documentChanged(); });
    bar->addWidget(data_);
    bar->addWidget(new QLabel(tr("Batch")));
    batch_ = new QSpinBox;
    batch_->setRange(1, 65536);
    batch_->setValue(64);
    batch_->setToolTip(tr("The batch size the activation memory is counted at"));
    connect(batch_, &QSpinBox::valueChanged, this, [this] { documentChanged(); });
    bar->addWidget(batch_);
    train_ = new QPushButton(tr("Train ▶"));
    train_->setObjectName("builderTrain");
    QFont f = train_->font();
    f.setBold(true);
    train_->setFont(f);
    connect(train_, &QPushButton::clicked, this, &BuilderView::requestTrain);
    bar->addWidget(train_);
}

void BuilderView::buildToolbar(QToolBar* tb)
{
    auto act = [this, tb](const QString& text, const QKeySequence& key, const QString& tip, auto slot) {
        auto* a = tb->addAction(text, this, slot);
        a->setToolTip(key.isEmpty() ? tip : QString("%1 (%2)").arg(tip, key.toString(QKeySequence::NativeText)));
        a->setStatusTip(tip);
        if (!key.isEmpty()) {
            a->setShortcut(key);
            a->setShortcutContext(Qt::WidgetWithChildrenShortcut);  // only while the builder shows
        }
        return a;
    };
    act(tr("New"), {}, tr("Start again from an Input and a Loss"), [this] { newNetwork(); });
    auto* templ = new QToolButton;
    templ->setText(tr("Templates"));
    templ->setToolTip(tr("Start from a known network"));
    templ->setPopupMode(QToolButton::InstantPopup);
    auto* menu = new QMenu(templ);
    try {
        for (const auto& t : templates()) menu->addAction(t.title, this, [this, title = t.title] { loadTemplate(title); })->setToolTip(t.tip);
    } catch (const nn::Error& e) {
        menu->addAction(q(e.what()))->setEnabled(false);
    }
    menu->setToolTipsVisible(true);
    templ->setMenu(menu);
    tb->addWidget(templ);
    act(tr("Open…"), {}, tr("Open a model spec (.json) or a trained model (.nnm)"), [this] {
        if (noDialogs()) return;
        const QString path = openFileName(this, "model", tr("Open in the builder"), tr("Models (*.json *.nnm)"), sampleModelsDir());
        if (path.isEmpty()) return;
        if (const QString err = openFile(path); !err.isEmpty()) QMessageBox::warning(this, tr("Open"), err);
    });
    act(tr("From dashboard"), {}, tr("Open the model the training dashboard uses"), [this] {
        const QString path = dashboardModelPath ? dashboardModelPath() : QString();
        if (path.isEmpty()) return;
        if (const QString err = openFile(path); !err.isEmpty() && !noDialogs()) QMessageBox::warning(this, tr("Open"), err);
    });
    act(tr("Save…"), {}, tr("Save the network as a model spec (.json, positions kept)"), [this] {
        if (noDialogs()) return;
        const QString path = saveFileName(this, "model", tr("Save model spec"), file_.isEmpty() ? q(doc_->name()) + ".json" : file_,
                                               tr("Model specs (*.json)"));
        if (path.isEmpty()) return;
        if (const QString err = saveFile(path); !err.isEmpty()) QMessageBox::warning(this, tr("Save"), err);
    });
    tb->addSeparator();
    act(tr("Auto-layout"), QKeySequence(Qt::CTRL | Qt::Key_L), tr("Arrange the nodes top to bottom"), [this] { layOut(); });
    act(tr("Fit"), QKeySequence(Qt::CTRL | Qt::Key_0), tr("Show the whole network"), [this] { canvas_->fitAll(); });
    act(tr("Zoom in"), QKeySequence::ZoomIn, tr("Zoom in"), [this] { canvas_->zoomBy(1.25); });
    act(tr("Zoom out"), QKeySequence::ZoomOut, tr("Zoom out"), [this] { canvas_->zoomBy(0.8); });
    act(tr("Delete"), QKeySequence::Delete, tr("Delete the selected nodes and connections"), [this] { deleteSelection(); });
    act(tr("Copy"), QKeySequence::Copy, tr("Copy the selected nodes"), [this] { copySelection(); });
    act(tr("Paste"), QKeySequence::Paste, tr("Paste copied nodes"), [this] { paste(); });
    tb->addSeparator();
    act(tr("PNG…"), {}, tr("Export the drawn network as a PNG picture"), [this] { exportDialog(false); });
    act(tr("SVG…"), {}, tr("Export the drawn network as an SVG drawing (for slides)"), [this] { exportDialog(true); });
}

bool BuilderView::setData(const QString& name)
{
    const int i = data_->findData(name);
    if (i < 0) return false;
    data_->setCurrentIndex(i);
    return true;
}

QString BuilderView::dataName() const { return data_->currentData().toString(); }

DataContext BuilderView::dataContext() const
{
    DataContext c;
    c.name = dataName().toStdString();
    if (c.name == "fashion-mnist") {
        c.sampleShape = {1, 28, 28};
        c.numClasses = 10;
    } else {
        c.sampleShape = {2};
        const bool manyClasses = c.name == "spiral" || c.name == "gaussians";
        c.numClasses = manyClasses && twoDClasses ? twoDClasses() : 2;
    }
    return c;
}

void BuilderView::documentChanged()
{
    analysis_ = analyze(*doc_, dataContext());
    scene_->sync(analysis_);
    properties_->refresh(analysis_);
    const int errors = analysis_.errorCount();
    totals_->setText(tr("Parameters: <b>%1</b> (%2 of weights)<br>FLOPs per sample (forward): <b>%3</b><br>"
                        "Activations at batch %4: <b>%5</b>")
                         .arg(q(countText(double(analysis_.params))), q(bytesText(analysis_.weightBytes())),
                              q(countText(analysis_.flops)))
                         .arg(batch_->value())
                         .arg(q(bytesText(analysis_.activationBytes(batch_->value())))));
    if (errors == 0) {
        train_->setEnabled(true);
        train_->setToolTip(tr("Train this network on %1 in the training dashboard").arg(dataName()));
        setTextColor(status_, QColor(0x1e, 0x7b, 0x4a));
        status_->setText(tr("✓ Ready to train on %1.").arg(dataName()));
        if (const QString warning = q(analysis_.firstWarning(*doc_)); !warning.isEmpty()) {
            setTextColor(status_, QColor(0xb3, 0x6b, 0x00));  // trains, but the student should know
            status_->setText(tr("✓ Ready to train on %1. ⚠ Warning: %2").arg(dataName(), warning));
        }
    } else {
        const QString first = q(analysis_.firstError(*doc_));
        train_->setEnabled(false);
        train_->setToolTip(tr("Fix this first: %1").arg(first));
        setTextColor(status_, QColor(0xc0, 0x39, 0x2b));
        // Spelled out: tr()'s %n plural needs a loaded translation to drop "(s)".
        const QString count = errors == 1 ? tr("1 problem") : tr("%1 problems").arg(errors);
        status_->setText(tr("✗ %1. %2").arg(count, first));
    }
    minimap_->follow();
}

QString BuilderView::statusText() const { return status_->text(); }

void BuilderView::selectOnly(int uid)
{
    scene_->clearSelection();
    if (NodeItem* it = scene_->item(uid)) it->setSelected(true);
}

void BuilderView::newNetwork(bool undoable)
{
    // Input and Loss only: not a valid spec yet, so built by hand.
    Document::State s;
    s.name = "my-network";
    Node in {doc_->newUid(), kInputKind, kInputKind, defaultProps(kInputKind), -kNodeWidth / 2, 0};
    Node loss {doc_->newUid(), kLossKind, kLossKind, defaultProps(kLossKind), -kNodeWidth / 2, 6 * (kNodeHeight + kRowGap)};
    s.nodes = {in, loss};
    struct NewCommand : QUndoCommand {
        NewCommand(Document* d, Document::State after) : doc(d), before(d->state()), after(std::move(after)) { setText(QObject::tr("New network")); }
        void redo() override { doc->restore(after); }
        void undo() override { doc->restore(before); }
        Document* doc;
        Document::State before, after;
    };
    if (undoable) undo_->push(new NewCommand(doc_, s));
    else doc_->restore(s);
    file_.clear();
    canvas_->requestFit();
    selectOnly(in.uid);
}

void BuilderView::loadTemplate(const QString& title)
{
    for (const auto& t : templates())
        if (t.title == title) {
            undo_->push(new ReplaceDocumentCommand(doc_, t.spec, tr("Template %1").arg(title)));
            file_.clear();
            canvas_->requestFit();
            return;
        }
}

QString BuilderView::openFile(const QString& path)
{
    try {
        json spec;
        if (path.endsWith(".nnm", Qt::CaseInsensitive)) {
            spec = nn::io::loadModelFile(path.toStdString()).model.spec().toJson();
        } else {
            QFile f(path);
            if (!f.open(QIODevice::ReadOnly)) return tr("%1: cannot open the file (does it exist?)").arg(path);
            try {
                spec = json::parse(f.readAll().toStdString());
            } catch (const json::parse_error& e) {
                return tr("%1: not valid JSON: %2").arg(path, e.what());
            }
        }
        undo_->push(new ReplaceDocumentCommand(doc_, spec, tr("Open %1").arg(QFileInfo(path).fileName())));
    } catch (const nn::Error& e) {
        return q(e.what());
    }
    file_ = path.endsWith(".json", Qt::CaseInsensitive) ? path : QString();
    canvas_->requestFit();
    return {};
}

QString BuilderView::saveFile(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate)) return tr("%1: cannot write the file (is the folder writable?)").arg(path);
    f.write(QByteArray::fromStdString(doc_->toSpecJson(true).dump(2) + "\n"));
    file_ = path;
    return {};
}

int BuilderView::addNode(const QString& kind, const QPointF& pos)
{
    Node n;
    n.kind = kind.toStdString();
    n.id = doc_->freshId(n.kind);
    n.props = defaultProps(n.kind);
    n.x = pos.x();
    n.y = pos.y();
    // Dropped onto a connection: splice it in.
    // The wire nearest the drop point (a few pixels of slack), whatever is selected:
    // a splice takes precedence over "add after the selection".
    const QRectF body(pos, QSizeF(kNodeWidth, kNodeHeight));
    EdgeItem* onEdge = scene_->edgeNear(body.center(), 8.0);
    const auto sel = scene_->selectedNodes();
    auto* add = new AddNodeCommand(doc_, n);
    const int uid = add->uid();
    n.uid = uid;
    const bool single = !joinsInputs(n.kind) && n.kind != kInputKind;
    if (onEdge && single && n.kind != kLossKind) {
        const Edge old = onEdge->edge();
        undo_->beginMacro(tr("Insert %1 %2 between %3 and %4").arg(q(displayName(n.kind)), q(n.id), q(doc_->node(old.from)->id), q(doc_->node(old.to)->id)));
        undo_->push(add);
        undo_->push(new DisconnectCommand(doc_, old));
        undo_->push(new ConnectCommand(doc_, {old.from, uid, 0}));
        undo_->push(new ConnectCommand(doc_, {uid, old.to, old.port}));
        undo_->endMacro();
    } else if (sel.size() == 1 && n.kind != kInputKind && doc_->node(sel[0])->kind != kLossKind && doc_->outputsOf(sel[0]).empty()) {
        undo_->beginMacro(tr("Add %1 %2 after %3").arg(q(displayName(n.kind)), q(n.id), q(doc_->node(sel[0])->id)));
        undo_->push(add);
        undo_->push(new ConnectCommand(doc_, {sel[0], uid, 0}));
        // A chain growing down toward the waiting Loss pushes it a row further.
        for (const auto& other : doc_->nodes())
            if (other.kind == kLossKind && doc_->inputsOf(other.uid).empty() && std::abs(other.x - n.x) < kNodeWidth
                && other.y < n.y + 2 * (kNodeHeight + kRowGap) && other.y > n.y - kNodeHeight)
                undo_->push(new MoveCommand(doc_, {{other.uid, {QPointF(other.x, other.y), QPointF(other.x, n.y + 2 * (kNodeHeight + kRowGap))}}},
                                            tr("Move loss")));
        undo_->endMacro();
    } else {
        undo_->push(add);
    }
    selectOnly(uid);
    return uid;
}

int BuilderView::addNodeAfterSelection(const QString& kind)
{
    const auto sel = scene_->selectedNodes();
    QPointF pos = canvas_->mapToScene(canvas_->viewport()->rect().center()) - QPointF(kNodeWidth / 2, kNodeHeight / 2);
    if (sel.size() == 1) {
        const Node* s = doc_->node(sel[0]);
        pos = QPointF(s->x, s->y + kNodeHeight + kRowGap);
        // The node below makes room: a drop there would splice into the edge.
        if (!doc_->outputsOf(sel[0]).empty()) pos += QPointF(kNodeWidth + kColumnGap, 0);
    }
    const int uid = addNode(kind, pos);
    canvas_->ensureVisible(scene_->item(uid));
    return uid;
}

void BuilderView::connectNodes(int from, int to, int port)
{
    undo_->push(new ConnectCommand(doc_, {from, to, port < 0 ? doc_->freePort(to) : port}));
}

void BuilderView::deleteSelection()
{
    const auto nodes = scene_->selectedNodes();
    std::vector<Edge> edges;
    for (const auto& e : scene_->selectedEdges())
        if (std::find(nodes.begin(), nodes.end(), e.from) == nodes.end() && std::find(nodes.begin(), nodes.end(), e.to) == nodes.end())
            edges.push_back(e);
    if (nodes.empty() && edges.empty()) return;
    undo_->beginMacro(nodes.empty() ? tr("Disconnect") : tr("Delete"));
    for (const auto& e : edges) undo_->push(new DisconnectCommand(doc_, e));
    if (!nodes.empty()) undo_->push(new DeleteCommand(doc_, nodes));
    undo_->endMacro();
}

void BuilderView::layOut()
{
    std::map<int, std::pair<QPointF, QPointF>> moves;
    for (const auto& [uid, p] : autoLayout(*doc_)) {
        const Node* n = doc_->node(uid);
        if (QPointF(n->x, n->y) != QPointF(p.first, p.second)) moves[uid] = {QPointF(n->x, n->y), QPointF(p.first, p.second)};
    }
    if (!moves.empty()) undo_->push(new MoveCommand(doc_, moves, tr("Auto-layout")));
    canvas_->fitAll();
}

QString BuilderView::exportDialog(bool svg)
{
    if (noDialogs()) return {};
    const QString path = views::saveFileName(this, "chart", svg ? tr("Export SVG") : tr("Export PNG"), q(doc_->name()) + (svg ? ".svg" : ".png"),
                                                      svg ? tr("SVG drawings (*.svg)") : tr("PNG pictures (*.png)"));
    if (path.isEmpty()) return {};
    const QString err = svg ? exportSvg(scene_, path) : exportPng(scene_, path);
    if (!err.isEmpty()) QMessageBox::warning(this, tr("Export"), err);
    return err;
}

void BuilderView::requestTrain()
{
    if (!analysis_.ok()) return;
    const QString dir = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) + "/builder";
    QDir().mkpath(dir);
    const QString path = dir + "/" + q(doc_->name()) + ".json";
    const QString keep = file_;  // a training copy is not where the user saves
    const QString err = saveFile(path);
    file_ = keep;
    if (!err.isEmpty()) {
        status_->setText(err);
        return;
    }
    emit trainRequested(path, dataName());
}

void BuilderView::setUiScale(double scale)
{
    uiScale_ = scale;
    canvas_->setUiScale(scale);
    fitPanels();
}

void BuilderView::fitPanels()
{
    // Palette and properties at their scaled widths, the canvas takes the rest;
    // until the page has its real width (before the window shows), again on resize.
    panelsPending_ = split_->width() < 800;
    split_->setSizes({int(160 * uiScale_), std::max(split_->width() - int(410 * uiScale_), 300), int(250 * uiScale_)});
}

void BuilderView::resizeEvent(QResizeEvent* e)
{
    QWidget::resizeEvent(e);
    if (panelsPending_) fitPanels();
}

} // namespace views::builder
