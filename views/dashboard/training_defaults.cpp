#include "views/dashboard/training_defaults.h"

#include <QFile>
#include <QFileInfo>

#include "views/common/paths.h"

namespace views {

namespace {

using nlohmann::json;

// Each key, what it must hold, and the values it may take.
struct Key {
    const char* name;
    const char* type;  // "number", "integer" or "string"
    double min, max;
    std::vector<std::string> choices;
};
const std::vector<Key>& keys()
{
    static const std::vector<Key> k {
        {"optimizer", "string", 0, 0, {"adam", "momentum", "sgd"}},
        {"lr", "number", 1e-5, 100, {}},
        {"batch", "integer", 1, 4096, {}},
        {"epochs", "integer", 1, 100000, {}},
        {"weight_decay", "number", 0, 1, {}},
        {"schedule", "string", 0, 0, {"constant", "step", "cosine"}},
        {"patience", "integer", 0, 1000, {}},
    };
    return k;
}

QString q(const std::string& s) { return QString::fromStdString(s); }

bool readJson(const QString& path, json& out, QString& error)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        error = QObject::tr("%1: cannot read the training defaults (%2)").arg(path, f.errorString());
        return false;
    }
    out = json::parse(f.readAll().toStdString(), nullptr, false);
    if (out.is_discarded() || !out.is_object()) {
        error = QObject::tr("%1: not a JSON object; the training defaults are ignored").arg(path);
        return false;
    }
    return true;
}

// Copies `block` (checked) over `into`; false with `error` set when it is bad.
bool layer(json& into, const json& block, const QString& where, QString& error)
{
    if (block.is_null()) return true;
    if (const QString e = checkDefaults(block, where); !e.isEmpty()) {
        error = e;
        return false;
    }
    for (const auto& [k, v] : block.items()) into[k] = v;
    return true;
}

} // namespace

QString defaultsKey(const QString& dataName)
{
    return dataName.endsWith(".csv", Qt::CaseInsensitive) ? QStringLiteral("csv") : dataName;
}

QString checkDefaults(const json& block, const QString& where)
{
    if (!block.is_object()) return QObject::tr("%1: must be an object like {\"lr\": 0.001, \"epochs\": 5}").arg(where);
    for (const auto& [name, v] : block.items()) {
        const auto it = std::find_if(keys().begin(), keys().end(), [&](const Key& k) { return name == k.name; });
        if (it == keys().end()) {
            QStringList known;
            for (const Key& k : keys()) known << k.name;
            return QObject::tr("%1: unknown key '%2' (known: %3)").arg(where, q(name), known.join(", "));
        }
        const QString type = it->type;
        if (type == "string") {
            if (!v.is_string() || std::find(it->choices.begin(), it->choices.end(), v.get<std::string>()) == it->choices.end()) {
                QStringList choices;
                for (const auto& c : it->choices) choices << q(c);
                return QObject::tr("%1: '%2' must be one of %3, got %4").arg(where, q(name), choices.join(", "), q(v.dump()));
            }
            continue;
        }
        const bool ok = type == "integer" ? v.is_number_integer() : v.is_number();
        if (!ok || v.get<double>() < it->min || v.get<double>() > it->max)
            return QObject::tr("%1: '%2' must be %3 from %4 to %5, got %6")
                .arg(where, q(name), type == "integer" ? QObject::tr("a whole number") : QObject::tr("a number"))
                .arg(it->min)
                .arg(it->max)
                .arg(q(v.dump()));
    }
    return {};
}

TrainingDefaults trainingDefaults(const QString& dataName, const QString& specPath)
{
    TrainingDefaults d;
    const std::string key = defaultsKey(dataName).toStdString();
    const QString tablePath = assetsDir() + "/training-defaults.json";
    json table;
    if (readJson(tablePath, table, d.error)) {
        layer(d.values, table.value("*", json()), tablePath + " \"*\"", d.error);
        if (d.error.isEmpty()) layer(d.values, table.value(key, json()), tablePath + " \"" + q(key) + "\"", d.error);
    }
    if (!d.error.isEmpty() || specPath.isEmpty()) return d;
    // The model's refinements, by the spec's name (its file name when it has none).
    json spec;
    QString specError;
    QString name = QFileInfo(specPath).completeBaseName();
    if (readJson(specPath, spec, specError) && spec.value("name", json()).is_string()) name = q(spec["name"].get<std::string>());
    const json models = table.value("models", json::object());
    if (!models.is_object() || !models.contains(name.toStdString())) return d;
    const json& block = models[name.toStdString()];
    const QString where = tablePath + " models \"" + name + "\"";
    if (!block.is_object()) {
        d.error = QObject::tr("%1: must be an object keyed by data set, e.g. {\"fashion-mnist\": {\"epochs\": 3}}").arg(where);
        return d;
    }
    if (layer(d.values, block.value("*", json()), where + " \"*\"", d.error))
        layer(d.values, block.value(key, json()), where + " \"" + q(key) + "\"", d.error);
    return d;
}

} // namespace views
