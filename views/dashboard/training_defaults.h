#pragma once
// The training settings a data set and a model bring when the user picks them:
// data, not code. assets/training-defaults.json has one entry per data set ("*"
// for what every set shares, "csv" for any CSV file), and under "models" a
// model's refinements by spec name, keyed the same way, e.g.
//   "models": {"lenet5": {"fashion-mnist": {"epochs": 3}}}
// (in the table, not in the specs: the builder rewrites specs from its document).
// Keys are the stored hyperparameters' names: optimizer, lr, batch, epochs,
// weight_decay, schedule, patience.
#include <QString>

#include <nlohmann/json.hpp>

namespace views {

// The data set's key in the table: its name, or "csv" for a CSV file.
QString defaultsKey(const QString& dataName);

struct TrainingDefaults {
    nlohmann::json values = nlohmann::json::object();  // the keys above that apply
    QString error;  // a bad table or spec block: which file, which key, what to write
};

// The table's "*" entry, then its `dataName` entry, then the model's entries for
// "*" and for `dataName` (each over the one before). `specPath` may be empty.
TrainingDefaults trainingDefaults(const QString& dataName, const QString& specPath);

// Checks one block of defaults (`where` names it in the message): "" when good.
QString checkDefaults(const nlohmann::json& block, const QString& where);

} // namespace views
