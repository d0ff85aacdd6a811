#include "views/builder/property_panel.h"

#include <QComboBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QRegularExpression>
#include <QUndoStack>
#include <QVBoxLayout>

#include "engine/core/error.h"
#include "engine/nn/model_spec.h"
#include "views/builder/builder_commands.h"
#include "views/builder/builder_document.h"

namespace views::builder {

using nlohmann::json;

namespace {

enum class FieldType { Int, Float, Choice, IntOrWord, Shape };

struct Field {
    const char* key;
    const char* label;
    FieldType type;
    double lo = 0, hi = 0;
    const char* word = "";      // IntOrWord: the keyword ("auto", "same")
    const char* fallback = "";  // the engine's default, shown when the field is absent
    const char* tip = "";
};

std::vector<Field> fieldsOf(const std::string& kind, const std::string& activation)
{
    std::vector<Field> f;
    auto act = [&](bool maxout) {
        f.push_back({"activation", "Activation", FieldType::Choice, 0, 0, "", "none", "Applied to the layer's output"});
        if (maxout && activation == "maxout")
            f.push_back({"pieces", "Pieces", FieldType::Int, 1, 64, "", "2", "Maxout takes the max over this many units"});
        if (activation == "leaky_relu") f.push_back({"slope", "Slope", FieldType::Float, 0, 1, "", "0.1", "For x < 0"});
        if (activation == "elu") f.push_back({"alpha", "Alpha", FieldType::Float, 0, 100, "", "1", "For x < 0"});
    };
    if (kind == kInputKind)
        f.push_back({"shape", "Shape", FieldType::Shape, 0, 0, "auto", "auto",
                     "\"auto\" follows the data set; or channels, height, width like 1, 28, 28"});
    else if (kind == kLossKind)
        f.push_back({"loss", "Loss", FieldType::Choice, 0, 0, "", "softmax_cross_entropy", "What training minimises"});
    else if (kind == "dense") {
        f.push_back({"units", "Units", FieldType::IntOrWord, 1, 1 << 20, "auto", "",
                     "Outputs of the layer; \"auto\" = the data set's number of classes (output layer only)"});
        act(true);
    } else if (kind == "conv2d") {
        f.push_back({"filters", "Filters", FieldType::Int, 1, 1 << 16, "", "", "Output channels"});
        f.push_back({"kernel", "Kernel", FieldType::Int, 1, 1024, "", "", "The filter is kernel×kernel"});
        f.push_back({"stride", "Stride", FieldType::Int, 1, 1024, "", "1", "Step between windows"});
        f.push_back({"padding", "Padding", FieldType::IntOrWord, 0, 1024, "same", "0",
                     "Zeros around the image; \"same\" keeps height and width at stride 1"});
        f.push_back({"dilation", "Dilation", FieldType::Int, 1, 1024, "", "1", "Gap between kernel taps"});
        act(false);
    } else if (kind == "maxpool2d" || kind == "avgpool2d") {
        f.push_back({"size", "Size", FieldType::Int, 1, 1024, "", "2", "The window is size×size"});
        f.push_back({"stride", "Stride", FieldType::Int, 1, 1024, "", "size", "Step between windows (default: the size)"});
        f.push_back({"padding", "Padding", FieldType::Int, 0, 1024, "", "0", "At most half the size"});
    } else if (kind == "batchnorm") {
        f.push_back({"momentum", "Momentum", FieldType::Float, 0, 1, "", "0.1", "running = (1-m)·running + m·batch"});
        f.push_back({"epsilon", "Epsilon", FieldType::Float, 1e-12, 1, "", "1e-05", "Added to the variance"});
    } else if (kind == "dropout") {
        f.push_back({"rate", "Rate", FieldType::Float, 0, 0.99, "", "0.5", "Fraction of values zeroed while training"});
    } else if (kind == "leaky_relu") {
        f.push_back({"slope", "Slope", FieldType::Float, 0, 1, "", "0.1", "For x < 0"});
    } else if (kind == "elu") {
        f.push_back({"alpha", "Alpha", FieldType::Float, 0, 100, "", "1", "For x < 0"});
    }
    return f;
}

std::vector<std::string> choicesOf(const std::string& kind, const std::string& key)
{
    if (key == "loss") return nn::knownLosses();
    std::vector<std::string> acts = nn::knownActivations();
    if (kind != "dense") acts.erase(std::remove(acts.begin(), acts.end(), "maxout"), acts.end());
    return acts;
}

QString shown(const json& v) { return v.is_string() ? QString::fromStdString(v.get<std::string>()) : QString::fromStdString(v.dump()); }

QString shapeShown(const json& v)
{
    if (!v.is_array()) return shown(v);
    QStringList parts;
    for (const auto& d : v) parts << QString::fromStdString(d.dump());
    return parts.join(", ");
}

} // namespace

json parseField(const std::string& kind, const std::string& key, const QString& raw, QString& why)
{
    const QString text = raw.trimmed();
    for (const Field& f : fieldsOf(kind, key == "pieces" ? "maxout" : key == "slope" ? "leaky_relu" : key == "alpha" ? "elu" : "")) {
        if (f.key != key) continue;
        if (text.isEmpty() && *f.fallback) return json();  // back to the engine's default
        if (f.type == FieldType::Shape) {
            if (text == "auto") return "auto";
            json dims = json::array();
            for (const QString& part : text.split(QRegularExpression("[,×x ]+"), Qt::SkipEmptyParts)) {
                bool ok = false;
                const int d = part.toInt(&ok);
                if (!ok || d <= 0) {
                    why = QObject::tr("Shape: \"auto\" or positive whole numbers like 1, 28, 28 (got '%1')").arg(part);
                    return nullptr;
                }
                dims.push_back(d);
            }
            if (dims.empty()) why = QObject::tr("Shape: \"auto\" or positive whole numbers like 1, 28, 28");
            return dims.empty() ? json(nullptr) : dims;
        }
        if (f.type == FieldType::IntOrWord && text == f.word) return f.word;
        if (f.type == FieldType::Int || f.type == FieldType::IntOrWord) {
            bool ok = false;
            const qlonglong v = text.toLongLong(&ok);
            if (!ok || v < f.lo || v > f.hi) {
                why = QObject::tr("%1: a whole number from %2 to %3%4").arg(f.label).arg(f.lo).arg(f.hi)
                          .arg(*f.word ? QObject::tr(", or \"%1\"").arg(f.word) : QString());
                return nullptr;
            }
            return v;
        }
        if (f.type == FieldType::Float) {
            bool ok = false;
            const double v = text.toDouble(&ok);
            if (!ok || v < f.lo || v > f.hi) {
                why = QObject::tr("%1: a number from %2 to %3").arg(f.label).arg(f.lo).arg(f.hi);
                return nullptr;
            }
            return v;
        }
        return text.toStdString();  // Choice
    }
    why = QObject::tr("No field '%1' on a %2").arg(QString::fromStdString(key), QString::fromStdString(displayName(kind)));
    return nullptr;
}

PropertyPanel::PropertyPanel(Document* doc, QUndoStack* undo, QWidget* parent) : QWidget(parent), doc_(doc), undo_(undo)
{
    setObjectName("builderProperties");
    auto* v = new QVBoxLayout(this);
    v->setContentsMargins(6, 6, 6, 6);
    title_ = new QLabel;
    QFont f = title_->font();
    f.setBold(true);
    title_->setFont(f);
    form_ = new QFormLayout;
    stats_ = new QLabel;
    stats_->setWordWrap(true);
    stats_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    inputError_ = new QLabel;
    inputError_->setWordWrap(true);
    QPalette red = inputError_->palette();
    red.setColor(QPalette::WindowText, QColor(0xc0, 0x39, 0x2b));
    inputError_->setPalette(red);
    errors_ = new QLabel;
    errors_->setWordWrap(true);
    errors_->setPalette(red);
    errors_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    v->addWidget(title_);
    v->addLayout(form_);
    v->addWidget(inputError_);
    v->addWidget(stats_);
    v->addWidget(errors_);
    v->addStretch(1);
    setNode(0);
}

std::string PropertyPanel::layoutKey() const
{
    const Node* n = doc_->node(uid_);
    if (!n) return {};
    return std::to_string(uid_) + "/" + n->kind + "/" + n->props.value("activation", std::string("none"));
}

void PropertyPanel::setNode(int uid)
{
    uid_ = doc_->node(uid) ? uid : 0;
    rebuild();
}

QWidget* PropertyPanel::editor(const QString& key) const
{
    auto it = editors_.find(key.toStdString());
    return it == editors_.end() ? nullptr : it->second;
}

QString PropertyPanel::inputError() const { return inputError_->text(); }

void PropertyPanel::rebuild()
{
    // Taken out and deleted later: rebuild() can run inside a field's own signal
    // (choosing maxout adds the pieces field).
    while (form_->rowCount() > 0) {
        const QFormLayout::TakeRowResult row = form_->takeRow(0);
        for (QLayoutItem* i : {row.labelItem, row.fieldItem})
            if (i) {
                if (i->widget()) i->widget()->hide(), i->widget()->deleteLater();
                delete i;
            }
    }
    editors_.clear();
    inputError_->clear();
    shownLayout_ = layoutKey();
    const Node* n = doc_->node(uid_);
    if (!n) {
        title_->setText(tr("No node selected"));
        stats_->setText(tr("Select a node to edit it. Drag layers from the palette; connect a node's output "
                           "(bottom dot) to the next node's input (top dot)."));
        errors_->clear();
        return;
    }
    title_->setText(QString::fromStdString(displayName(n->kind)));
    if (n->kind != kInputKind && n->kind != kLossKind) {
        auto* id = new QLineEdit(QString::fromStdString(n->id));
        id->setToolTip(tr("The layer's name in the spec and in every view (letters, digits, _ and -)"));
        connect(id, &QLineEdit::textEdited, this, [this](const QString& t) { edited("id", t); });
        form_->addRow(tr("Id"), id);
        editors_["id"] = id;
    }
    for (const Field& f : fieldsOf(n->kind, n->props.value("activation", std::string("none")))) {
        QWidget* w = nullptr;
        if (f.type == FieldType::Choice) {
            auto* c = new QComboBox;
            for (const auto& s : choicesOf(n->kind, f.key)) c->addItem(QString::fromStdString(s));
            c->setCurrentText(n->props.contains(f.key) ? shown(n->props[f.key]) : QString(f.fallback));
            const std::string key = f.key;
            connect(c, &QComboBox::activated, this, [this, c, key] { edited(key, c->currentText()); });
            w = c;
        } else {
            auto* e = new QLineEdit(n->props.contains(f.key) ? shapeShown(n->props[f.key]) : QString());
            if (*f.fallback) e->setPlaceholderText(tr("%1 (default)").arg(f.fallback));
            const std::string key = f.key;
            connect(e, &QLineEdit::textEdited, this, [this, key](const QString& t) { edited(key, t); });
            w = e;
        }
        w->setToolTip(tr(f.tip));
        w->setObjectName(QString("prop_") + f.key);
        form_->addRow(tr(f.label), w);
        editors_[f.key] = w;
    }
}

void PropertyPanel::edited(const std::string& key, const QString& text)
{
    const Node* n = doc_->node(uid_);
    if (!n) return;
    auto* line = qobject_cast<QLineEdit*>(editor(QString::fromStdString(key)));
    auto refuse = [&](const QString& why) {
        inputError_->setText(why);
        if (line) line->setStyleSheet("border: 2px solid #c0392b");
    };
    QString why;
    json value;
    if (key == "id") {
        const std::string id = text.trimmed().toStdString();
        static const QRegularExpression ok("^[A-Za-z0-9_\\-]+$");
        if (!ok.match(text.trimmed()).hasMatch()) return refuse(tr("Id: letters, digits, _ and - only, not empty"));
        if (id == kInputKind || id == kLossKind) return refuse(tr("Id: '%1' is reserved; choose another").arg(text.trimmed()));
        const Node* other = doc_->nodeById(id);
        if (other && other->uid != uid_) return refuse(tr("Id: '%1' is taken by another node").arg(text.trimmed()));
        value = id;
    } else {
        value = parseField(n->kind, key, text, why);
        if (!why.isEmpty()) return refuse(why);
        // The engine's own parser has the last word on the field (e.g. "same"
        // padding needs an odd kernel).
        if (n->kind != kInputKind && n->kind != kLossKind) {
            json layer = n->props;
            if (value.is_null()) layer.erase(key);
            else layer[key] = value;
            layer["id"] = "x";
            layer["type"] = n->kind;
            try {
                nn::ModelSpec::fromJson({{"input", {{"shape", {1}}}}, {"layers", {layer}}});
            } catch (const nn::Error& e) {
                std::string msg = e.what();
                const auto p = msg.find("': ");
                return refuse(QString::fromStdString(p == std::string::npos ? msg : msg.substr(p + 3)));
            }
        }
    }
    inputError_->clear();
    if (line) line->setStyleSheet({});
    const json current = key == "id" ? json(n->id) : n->props.contains(key) ? n->props[key] : json();
    if (current == value) return;
    undo_->push(new SetPropertyCommand(doc_, uid_, key, value));
}

void PropertyPanel::refresh(const Analysis& analysis)
{
    if (uid_ && !doc_->node(uid_)) uid_ = 0;
    if (layoutKey() != shownLayout_) rebuild();
    const Node* n = doc_->node(uid_);
    if (!n) return;
    // Values that changed elsewhere (undo, another field), unless being typed into.
    for (const auto& [key, w] : editors_) {
        if (w->hasFocus()) continue;
        const json v = key == "id" ? json(n->id) : n->props.contains(key) ? n->props[key] : json();
        if (auto* e = qobject_cast<QLineEdit*>(w)) {
            const QString t = v.is_null() ? QString() : shapeShown(v);
            if (e->text() != t) e->setText(t);
            e->setStyleSheet({});
        } else if (auto* c = qobject_cast<QComboBox*>(w); c && !v.is_null()) {
            c->setCurrentText(shown(v));
        }
    }
    const auto it = analysis.nodes.find(uid_);
    const NodeReport r = it == analysis.nodes.end() ? NodeReport {} : it->second;
    QString s = tr("Output: %1").arg(r.resolved ? QString::fromStdString(shapeText(r.shape)) : tr("unknown"));
    if (r.resolved && n->kind != kInputKind && n->kind != kLossKind)
        s += tr("\nParameters: %1\nFLOPs per sample: %2").arg(r.params).arg(QString::fromStdString(countText(r.flops)));
    stats_->setText(s);
    QStringList errs;
    for (const auto& e : r.errors) errs << "⚠ " + QString::fromStdString(e);
    for (const auto& w : r.warnings) errs << tr("⚠ Warning: ") + QString::fromStdString(w);
    errors_->setText(errs.join("\n"));
}

} // namespace views::builder
