// nnstudio-cli runs: the run history — list, show, compare and export runs kept
// by `train --store` and the app.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "app/cli/args.h"
#include "app/cli/commands.h"
#include "app/cli/json_out.h"
#include "engine/core/error.h"
#include "engine/store/run_diff.h"
#include "engine/store/run_store.h"

namespace cli {

namespace {

using nlohmann::json;
namespace st = nn::store;

const char* kHelp =
    "usage: nnstudio-cli runs SUBCOMMAND [options]\n"
    "  list                 every run, newest first (id, name, status, model, data, epochs,\n"
    "                       best accuracy, device, training time, date, parent)\n"
    "  show RUN             one run: settings, model, snapshots, branches, per-epoch metrics,\n"
    "                       compression stages (compress --store)\n"
    "  compare RUN RUN      settings side by side (differences marked), final metrics, and\n"
    "                       the architecture diff (layers added, removed, changed)\n"
    "  export-csv RUN       per-epoch metrics as CSV [--out FILE (default: stdout)]\n"
    "                       [--steps: per-step losses instead]\n"
    "  RUN is a run id or a unique run name.\n"
    "  --store FILE         the run history (default: the app's, ~/.local/share/NN Studio/\n"
    "                       NN Studio/runs.sqlite)\n"
    "  --json               one JSON object per line; the last has \"final\": true\n";

std::string isoTime(double unix)
{
    if (!(unix > 0)) return {};
    const std::time_t t = std::time_t(unix);
    std::tm tm {};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

std::string localTime(double unix)
{
    if (!(unix > 0)) return "-";
    const std::time_t t = std::time_t(unix);
    std::tm tm {};
    localtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", &tm);
    return buf;
}

std::string fixed(double v, int digits)
{
    if (!std::isfinite(v)) return "-";
    std::ostringstream o;
    o << std::fixed << std::setprecision(digits) << v;
    return o.str();
}

std::string duration(double s)
{
    if (!(s > 0)) return "-";
    if (s < 1) return fixed(s * 1e3, 0) + "ms";
    if (s < 60) return fixed(s, 1) + "s";
    if (s < 3600) return std::to_string(int(s) / 60) + "m" + std::to_string(int(s) % 60) + "s";
    return std::to_string(int(s) / 3600) + "h" + std::to_string(int(s) % 3600 / 60) + "m";
}

std::string cut(const std::string& s, size_t n) { return s.size() <= n ? s : s.substr(0, n - 1) + "~"; }

std::string valueText(const json& v)
{
    if (v.is_null()) return "-";
    if (v.is_string()) return v.get<std::string>();
    return v.dump();
}

json runJson(const st::RunInfo& r)
{
    json j {{"id", r.id},
            {"name", r.name},
            {"created", isoTime(r.created)},
            {"status", r.status},
            {"model", r.modelName},
            {"dataset", r.dataset},
            {"device", r.device},
            {"seed", r.seed},
            {"epochs", r.epochs},
            {"steps", r.steps},
            {"best_accuracy", num(r.bestAccuracy)},
            {"seconds", r.seconds},
            {"parent_id", r.parentId ? json(r.parentId) : json(nullptr)},
            {"parent_step", r.parentId ? json(r.parentStep) : json(nullptr)}};
    if (r.ended > 0) j["ended"] = isoTime(r.ended);
    if (!r.message.empty()) j["message"] = r.message;
    if (!r.notes.empty()) j["notes"] = r.notes;
    return j;
}

json epochJson(const nn::EpochMetrics& m)
{
    return {{"event", "epoch"},           {"epoch", m.epoch},
            {"step", m.steps},            {"train_loss", num(m.trainLoss)},
            {"train_accuracy", num(m.trainAccuracy)}, {"val_loss", num(m.valLoss)},
            {"val_accuracy", num(m.valAccuracy)},     {"lr", num(m.lr)},
            {"seconds", num(m.seconds)}};
}

int list(const st::RunStore& store, bool asJson)
{
    const auto runs = store.list();
    if (asJson) {
        for (const auto& r : runs) {
            json j = runJson(r);
            j["event"] = "run";
            emit(j);
        }
        emit({{"final", true}, {"runs", runs.size()}, {"store", store.path()}});
        return 0;
    }
    if (runs.empty()) {
        std::cout << "no runs in " << store.path() << " (record one with nnstudio-cli train --store " << store.path()
                  << ")\n";
        return 0;
    }
    std::cout << std::left << std::setw(6) << "id" << std::setw(26) << "name" << std::setw(13) << "status"
              << std::setw(20) << "model" << std::setw(15) << "data" << std::right << std::setw(7) << "epochs"
              << std::setw(7) << "best" << "  " << std::left << std::setw(7) << "device" << std::right << std::setw(8)
              << "time" << "  " << std::left << std::setw(17) << "created" << "parent\n";
    for (const auto& r : runs)
        std::cout << std::left << std::setw(6) << r.id << std::setw(26) << cut(r.name, 25) << std::setw(13) << r.status
                  << std::setw(20) << cut(r.modelName, 15) << std::setw(15) << cut(r.dataset, 14) << std::right
                  << std::setw(7) << r.epochs << std::setw(7) << fixed(r.bestAccuracy, 3) << "  " << std::left
                  << std::setw(7) << r.device << std::right << std::setw(8) << duration(r.seconds) << "  " << std::left
                  << std::setw(17) << localTime(r.created)
                  << (r.parentId ? std::to_string(r.parentId) + ":" + std::to_string(r.parentStep) : std::string("-"))
                  << '\n';
    std::cout << runs.size() << " run" << (runs.size() == 1 ? "" : "s") << " in " << store.path() << '\n';
    return 0;
}

int show(const st::RunStore& store, const std::string& ref, bool asJson)
{
    const st::RunInfo r = store.run(store.resolve(ref));
    const auto epochs = store.epochs(r.id);
    const auto snaps = store.snapshots(r.id);
    const auto kids = store.children(r.id);
    const auto times = store.timings(r.id);
    const auto stages = store.stages(r.id);
    if (asJson) {
        for (const auto& m : epochs) emit(epochJson(m));
        json j = runJson(r);
        j["spec"] = r.spec;
        j["hyperparameters"] = r.hyper;
        j["dataset_params"] = r.datasetParams;
        j["snapshots"] = json::array();
        for (const auto& s : snaps)
            j["snapshots"].push_back({{"step", s.step}, {"epoch", s.epoch}, {"bytes", s.bytes}, {"optimizer", s.hasOptimizer}});
        j["children"] = kids;
        j["timings"] = json::array();
        for (const auto& t : times)
            j["timings"].push_back({{"name", t.name}, {"seconds", t.seconds}, {"calls", t.calls}, {"flops", t.flops},
                                    {"bytes", t.bytes}});
        if (!stages.empty()) {
            j["stages"] = json::array();
            for (const auto& st : stages) j["stages"].push_back(st.record);
        }
        emit({{"final", true}, {"run", j}});
        return 0;
    }
    std::cout << "run " << r.id << ": " << r.name << "\n"
              << "  status      " << r.status << (r.message.empty() ? "" : " (" + r.message + ")") << "\n"
              << "  created     " << localTime(r.created) << (r.ended > 0 ? ", ended " + localTime(r.ended) : "") << "\n"
              << "  model       " << r.modelName << "  (" << st::diffSpecs(r.spec, r.spec).size() - 2 << " layers)\n"
              << "  data        " << r.dataset << "  " << r.datasetParams.dump() << "\n"
              << "  seed        " << r.seed << "   device " << r.device << "\n"
              << "  settings    " << r.hyper.dump() << "\n"
              << "  progress    " << r.epochs << " epochs, " << r.steps << " steps, " << duration(r.seconds)
              << " training, best accuracy " << fixed(r.bestAccuracy, 4) << "\n";
    if (r.parentId) std::cout << "  branched    from run " << r.parentId << " at step " << r.parentStep << "\n";
    if (!kids.empty()) {
        std::cout << "  branches   ";
        for (auto k : kids) std::cout << ' ' << k;
        std::cout << "\n";
    }
    if (!r.notes.empty()) std::cout << "  notes       " << r.notes << "\n";
    std::cout << "  snapshots  ";
    if (snaps.empty()) std::cout << " none";
    for (const auto& s : snaps) std::cout << " step " << s.step << " (epoch " << s.epoch << ")";
    std::cout << "\n";
    if (!stages.empty()) {
        std::cout << "\n  compression stages\n  " << std::setw(4) << "step" << "  " << std::left << std::setw(16)
                  << "stage" << std::right << std::setw(10) << "test_acc" << std::setw(12) << "KiB" << std::setw(9)
                  << "ratio" << "  format\n";
        for (const auto& st : stages)
            std::cout << "  " << std::setw(4) << st.step << "  " << std::left << std::setw(16) << st.text << std::right
                      << std::setw(10) << fixed(st.testAccuracy, 4) << std::setw(12) << fixed(double(st.bits) / 8192.0, 1)
                      << std::setw(8) << fixed(st.ratio, 1) << "x  " << st.record.value("best_format", std::string())
                      << '\n';
    }
    if (!epochs.empty()) {
        std::cout << "\n  " << std::setw(6) << "epoch" << std::setw(9) << "step" << std::setw(12) << "train_loss"
                  << std::setw(11) << "train_acc" << std::setw(11) << "val_loss" << std::setw(9) << "val_acc" << '\n';
        const size_t from = epochs.size() > 20 ? epochs.size() - 10 : 0;
        if (from) std::cout << "  ... " << from << " earlier epochs (runs export-csv " << r.id << " has them all)\n";
        for (size_t i = from; i < epochs.size(); ++i) {
            const auto& m = epochs[i];
            std::cout << "  " << std::setw(6) << m.epoch << std::setw(9) << m.steps << std::setw(12) << fixed(m.trainLoss, 4)
                      << std::setw(11) << fixed(m.trainAccuracy, 4) << std::setw(11) << fixed(m.valLoss, 4) << std::setw(9)
                      << fixed(m.valAccuracy, 4) << '\n';
        }
    }
    return 0;
}

int compare(const st::RunStore& store, const std::string& refA, const std::string& refB, bool asJson)
{
    const st::RunInfo a = store.run(store.resolve(refA)), b = store.run(store.resolve(refB));
    const auto settings = st::compareSettings({a, b});
    const auto layers = st::diffSpecs(a.spec, b.spec);
    const auto lastOf = [&](const st::RunInfo& r) {
        const auto e = store.epochs(r.id);
        return e.empty() ? nn::EpochMetrics {0, NAN, NAN, NAN, NAN, 0, 0, 0} : e.back();
    };
    const nn::EpochMetrics la = lastOf(a), lb = lastOf(b);
    int differing = 0, changed = 0;
    for (const auto& s : settings) differing += s.differs;
    for (const auto& l : layers) changed += l.kind != st::LayerChange::Kind::Same;
    if (asJson) {
        for (const auto& s : settings)
            emit({{"event", "setting"}, {"key", s.key}, {"a", s.values[0]}, {"b", s.values[1]}, {"differs", s.differs}});
        for (const auto& l : layers) {
            json j {{"event", "layer"}, {"id", l.id}, {"change", st::kindName(l.kind)}, {"a", l.a}, {"b", l.b}};
            if (!l.fields.empty()) j["fields"] = l.fields;
            emit(j);
        }
        auto summary = [](const st::RunInfo& r, const nn::EpochMetrics& m) {
            json j = runJson(r);
            j["final_train_loss"] = num(m.trainLoss);
            j["final_val_accuracy"] = num(m.valAccuracy);
            return j;
        };
        emit({{"final", true}, {"a", summary(a, la)}, {"b", summary(b, lb)}, {"settings_differing", differing},
              {"layers_changed", changed}});
        return 0;
    }
    const int w = 22;
    std::cout << "  " << std::left << std::setw(20) << "" << std::setw(w) << ("run " + std::to_string(a.id))
              << ("run " + std::to_string(b.id)) << "\n"
              << "  " << std::setw(20) << "name" << std::setw(w) << cut(a.name, w - 1) << b.name << "\n";
    for (const auto& s : settings)
        std::cout << (s.differs ? "* " : "  ") << std::setw(20) << s.key << std::setw(w) << cut(valueText(s.values[0]), w - 1)
                  << valueText(s.values[1]) << "\n";
    auto row = [&](const char* key, const std::string& x, const std::string& y) {
        std::cout << (x != y ? "* " : "  ") << std::setw(20) << key << std::setw(w) << x << y << "\n";
    };
    row("status", a.status, b.status);
    row("epochs", std::to_string(a.epochs), std::to_string(b.epochs));
    row("best accuracy", fixed(a.bestAccuracy, 4), fixed(b.bestAccuracy, 4));
    row("final val acc", fixed(la.valAccuracy, 4), fixed(lb.valAccuracy, 4));
    row("final loss", fixed(la.trainLoss, 4), fixed(lb.trainLoss, 4));
    row("time", duration(a.seconds), duration(b.seconds));
    std::cout << "\narchitecture (" << a.modelName << " -> " << b.modelName << "): "
              << (changed ? std::to_string(changed) + " change" + (changed == 1 ? "" : "s") : std::string("identical"))
              << "\n";
    for (const auto& l : layers) {
        switch (l.kind) {
        case st::LayerChange::Kind::Same:
            std::cout << "  = " << l.id << "  " << (l.a.is_object() && !l.a.contains("type") ? l.a.dump() : st::describeLayer(l.a))
                      << "\n";
            break;
        case st::LayerChange::Kind::Added: std::cout << "  + " << l.id << "  " << st::describeLayer(l.b) << "\n"; break;
        case st::LayerChange::Kind::Removed: std::cout << "  - " << l.id << "  " << st::describeLayer(l.a) << "\n"; break;
        case st::LayerChange::Kind::Changed: {
            std::cout << "  ~ " << l.id << "  ";
            for (size_t i = 0; i < l.fields.size(); ++i) {
                const auto& f = l.fields[i];
                const json x = l.a.is_object() ? l.a.value(f, json()) : l.a, y = l.b.is_object() ? l.b.value(f, json()) : l.b;
                std::cout << (i ? ", " : "") << f << " " << valueText(x) << " -> " << valueText(y);
            }
            std::cout << "\n";
            break;
        }
        }
    }
    return 0;
}

int exportCsv(const st::RunStore& store, const std::string& ref, const Args& args, bool asJson)
{
    const int64_t id = store.resolve(ref);
    const bool steps = args.has("steps");
    std::string csv;
    size_t rows = 0;
    if (steps) {
        const auto s = store.steps(id);
        rows = s.size();
        csv = st::stepsCsv(s);
    } else {
        const auto e = store.epochs(id);
        rows = e.size();
        csv = st::epochsCsv(e);
    }
    if (!args.has("out")) {
        if (asJson) throw nn::Error("export-csv --json needs --out FILE (the CSV goes there, the JSON lines to stdout)");
        std::cout << csv;
        return 0;
    }
    const std::string out = args.str("out");
    std::ofstream f(out, std::ios::binary | std::ios::trunc);
    if (!f) throw nn::Error("cannot write '" + out + "': check the folder exists and is writable");
    f << csv;
    f.close();
    if (!f) throw nn::Error("writing '" + out + "' failed (disk full?)");
    if (asJson)
        emit({{"final", true}, {"run_id", id}, {"out", out}, {"rows", rows}, {"kind", steps ? "steps" : "epochs"}});
    else
        std::cout << "wrote " << rows << (steps ? " steps" : " epochs") << " of run " << id << " to " << out << '\n';
    return 0;
}

} // namespace

int runs(const std::vector<std::string>& argv)
{
    // Positional words (the subcommand and run references) apart from --options.
    static const std::set<std::string> flags = {"json", "help", "steps"};
    std::vector<std::string> words, options;
    for (size_t i = 0; i < argv.size(); ++i) {
        const std::string& a = argv[i];
        if (a.rfind("--", 0) == 0) {
            options.push_back(a);
            const std::string name = a.substr(2);
            if (!flags.count(name) && name.find('=') == std::string::npos && i + 1 < argv.size()) options.push_back(argv[++i]);
        } else {
            words.push_back(a);
        }
    }
    const Args args(options, flags);
    if (args.has("help") || words.empty()) {
        if (words.empty() && !args.has("help")) {
            std::cerr << kHelp;
            return 2;
        }
        std::cout << kHelp;
        return 0;
    }
    const std::string sub = words[0];
    auto need = [&](size_t n, const char* what) {
        if (words.size() != n + 1)
            throw nn::Error("runs " + sub + " takes " + what + ", got " + std::to_string(words.size() - 1)
                            + " (see nnstudio-cli runs --help)");
    };
    if (sub == "list") {
        args.allowOnly({"store", "json", "help"});
        need(0, "no run");
    } else if (sub == "show") {
        args.allowOnly({"store", "json", "help"});
        need(1, "one RUN (an id or name)");
    } else if (sub == "compare") {
        args.allowOnly({"store", "json", "help"});
        need(2, "two RUNs (ids or names)");
    } else if (sub == "export-csv") {
        args.allowOnly({"store", "json", "help", "out", "steps"});
        need(1, "one RUN (an id or name)");
    } else {
        throw nn::Error("unknown subcommand '" + sub + "' (runs list, show RUN, compare RUN RUN, export-csv RUN)");
    }
    const std::string path = args.str("store", st::defaultStorePath());
    // Read-write where allowed, so an old file is upgraded and dead writers' runs are
    // marked interrupted for good; a missing file is an error, never created here.
    std::error_code ec;
    const bool writable = std::filesystem::exists(path, ec) && access(path.c_str(), W_OK) == 0;
    const st::RunStore store(path, writable ? st::OpenMode::ReadWrite : st::OpenMode::ReadOnly);
    const bool asJson = args.has("json");
    if (sub == "list") return list(store, asJson);
    if (sub == "show") return show(store, words[1], asJson);
    if (sub == "compare") return compare(store, words[1], words[2], asJson);
    return exportCsv(store, words[1], args, asJson);
}

} // namespace cli
