// Copy and paste in the builder: the selected layers (not the Input or the Loss:
// one of each per network) with the connections among them, as JSON on the
// clipboard; paste adds them with fresh ids, offset, as one undo step.
#include <QApplication>
#include <QClipboard>
#include <QMimeData>
#include <algorithm>
#include <array>

#include "views/builder/builder_commands.h"
#include "views/builder/builder_scene.h"
#include "views/builder/builder_view.h"
#include "views/builder/node_item.h"

namespace views::builder {

using nlohmann::json;

namespace {
constexpr const char* kNodesMime = "application/x-nnstudio-nodes";
QString q(const std::string& s) { return QString::fromStdString(s); }
} // namespace

void BuilderView::copySelection()
{
    const auto sel = scene_->selectedNodes();
    if (sel.empty()) return;
    json nodes = json::array(), edges = json::array();
    for (int uid : sel) {
        const Node* n = doc_->node(uid);
        if (n->kind == kInputKind || n->kind == kLossKind) continue;  // one of each per network
        nodes.push_back({{"uid", uid}, {"id", n->id}, {"kind", n->kind}, {"props", n->props}, {"x", n->x}, {"y", n->y}});
    }
    for (const auto& e : doc_->edges())
        if (std::count(sel.begin(), sel.end(), e.from) && std::count(sel.begin(), sel.end(), e.to))
            edges.push_back({e.from, e.to, e.port});
    auto* m = new QMimeData;
    m->setData(kNodesMime, QByteArray::fromStdString(json {{"nodes", nodes}, {"edges", edges}}.dump()));
    m->setText(q(json {{"nodes", nodes}}.dump(2)));
    QApplication::clipboard()->setMimeData(m);
}

void BuilderView::paste()
{
    const QMimeData* m = QApplication::clipboard()->mimeData();
    if (!m || !m->hasFormat(kNodesMime)) return;
    const json j = json::parse(m->data(kNodesMime).toStdString(), nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("nodes") || !j["nodes"].is_array() || j["nodes"].empty()) return;
    try {
        pasteNodes(j);
    } catch (const json::exception&) {
        // Not what copySelection() writes (another program's data): nothing to paste.
    }
}

void BuilderView::pasteNodes(const json& j)
{
    // Read everything first (throws on foreign data), then push: no half macro.
    std::vector<std::pair<int, Node>> nodes;  // (copied uid, node)
    for (const auto& c : j.at("nodes")) {
        Node n;
        n.kind = c.at("kind").get<std::string>();
        const auto& known = nn::knownLayerTypes();
        if (std::find(known.begin(), known.end(), n.kind) == known.end()) return;
        n.props = c.at("props");
        n.x = c.at("x").get<double>() + 40;
        n.y = c.at("y").get<double>() + 40;
        nodes.push_back({c.at("uid").get<int>(), n});
    }
    std::vector<std::array<int, 3>> edges;
    for (const auto& e : j.value("edges", json::array())) edges.push_back({e.at(0).get<int>(), e.at(1).get<int>(), e.at(2).get<int>()});

    std::map<int, int> uidOf;  // copied uid -> new uid
    undo_->beginMacro(tr("Paste %n node(s)", "", int(nodes.size())));
    for (auto& [copied, n] : nodes) {
        n.id = doc_->freshId(n.kind);
        auto* add = new AddNodeCommand(doc_, n);
        uidOf[copied] = add->uid();
        undo_->push(add);
    }
    for (const auto& e : edges)
        if (uidOf.count(e[0]) && uidOf.count(e[1])) undo_->push(new ConnectCommand(doc_, {uidOf[e[0]], uidOf[e[1]], e[2]}));
    undo_->endMacro();
    scene_->clearSelection();
    for (const auto& [from, to] : uidOf) scene_->item(to)->setSelected(true);
}

} // namespace views::builder
