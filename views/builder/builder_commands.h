#pragma once
// Every edit of the builder's document is one of these QUndoCommands, pushed on
// the window's QUndoStack, so Ctrl+Z / Ctrl+Shift+Z walk through builder edits and
// set-up changes alike. Each keeps only what it needs to reverse itself, names
// itself for the Edit menu ("Set units of fc1 to 120"), and refers to nodes by
// uid (stable across undo, never reused). Typing into a field merges into one
// step; a drag of several nodes is one MoveCommand.
#include <QPointF>
#include <QUndoCommand>
#include <map>

#include "views/builder/builder_document.h"

namespace views::builder {

class AddNodeCommand : public QUndoCommand {
public:
    AddNodeCommand(Document* doc, Node node, QUndoCommand* parent = nullptr);
    void redo() override;
    void undo() override;
    int uid() const { return node_.uid; }

private:
    Document* doc_;
    Node node_;
};

// Deletes nodes with every edge that touches them; undo puts both back exactly
// (same uids, same place in the document's order).
class DeleteCommand : public QUndoCommand {
public:
    DeleteCommand(Document* doc, const std::vector<int>& uids, QUndoCommand* parent = nullptr);
    void redo() override;
    void undo() override;

private:
    Document* doc_;
    std::vector<std::pair<int, Node>> nodes_;  // (index in the document, node), ascending
    std::vector<Edge> edges_;
};

class MoveCommand : public QUndoCommand {
public:
    // uid -> (from, to)
    MoveCommand(Document* doc, std::map<int, std::pair<QPointF, QPointF>> moves, const QString& text = {},
                QUndoCommand* parent = nullptr);
    void redo() override;
    void undo() override;

private:
    Document* doc_;
    std::map<int, std::pair<QPointF, QPointF>> moves_;
};

// Connects `edge`; a single-input port that was taken loses its old edge (undo
// restores it).
class ConnectCommand : public QUndoCommand {
public:
    ConnectCommand(Document* doc, Edge edge, QUndoCommand* parent = nullptr);
    void redo() override;
    void undo() override;

private:
    Document* doc_;
    Edge edge_;
    std::vector<Edge> replaced_;
};

class DisconnectCommand : public QUndoCommand {
public:
    DisconnectCommand(Document* doc, Edge edge, QUndoCommand* parent = nullptr);
    void redo() override;
    void undo() override;

private:
    Document* doc_;
    Edge edge_;
};

// One property of one node: a spec field (units, kernel, activation, shape, loss),
// or "id" to rename. A null value removes the field (the engine's default).
class SetPropertyCommand : public QUndoCommand {
public:
    SetPropertyCommand(Document* doc, int uid, const std::string& key, nlohmann::json value, QUndoCommand* parent = nullptr);
    void redo() override;
    void undo() override;
    int id() const override { return 0x6e6e01; }
    bool mergeWith(const QUndoCommand* other) override;

private:
    void apply(const nlohmann::json& value);
    Document* doc_;
    int uid_;
    std::string key_;
    nlohmann::json before_, after_;
};

// Replaces the whole document (a template, an opened spec, a trained model).
class ReplaceDocumentCommand : public QUndoCommand {
public:
    // Throws nn::Error (nothing pushed, nothing changed) when `spec` is not valid.
    ReplaceDocumentCommand(Document* doc, nlohmann::json spec, const QString& text, QUndoCommand* parent = nullptr);
    void redo() override;
    void undo() override;

private:
    Document* doc_;
    Document::State before_, after_;
};

} // namespace views::builder
