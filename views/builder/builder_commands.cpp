#include "views/builder/builder_commands.h"

#include <QObject>
#include <algorithm>

namespace views::builder {

using nlohmann::json;

namespace {
QString q(const std::string& s) { return QString::fromStdString(s); }
QString valueText(const json& v) { return v.is_string() ? q(v.get<std::string>()) : v.is_null() ? QObject::tr("default") : q(v.dump()); }
} // namespace

AddNodeCommand::AddNodeCommand(Document* doc, Node node, QUndoCommand* parent) : QUndoCommand(parent), doc_(doc), node_(std::move(node))
{
    // The uid is fixed now, so redo after undo brings back the very same node.
    if (node_.uid == 0) node_.uid = doc_->newUid();
    setText(QObject::tr("Add %1 %2").arg(q(displayName(node_.kind)), q(node_.id)));
}

void AddNodeCommand::redo() { doc_->insertNode(node_); }
void AddNodeCommand::undo() { doc_->removeNode(node_.uid); }

DeleteCommand::DeleteCommand(Document* doc, const std::vector<int>& uids, QUndoCommand* parent) : QUndoCommand(parent), doc_(doc)
{
    for (int uid : uids)
        if (const int i = doc->indexOf(uid); i >= 0) nodes_.push_back({i, *doc->node(uid)});
    std::sort(nodes_.begin(), nodes_.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& e : doc->edges())
        for (const auto& [i, n] : nodes_)
            if (e.from == n.uid || e.to == n.uid) {
                edges_.push_back(e);
                break;
            }
    setText(nodes_.size() == 1 ? QObject::tr("Delete %1").arg(q(nodes_.front().second.id))
                               : QObject::tr("Delete %1 nodes").arg(nodes_.size()));
}

void DeleteCommand::redo()
{
    for (auto it = nodes_.rbegin(); it != nodes_.rend(); ++it) doc_->removeNode(it->second.uid);
}

void DeleteCommand::undo()
{
    for (const auto& [i, n] : nodes_) doc_->insertNode(n, i);
    for (const auto& e : edges_) doc_->connect(e);
}

MoveCommand::MoveCommand(Document* doc, std::map<int, std::pair<QPointF, QPointF>> moves, const QString& text, QUndoCommand* parent)
    : QUndoCommand(parent), doc_(doc), moves_(std::move(moves))
{
    if (!text.isEmpty()) setText(text);
    else if (moves_.size() == 1) setText(QObject::tr("Move %1").arg(q(doc->node(moves_.begin()->first)->id)));
    else setText(QObject::tr("Move %1 nodes").arg(moves_.size()));
}

void MoveCommand::redo()
{
    for (const auto& [uid, m] : moves_) doc_->moveNode(uid, m.second.x(), m.second.y());
}

void MoveCommand::undo()
{
    for (const auto& [uid, m] : moves_) doc_->moveNode(uid, m.first.x(), m.first.y());
}

ConnectCommand::ConnectCommand(Document* doc, Edge edge, QUndoCommand* parent) : QUndoCommand(parent), doc_(doc), edge_(edge)
{
    for (const auto& e : doc->inputsOf(edge.to))
        if (e.port == edge.port && !(e == edge)) replaced_.push_back(e);
    setText(QObject::tr("Connect %1 → %2").arg(q(doc->node(edge.from)->id), q(doc->node(edge.to)->id)));
}

void ConnectCommand::redo()
{
    for (const auto& e : replaced_) doc_->disconnect(e);
    doc_->connect(edge_);
}

void ConnectCommand::undo()
{
    doc_->disconnect(edge_);
    for (const auto& e : replaced_) doc_->connect(e);
}

DisconnectCommand::DisconnectCommand(Document* doc, Edge edge, QUndoCommand* parent) : QUndoCommand(parent), doc_(doc), edge_(edge)
{
    setText(QObject::tr("Disconnect %1 → %2").arg(q(doc->node(edge.from)->id), q(doc->node(edge.to)->id)));
}

void DisconnectCommand::redo() { doc_->disconnect(edge_); }
void DisconnectCommand::undo() { doc_->connect(edge_); }

SetPropertyCommand::SetPropertyCommand(Document* doc, int uid, const std::string& key, json value, QUndoCommand* parent)
    : QUndoCommand(parent), doc_(doc), uid_(uid), key_(key), after_(std::move(value))
{
    const Node* n = doc->node(uid);
    before_ = key == "id" ? json(n->id) : n->props.contains(key) ? n->props[key] : json();
    if (key == "id") setText(QObject::tr("Rename %1 to %2").arg(q(n->id), valueText(after_)));
    else setText(QObject::tr("Set %1 of %2 to %3").arg(q(key), q(n->id), valueText(after_)));
}

void SetPropertyCommand::apply(const json& value)
{
    if (key_ == "id") {
        doc_->setId(uid_, value.get<std::string>());
        return;
    }
    json props = doc_->node(uid_)->props;
    if (value.is_null()) props.erase(key_);
    else props[key_] = value;
    doc_->setProps(uid_, props);
}

void SetPropertyCommand::redo() { apply(after_); }
void SetPropertyCommand::undo() { apply(before_); }

bool SetPropertyCommand::mergeWith(const QUndoCommand* other)
{
    // Typing "120" into units is one step, not three.
    const auto* o = static_cast<const SetPropertyCommand*>(other);
    if (o->doc_ != doc_ || o->uid_ != uid_ || o->key_ != key_) return false;
    after_ = o->after_;
    setText(o->text());
    return true;
}

ReplaceDocumentCommand::ReplaceDocumentCommand(Document* doc, json spec, const QString& text, QUndoCommand* parent)
    : QUndoCommand(parent), doc_(doc), before_(doc->state())
{
    // Load once to validate and lay out (throws without changing anything kept),
    // remember the result, and put the old document back until redo().
    QSignalBlocker quiet(doc);
    doc->loadSpecJson(spec);
    after_ = doc->state();
    doc->restore(before_);
    setText(text);
}

void ReplaceDocumentCommand::redo() { doc_->restore(after_); }
void ReplaceDocumentCommand::undo() { doc_->restore(before_); }

} // namespace views::builder
