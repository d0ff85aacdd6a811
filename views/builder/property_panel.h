#pragma once
// Properties of the selected node: its id and the spec fields of its kind (units,
// kernel, stride, padding, activation, rate, ...), validated as you type. A valid
// value becomes a SetPropertyCommand at once (typing merges into one undo step);
// an invalid one turns the field red and says why, and the document keeps its last
// good value. Below the fields: the node's shape, cost and errors.
#include <QWidget>
#include <map>

#include <nlohmann/json.hpp>

#include "views/builder/builder_analysis.h"

class QFormLayout;
class QLabel;
class QUndoStack;
class QLineEdit;

namespace views::builder {

class Document;

class PropertyPanel : public QWidget {
    Q_OBJECT
public:
    PropertyPanel(Document* doc, QUndoStack* undo, QWidget* parent = nullptr);
    // 0: no node selected.
    void setNode(int uid);
    int nodeUid() const { return uid_; }
    // New analysis or document: refresh values (without stealing focus) and the report.
    void refresh(const Analysis& analysis);
    // The editor for a field ("units", "id", ...), for tests; null when not shown.
    QWidget* editor(const QString& key) const;
    // The message under the fields when a typed value is refused ("" when fine).
    QString inputError() const;

private:
    void rebuild();
    void edited(const std::string& key, const QString& text);
    std::string layoutKey() const;  // fields shown depend on kind and activation

    Document* doc_;
    QUndoStack* undo_;
    int uid_ = 0;
    std::string shownLayout_;
    QFormLayout* form_;
    QLabel* title_;
    QLabel* stats_;
    QLabel* inputError_;
    QLabel* errors_;
    std::map<std::string, QWidget*> editors_;
};

// Parses what a person typed into a field of `kind` (e.g. "auto" or "120" for
// units, "1, 28, 28" for the input shape); on failure returns null and sets `why`.
nlohmann::json parseField(const std::string& kind, const std::string& key, const QString& text, QString& why);

} // namespace views::builder
