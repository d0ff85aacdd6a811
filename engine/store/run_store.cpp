#include "engine/store/run_store.h"

#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "engine/core/error.h"
#include "engine/core/numbers.h"
#include "engine/core/utf8.h"
#include "engine/store/schema.h"
#include "engine/store/sqlite.h"

namespace nn::store {

namespace fs = std::filesystem;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// quick_check reads every page: done on open (read-write) for files up to this size.
constexpr uintmax_t kQuickCheckLimit = uintmax_t(256) << 20;

const char* kInterruptedMessage =
    "the process training it ended without finishing it (killed or crashed); every metric committed before is kept";

double now()
{
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

bool knownStatus(const std::string& s)
{
    return std::find_if(std::begin(kStatuses), std::end(kStatuses), [&](const char* k) { return s == k; })
           != std::end(kStatuses);
}

std::string hostName()
{
    char buf[256] = {};
    if (gethostname(buf, sizeof buf - 1) != 0) return "localhost";
    std::string h = buf;
    std::replace(h.begin(), h.end(), ':', '_');
    return h;
}

// Field 22 of /proc/PID/stat (start time in clock ticks since boot) and the state
// letter; false when the process does not exist.
bool procStat(long pid, unsigned long long& start, char& state)
{
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!in || !std::getline(in, line)) return false;
    const auto close = line.rfind(')');
    if (close == std::string::npos) return false;
    std::istringstream rest(line.substr(close + 1));
    std::string field;
    for (int i = 3; i <= 22 && rest >> field; ++i) {
        if (i == 3) state = field.empty() ? '?' : field[0];
        if (i == 22) {
            start = std::strtoull(field.c_str(), nullptr, 10);
            return true;
        }
    }
    return false;
}

std::string notOurs(const std::string& path, const std::string& why)
{
    return "'" + path + "' is not an NN Studio run history (" + why
           + "); it was left untouched. Choose another file (--store FILE, or File > Open history...) "
             "or move this one aside";
}

std::string damaged(const std::string& path, const std::string& why)
{
    return "run history '" + path + "' is damaged (" + why
           + "); it was left untouched. Restore a backup, recover it with `sqlite3 '" + path
           + "' .recover`, or use another file";
}

// CSV cells: the shortest text that reads back as the same value (%.9g lost
// digits of a double, and printf wrote "0,6931" under a German locale); a
// missing value (NaN) is an empty cell.
std::string fmt(double v) { return std::isfinite(v) ? num::shortest(v) : std::string(); }
std::string fmt(float v) { return std::isfinite(v) ? num::shortest(v) : std::string(); }

// Text columns and JSON as UTF-8 whatever the caller passed (a Latin-1 run name
// made every later `runs list --json` fail): invalid bytes are read as Latin-1.
std::string clean(const std::string& s) { return utf8::decode(s); }
std::string dumpJson(const nlohmann::json& j)
{
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

template <class T> void put(std::vector<unsigned char>& out, T v)
{
    const auto* p = reinterpret_cast<const unsigned char*>(&v);
    out.insert(out.end(), p, p + sizeof v);
}

} // namespace

RunInfo::RunInfo() : bestAccuracy(kNaN) {}

// ---------------------------------------------------------------------------------
// Opening

RunStore::RunStore(const std::string& path, OpenMode mode) : path_(path), mode_(mode)
{
    if (path_.empty()) throw Error("no run history file given (an empty path)");
    validate();
    const int flags = mode_ == OpenMode::ReadOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    db_ = std::make_unique<sql::Db>(path_, flags, immutable_);
    sqlite3_busy_timeout(db_->handle(), 10000);
    if (mode_ == OpenMode::ReadWrite) {
        db_->exec("PRAGMA journal_mode=WAL");
        db_->exec("PRAGMA synchronous=NORMAL");  // WAL: a process crash loses nothing committed
    }
    db_->exec("PRAGMA foreign_keys=ON");
    const int64_t version = db_->scalar("PRAGMA user_version");
    foundVersion_ = int(version);
    if (mode_ == OpenMode::ReadOnly) {
        if (version < kSchemaVersion)
            throw Error("run history '" + path_ + "' has schema version " + std::to_string(version)
                        + (readOnlyReason_.empty() ? std::string() : " and is read-only (" + readOnlyReason_ + ")")
                        + "; open it once for writing (e.g. nnstudio-cli train --store) to upgrade it to version "
                        + std::to_string(kSchemaVersion));
    } else if (version == 0) {
        initialise();
    } else if (version < kSchemaVersion) {
        migrate(int(version));
    }
    sweepInterrupted();
}

RunStore::~RunStore() = default;

void RunStore::validate()
{
    std::error_code ec;
    const bool exists = fs::exists(path_, ec);
    if (exists && fs::is_directory(path_, ec))
        throw Error("run history '" + path_ + "' is a folder; give a file inside it, e.g. '"
                    + (fs::path(path_) / "runs.sqlite").string() + "'");
    if (!exists) {
        if (mode_ == OpenMode::ReadOnly)
            throw Error("no run history at '" + path_ + "' (create one with nnstudio-cli train --store " + path_ + ")");
        const fs::path parent = fs::path(path_).parent_path();
        if (!parent.empty() && !fs::exists(parent, ec)) {
            fs::create_directories(parent, ec);
            if (ec) throw Error("cannot create the folder '" + parent.string() + "' for run history '" + path_
                                + "': " + ec.message());
        }
        return;
    }
    const uintmax_t size = fs::file_size(path_, ec);
    if (ec) throw Error("cannot read run history '" + path_ + "': " + ec.message());
    // A history that cannot be written (read-only file, folder or mount) is still
    // a history: open it read-only, so its runs can be viewed, and say so. (Root
    // passes access() on a chmod'd file; a read-only mount stops root too: EROFS.)
    const fs::path folder = fs::path(path_).parent_path().empty() ? fs::path(".") : fs::path(path_).parent_path();
    const bool fileWritable = ::access(path_.c_str(), W_OK) == 0;
    const int fileErrno = errno;
    const bool folderWritable = ::access(folder.c_str(), W_OK) == 0;
    const int folderErrno = errno;
    if (mode_ == OpenMode::ReadWrite && (!fileWritable || !folderWritable)) {
        mode_ = OpenMode::ReadOnly;
        const int why = !fileWritable ? fileErrno : folderErrno;
        readOnlyReason_ = why == EROFS ? std::string("it is on a read-only file system")
                          : !fileWritable ? std::string("the file is not writable")
                                          : "its folder '" + folder.string() + "' is not writable";
    }
    if (size == 0) {
        if (mode_ == OpenMode::ReadOnly && !readOnlyReason_.empty())
            throw Error("run history '" + path_ + "' is an empty file that cannot be written (" + readOnlyReason_
                        + "); choose another file (--store FILE, or File > Open history...)");
        return;  // an empty file (mktemp) becomes a new history
    }
    // Look inside through a read-only SQLite connection: nothing is written (not
    // even the WAL switch) until the file is known to be ours. Only SQLite opens
    // the file: another descriptor closed in this process would drop the POSIX
    // locks of every SQLite connection to it (the app keeps one open).
    int64_t appId = 0, version = 0;
    std::vector<std::string> tables;
    std::string check = "ok", failure;
    int code = 0;
    // Without write access to the folder SQLite cannot create the -shm file a WAL
    // database needs even for reading ("unable to open database file"): that is
    // not damage; open the file as immutable instead (nobody can change it there).
    for (int attempt = 0; attempt < 2; ++attempt) {
        failure.clear();
        code = 0;
        tables.clear();
        try {
            sql::Db probe(path_, SQLITE_OPEN_READONLY, immutable_);
            sqlite3_busy_timeout(probe.handle(), 10000);
            try {
                appId = probe.scalar("PRAGMA application_id");
                version = probe.scalar("PRAGMA user_version");
                sql::Stmt t(probe, "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name");
                while (t.step()) tables.push_back(t.text(0));
                if (appId == kApplicationId && version <= kSchemaVersion && mode_ == OpenMode::ReadWrite
                    && size <= kQuickCheckLimit) {
                    sql::Stmt q(probe, "PRAGMA quick_check(5)");
                    check.clear();
                    while (q.step()) check += (check.empty() ? "" : "; ") + q.text(0);
                }
            } catch (const Error& e) {
                code = probe.lastCode();
                failure = e.what();
            }
        } catch (const Error& e) {
            failure = e.what();
        }
        const bool cannotOpen = code == SQLITE_CANTOPEN || code == SQLITE_READONLY || code == SQLITE_PERM;
        if (failure.empty() || immutable_ || folderWritable || !cannotOpen) break;
        immutable_ = true;
        if (readOnlyReason_.empty())
            readOnlyReason_ = folderErrno == EROFS ? std::string("it is on a read-only file system")
                                                   : "its folder '" + folder.string() + "' is not writable";
    }
    if (!failure.empty()) {
        if (code == SQLITE_NOTADB) throw Error(notOurs(path_, "it is not an SQLite database"));
        const auto colon = failure.rfind(": ");
        throw Error(damaged(path_, colon == std::string::npos ? failure : failure.substr(colon + 2)));
    }
    if (appId != kApplicationId) {
        if (appId == 0 && tables.empty() && version == 0) return;  // an empty SQLite file
        std::string list;
        for (size_t i = 0; i < tables.size() && i < 5; ++i) list += (i ? ", " : "") + tables[i];
        if (tables.size() > 5) list += ", ...";
        throw Error(notOurs(path_, tables.empty() ? "another program's SQLite database"
                                                  : "another program's SQLite database, with tables " + list));
    }
    if (version > kSchemaVersion)
        throw Error("run history '" + path_ + "' has schema version " + std::to_string(version)
                    + ", newer than this build understands (" + std::to_string(kSchemaVersion)
                    + "); it was left untouched. Open it with a newer NN Studio, or use another file");
    if (version < 1) throw Error(damaged(path_, "it has no schema version"));
    if (check != "ok") throw Error(damaged(path_, check));
}

void RunStore::initialise()
{
    sql::Transaction tx(*db_);
    // Another process may have created it meanwhile: the version is read inside the lock.
    const int64_t version = db_->scalar("PRAGMA user_version");
    if (version == 0) {
        db_->exec(schema::kV1);
        db_->exec("PRAGMA application_id=" + std::to_string(kApplicationId));
        db_->exec("PRAGMA user_version=1");
    }
    tx.commit();
    migrate(1);  // nothing to do when another process got there first
}

void RunStore::migrate(int from)
{
    if (schema::migrations().back().to != kSchemaVersion)
        throw Error("this build's run store schema is inconsistent: its last migration is not version "
                    + std::to_string(kSchemaVersion));
    sql::Transaction tx(*db_);
    int version = int(db_->scalar("PRAGMA user_version"));
    for (const auto& m : schema::migrations()) {
        if (m.to <= version) continue;
        db_->exec(m.sql);
        db_->exec("PRAGMA user_version=" + std::to_string(m.to));
        version = m.to;
    }
    tx.commit();
}

std::string RunStore::processToken()
{
    unsigned long long start = 0;
    char state = 0;
    procStat(long(getpid()), start, state);
    return hostName() + ":" + std::to_string(getpid()) + ":" + std::to_string(start);
}

bool RunStore::processAlive(const std::string& token)
{
    const auto a = token.find(':'), b = token.rfind(':');
    if (token.empty() || a == std::string::npos || a == b) return false;  // no writer recorded
    if (token.substr(0, a) != hostName()) return true;                       // another machine's: cannot tell
    const long pid = std::strtol(token.c_str() + a + 1, nullptr, 10);
    const unsigned long long recorded = std::strtoull(token.c_str() + b + 1, nullptr, 10);
    unsigned long long start = 0;
    char state = 0;
    unsigned long long selfStart = 0;
    char selfState = 0;
    if (!procStat(long(getpid()), selfStart, selfState))  // no /proc: ask the kernel
        return pid > 0 && (kill(pid_t(pid), 0) == 0 || errno == EPERM);
    if (!procStat(pid, start, state)) return false;
    return start == recorded && state != 'Z' && state != 'X';
}

void RunStore::sweepInterrupted()
{
    std::vector<int64_t> dead;
    {
        sql::Stmt s(*db_, "SELECT id, owner FROM runs WHERE status = 'running'");
        while (s.step())
            if (!processAlive(s.text(1))) dead.push_back(s.integer(0));
    }
    if (dead.empty()) return;
    interrupted_ = dead;
    if (mode_ == OpenMode::ReadOnly) return;  // reported as interrupted by patchStatus()
    sql::Transaction tx(*db_);
    sql::Stmt u(*db_, "UPDATE runs SET status = 'interrupted', message = ?2, owner = '', "
                      "ended = COALESCE(ended, ?3) WHERE id = ?1 AND status = 'running'");
    for (int64_t id : dead) u.bind(1, id).bind(2, kInterruptedMessage).bind(3, now()).run();
    tx.commit();
}

void RunStore::patchStatus(RunInfo& r) const
{
    if (r.status == "running" && std::find(interrupted_.begin(), interrupted_.end(), r.id) != interrupted_.end()) {
        r.status = "interrupted";
        r.message = kInterruptedMessage;
    }
}

// ---------------------------------------------------------------------------------
// Writing

int64_t RunStore::createRun(const NewRun& r)
{
    requireWritable();
    sql::Transaction tx(*db_);
    if (r.parentId) {
        sql::Stmt p(*db_, "SELECT 1 FROM runs WHERE id = ?1");
        if (!p.bind(1, r.parentId).step())
            throw Error("run history '" + path_ + "' has no run " + std::to_string(r.parentId) + " to branch from");
    }
    sql::Stmt s(*db_, "INSERT INTO runs(name, created, model_name, spec, hyper, dataset, dataset_params, seed, device, "
                      "status, parent_id, parent_step, notes, owner) "
                      "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'running', ?10, ?11, ?12, ?13)");
    const std::string model = r.spec.is_object() && r.spec.contains("name") && r.spec["name"].is_string()
                                  ? r.spec["name"].get<std::string>()
                                  : std::string();
    s.bind(1, clean(r.name)).bind(2, now()).bind(3, clean(model)).bind(4, dumpJson(r.spec)).bind(5, dumpJson(r.hyper));
    s.bind(6, clean(r.dataset)).bind(7, dumpJson(r.datasetParams)).bind(8, int64_t(r.seed)).bind(9, clean(r.device));
    if (r.parentId) {
        s.bind(10, r.parentId).bind(11, r.parentStep);
    } else {
        s.bindNull(10).bindNull(11);
    }
    s.bind(12, clean(r.notes)).bind(13, processToken());
    s.run();
    const int64_t id = db_->lastInsertId();
    tx.commit();
    return id;
}

void RunStore::requireWritable() const
{
    if (!readOnly()) return;
    if (readOnlyReason_.empty()) throw Error("run history '" + path_ + "' is open read-only");
    throw Error("run history '" + path_ + "' is read-only (" + readOnlyReason_
                + "): its runs can be viewed, not recorded; record into another file (--store FILE, or File > "
                  "Open history...)");
}

void RunStore::finishRun(int64_t id, const std::string& status, const std::string& message, double seconds)
{
    requireWritable();
    if (!knownStatus(status) || status == "running")
        throw Error("'" + status + "' is not a final run status (completed, early_stopped, cancelled, diverged, interrupted)");
    sql::Transaction tx(*db_);
    sql::Stmt s(*db_, "UPDATE runs SET status = ?2, message = ?3, ended = ?4, owner = '', "
                      "seconds = CASE WHEN ?5 IS NULL THEN seconds ELSE ?5 END WHERE id = ?1");
    s.bind(1, id).bind(2, status).bind(3, clean(message)).bind(4, now()).bind(5, seconds >= 0 ? seconds : kNaN).run();
    tx.commit();
}

void RunStore::setNotes(int64_t id, const std::string& notes)
{
    requireWritable();
    sql::Transaction tx(*db_);
    sql::Stmt(*db_, "UPDATE runs SET notes = ?2 WHERE id = ?1").bind(1, id).bind(2, clean(notes)).run();
    tx.commit();
}

void RunStore::rename(int64_t id, const std::string& name)
{
    requireWritable();
    sql::Transaction tx(*db_);
    sql::Stmt(*db_, "UPDATE runs SET name = ?2 WHERE id = ?1").bind(1, id).bind(2, clean(name)).run();
    tx.commit();
}

void RunStore::deleteRun(int64_t id)
{
    requireWritable();
    sql::Transaction tx(*db_);
    sql::Stmt(*db_, "DELETE FROM runs WHERE id = ?1").bind(1, id).run();
    tx.commit();
}

void RunStore::addMetrics(int64_t id, const std::vector<StepMetrics>& steps, const std::vector<EpochMetrics>& epochs,
                          double seconds)
{
    if (steps.empty() && epochs.empty()) return;
    requireWritable();
    sql::Transaction tx(*db_);
    int64_t lastStep = 0;
    int lastEpoch = 0;
    double best = kNaN;
    if (!steps.empty()) {
        // Many rows per statement: a third of the per-row cost of one-row inserts.
        constexpr size_t kRows = 64;
        std::string many = "INSERT OR REPLACE INTO step_metrics(run_id, step, epoch, loss, lr) VALUES";
        for (size_t i = 0; i < kRows; ++i) many += i ? ",(?,?,?,?,?)" : "(?,?,?,?,?)";
        sql::Stmt block(*db_, many);
        sql::Stmt one(*db_, "INSERT OR REPLACE INTO step_metrics(run_id, step, epoch, loss, lr) VALUES(?1, ?2, ?3, ?4, ?5)");
        size_t i = 0;
        for (; i + kRows <= steps.size(); i += kRows) {
            for (size_t k = 0; k < kRows; ++k) {
                const auto& m = steps[i + k];
                const int b = int(k) * 5;
                block.bind(b + 1, id).bind(b + 2, m.step).bind(b + 3, m.epoch).bind(b + 4, m.loss).bind(b + 5, double(m.lr));
            }
            block.run();
        }
        for (; i < steps.size(); ++i) {
            const auto& m = steps[i];
            one.bind(1, id).bind(2, m.step).bind(3, m.epoch).bind(4, m.loss).bind(5, double(m.lr)).run();
        }
        for (const auto& m : steps) lastStep = std::max(lastStep, m.step);
    }
    if (!epochs.empty()) {
        sql::Stmt e(*db_, "INSERT OR REPLACE INTO epoch_metrics(run_id, epoch, step, train_loss, train_accuracy, "
                          "val_loss, val_accuracy, lr, seconds) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
        for (const auto& m : epochs) {
            e.bind(1, id).bind(2, m.epoch).bind(3, m.steps).bind(4, m.trainLoss).bind(5, m.trainAccuracy);
            e.bind(6, m.valLoss).bind(7, m.valAccuracy).bind(8, double(m.lr)).bind(9, m.seconds).run();
            lastStep = std::max(lastStep, m.steps);
            lastEpoch = std::max(lastEpoch, m.epoch);
            const double acc = std::isfinite(m.valAccuracy) ? m.valAccuracy : m.trainAccuracy;
            if (std::isfinite(acc) && !(acc <= best)) best = acc;
            if (seconds < 0) seconds = m.seconds;
        }
        if (seconds < 0) seconds = epochs.back().seconds;
    }
    sql::Stmt u(*db_, "UPDATE runs SET epochs = MAX(epochs, ?2), steps = MAX(steps, ?3), "
                      "best_accuracy = CASE WHEN ?4 IS NULL THEN best_accuracy "
                      "  WHEN best_accuracy IS NULL OR ?4 > best_accuracy THEN ?4 ELSE best_accuracy END, "
                      "seconds = CASE WHEN ?5 IS NULL THEN seconds ELSE ?5 END WHERE id = ?1");
    u.bind(1, id).bind(2, lastEpoch).bind(3, lastStep).bind(4, best).bind(5, seconds >= 0 ? seconds : kNaN).run();
    tx.commit();
}

void RunStore::addSnapshot(int64_t id, const TrainerCheckpoint& c)
{
    requireWritable();
    const auto bytes = encodeCheckpoint(c);
    sql::Transaction tx(*db_);
    sql::Stmt s(*db_, "INSERT OR REPLACE INTO snapshots(run_id, step, epoch, has_optimizer, data) VALUES(?1, ?2, ?3, ?4, ?5)");
    s.bind(1, id).bind(2, c.steps).bind(3, c.epochs).bind(4, int64_t(!c.optimizer.empty()));
    s.bindBlob(5, bytes.data(), bytes.size()).run();
    tx.commit();
}

void RunStore::addTimings(int64_t id, const std::vector<Timing>& timings)
{
    requireWritable();
    sql::Transaction tx(*db_);
    sql::Stmt s(*db_, "INSERT OR REPLACE INTO timings(run_id, name, seconds, calls, flops, bytes) VALUES(?1, ?2, ?3, ?4, ?5, ?6)");
    for (const auto& t : timings)
        s.bind(1, id).bind(2, t.name).bind(3, t.seconds).bind(4, t.calls).bind(5, t.flops).bind(6, t.bytes).run();
    tx.commit();
}

// ---------------------------------------------------------------------------------
// Reading

namespace {
const char* kSummaryColumns = "id, name, created, ended, model_name, dataset, device, status, message, notes, seed, "
                              "parent_id, parent_step, epochs, steps, best_accuracy, seconds";

RunInfo summary(const sql::Stmt& s)
{
    RunInfo r;
    r.id = s.integer(0);
    // clean(): a store written before text was checked may hold invalid UTF-8.
    r.name = clean(s.text(1));
    r.created = s.real(2);
    r.ended = s.isNull(3) ? 0 : s.real(3);
    r.modelName = clean(s.text(4));
    r.dataset = clean(s.text(5));
    r.device = clean(s.text(6));
    r.status = s.text(7);
    r.message = clean(s.text(8));
    r.notes = clean(s.text(9));
    r.seed = uint64_t(s.integer(10));
    r.parentId = s.isNull(11) ? 0 : s.integer(11);
    r.parentStep = s.isNull(12) ? -1 : s.integer(12);
    r.epochs = int(s.integer(13));
    r.steps = s.integer(14);
    r.bestAccuracy = s.real(15);
    r.seconds = s.real(16);
    if (!std::isfinite(r.seconds)) r.seconds = 0;
    return r;
}

nlohmann::json parseJson(const std::string& text)
{
    auto j = nlohmann::json::parse(utf8::decode(text), nullptr, false);
    return j.is_discarded() ? nlohmann::json::object() : j;
}
} // namespace

std::vector<RunInfo> RunStore::list() const
{
    std::vector<RunInfo> out;
    sql::Stmt s(*db_, std::string("SELECT ") + kSummaryColumns + " FROM runs ORDER BY created DESC, id DESC");
    while (s.step()) {
        out.push_back(summary(s));
        patchStatus(out.back());
    }
    return out;
}

std::optional<RunInfo> RunStore::find(int64_t id) const
{
    sql::Stmt s(*db_, std::string("SELECT ") + kSummaryColumns + ", spec, hyper, dataset_params FROM runs WHERE id = ?1");
    if (!s.bind(1, id).step()) return std::nullopt;
    RunInfo r = summary(s);
    r.spec = parseJson(s.text(17));
    r.hyper = parseJson(s.text(18));
    r.datasetParams = parseJson(s.text(19));
    patchStatus(r);
    return r;
}

RunInfo RunStore::run(int64_t id) const
{
    auto r = find(id);
    if (!r)
        throw Error("run history '" + path_ + "' has no run " + std::to_string(id)
                    + " (nnstudio-cli runs list --store " + path_ + " shows them)");
    return *r;
}

int64_t RunStore::resolve(const std::string& ref) const
{
    if (ref.empty()) throw Error("no run given (a run id or name; nnstudio-cli runs list --store " + path_ + ")");
    if (std::all_of(ref.begin(), ref.end(), [](char c) { return c >= '0' && c <= '9'; }) && ref.size() < 18) {
        const int64_t id = std::stoll(ref);
        if (find(id)) return id;
    }
    sql::Stmt s(*db_, "SELECT id FROM runs WHERE name = ?1 ORDER BY id");
    s.bind(1, ref);
    std::vector<int64_t> ids;
    while (s.step()) ids.push_back(s.integer(0));
    if (ids.size() == 1) return ids[0];
    if (ids.empty())
        throw Error("run history '" + path_ + "' has no run '" + ref + "' (nnstudio-cli runs list --store " + path_
                    + " shows them)");
    std::string list;
    for (auto id : ids) list += (list.empty() ? "" : ", ") + std::to_string(id);
    throw Error("several runs in '" + path_ + "' are named '" + ref + "' (ids " + list + "); give the id");
}

std::vector<EpochMetrics> RunStore::epochs(int64_t id) const
{
    std::vector<EpochMetrics> out;
    sql::Stmt s(*db_, "SELECT epoch, step, train_loss, train_accuracy, val_loss, val_accuracy, lr, seconds "
                      "FROM epoch_metrics WHERE run_id = ?1 ORDER BY epoch");
    s.bind(1, id);
    while (s.step()) {
        EpochMetrics m;
        m.epoch = int(s.integer(0));
        m.steps = s.integer(1);
        m.trainLoss = s.real(2);
        m.trainAccuracy = s.real(3);
        m.valLoss = s.real(4);
        m.valAccuracy = s.real(5);
        m.lr = float(s.real(6));
        m.seconds = s.real(7);
        out.push_back(m);
    }
    return out;
}

std::vector<StepMetrics> RunStore::steps(int64_t id) const
{
    std::vector<StepMetrics> out;
    sql::Stmt s(*db_, "SELECT step, epoch, loss, lr FROM step_metrics WHERE run_id = ?1 ORDER BY step");
    s.bind(1, id);
    while (s.step()) out.push_back({s.integer(0), int(s.integer(1)), s.real(2), float(s.real(3))});
    return out;
}

std::vector<SnapshotInfo> RunStore::snapshots(int64_t id) const
{
    std::vector<SnapshotInfo> out;
    sql::Stmt s(*db_, "SELECT step, epoch, length(data), has_optimizer FROM snapshots WHERE run_id = ?1 ORDER BY step");
    s.bind(1, id);
    while (s.step()) out.push_back({s.integer(0), int(s.integer(1)), s.integer(2), s.integer(3) != 0});
    return out;
}

TrainerCheckpoint RunStore::loadSnapshot(int64_t id, int64_t step) const
{
    sql::Stmt s(*db_, "SELECT data FROM snapshots WHERE run_id = ?1 AND step = ?2");
    if (!s.bind(1, id).bind(2, step).step()) {
        std::string steps;
        for (const auto& i : snapshots(id)) steps += (steps.empty() ? "" : ", ") + std::to_string(i.step);
        throw Error("run " + std::to_string(id) + " in '" + path_ + "' has no snapshot at step " + std::to_string(step)
                    + (steps.empty() ? std::string(" (it has none)") : " (it has snapshots at steps " + steps + ")"));
    }
    return decodeCheckpoint(s.blob(0), "the snapshot of run " + std::to_string(id) + " at step " + std::to_string(step));
}

std::vector<Timing> RunStore::timings(int64_t id) const
{
    std::vector<Timing> out;
    sql::Stmt s(*db_, "SELECT name, seconds, calls, flops, bytes FROM timings WHERE run_id = ?1 ORDER BY name");
    s.bind(1, id);
    while (s.step()) out.push_back({clean(s.text(0)), s.real(1), s.integer(2), s.real(3), s.real(4)});
    return out;
}

std::vector<int64_t> RunStore::children(int64_t id) const
{
    std::vector<int64_t> out;
    sql::Stmt s(*db_, "SELECT id FROM runs WHERE parent_id = ?1 ORDER BY id");
    s.bind(1, id);
    while (s.step()) out.push_back(s.integer(0));
    return out;
}

std::string RunStore::integrityCheck() const
{
    sql::Stmt s(*db_, "PRAGMA integrity_check");
    std::string out;
    while (s.step()) out += (out.empty() ? "" : "; ") + s.text(0);
    return out;
}

int64_t RunStore::runCount() const { return db_->scalar("SELECT COUNT(*) FROM runs"); }

std::string defaultStorePath()
{
    const char* xdg = std::getenv("XDG_DATA_HOME");
    const char* home = std::getenv("HOME");
    const std::string base = xdg && *xdg ? std::string(xdg) : std::string(home && *home ? home : ".") + "/.local/share";
    return base + "/NN Studio/NN Studio/runs.sqlite";
}

// ---------------------------------------------------------------------------------
// Snapshot blobs and CSV

std::vector<unsigned char> encodeCheckpoint(const TrainerCheckpoint& c)
{
    // Version 2 adds early stopping's state after the tensors; a checkpoint without
    // it is still written as version 1.
    const EarlyStopState& es = c.earlyStop;
    const std::vector<Tensor>* groups[] = {&c.params, &c.buffers, &c.optimizer, &es.params, &es.buffers};
    const int groupCount = es.tracking ? 5 : 3;
    std::vector<unsigned char> out;
    size_t floats = 0;
    for (int g = 0; g < groupCount; ++g)
        for (const auto& t : *groups[g]) floats += size_t(t.numel());
    out.reserve(160 + floats * 4);
    out.insert(out.end(), {'N', 'N', 'C', 'K'});
    put<uint32_t>(out, es.tracking ? 2 : 1);
    put<int32_t>(out, c.epochs);
    put<int64_t>(out, c.steps);
    auto tensors = [&](int from, int to) {
        for (int g = from; g < to; ++g) put<uint32_t>(out, uint32_t(groups[g]->size()));
        for (int g = from; g < to; ++g)
            for (const auto& t : *groups[g]) {
                put<uint32_t>(out, uint32_t(t.shape().rank()));
                for (int d = 0; d < t.shape().rank(); ++d) put<int64_t>(out, t.shape()[d]);
                const auto* p = reinterpret_cast<const unsigned char*>(t.data());
                if (t.numel()) out.insert(out.end(), p, p + size_t(t.numel()) * sizeof(float));
            }
    };
    tensors(0, 3);
    if (es.tracking) {
        const EpochMetrics& m = es.bestMetrics;
        put<double>(out, es.bestValLoss);
        put<int32_t>(out, es.bestEpoch);
        put<int32_t>(out, es.sinceBest);
        put<int32_t>(out, m.epoch);
        for (double v : {m.trainLoss, m.trainAccuracy, m.valLoss, m.valAccuracy}) put<double>(out, v);
        put<float>(out, m.lr);
        put<int64_t>(out, m.steps);
        put<double>(out, m.seconds);
        tensors(3, 5);
    }
    return out;
}

TrainerCheckpoint decodeCheckpoint(const std::vector<unsigned char>& bytes, const std::string& what)
{
    size_t pos = 0;
    auto bad = [&](const std::string& why) { return Error(what + " is damaged: " + why); };
    auto get = [&]<class T>(T& v) {
        if (bytes.size() - pos < sizeof v) throw bad("it ends after " + std::to_string(bytes.size()) + " bytes");
        std::memcpy(&v, bytes.data() + pos, sizeof v);
        pos += sizeof v;
    };
    if (bytes.size() < 4 || std::memcmp(bytes.data(), "NNCK", 4) != 0) throw bad("it is not a weight snapshot");
    pos = 4;
    uint32_t version = 0;
    get(version);
    if (version != 1 && version != 2) throw bad("unknown snapshot version " + std::to_string(version));
    TrainerCheckpoint c;
    get(c.epochs);
    get(c.steps);
    EarlyStopState& es = c.earlyStop;
    std::vector<Tensor>* groups[] = {&c.params, &c.buffers, &c.optimizer, &es.params, &es.buffers};
    auto tensors = [&](int from, int to) {
        uint32_t counts[5] = {};
        for (int g = from; g < to; ++g) get(counts[g]);
        for (int g = from; g < to; ++g) {
            if (counts[g] > 1000000) throw bad("implausible tensor count");
            for (uint32_t i = 0; i < counts[g]; ++i) {
                uint32_t rank = 0;
                get(rank);
                if (rank > uint32_t(Shape::kMaxRank)) throw bad("a tensor of rank " + std::to_string(rank));
                std::vector<int64_t> dims(rank);
                int64_t numel = 1;
                for (auto& d : dims) {
                    get(d);
                    if (d < 0 || d > (int64_t(1) << 40)) throw bad("a negative or huge dimension");
                    numel *= d;
                }
                if (uint64_t(numel) * 4 > bytes.size() - pos) throw bad("a tensor runs past the end");
                Tensor t{Shape(dims)};
                if (numel) std::memcpy(t.data(), bytes.data() + pos, size_t(numel) * 4);
                pos += size_t(numel) * 4;
                groups[g]->push_back(std::move(t));
            }
        }
    };
    tensors(0, 3);
    if (version == 2) {
        es.tracking = true;
        EpochMetrics& m = es.bestMetrics;
        get(es.bestValLoss);
        get(es.bestEpoch);
        get(es.sinceBest);
        get(m.epoch);
        for (double* v : {&m.trainLoss, &m.trainAccuracy, &m.valLoss, &m.valAccuracy}) get(*v);
        get(m.lr);
        get(m.steps);
        get(m.seconds);
        tensors(3, 5);
    }
    if (pos != bytes.size()) throw bad(std::to_string(bytes.size() - pos) + " stray bytes at the end");
    return c;
}

std::string epochsCsv(const std::vector<EpochMetrics>& epochs)
{
    std::string out = "epoch,step,train_loss,train_accuracy,val_loss,val_accuracy,lr,seconds\n";
    for (const auto& m : epochs)
        out += std::to_string(m.epoch) + ',' + std::to_string(m.steps) + ',' + fmt(m.trainLoss) + ','
               + fmt(m.trainAccuracy) + ',' + fmt(m.valLoss) + ',' + fmt(m.valAccuracy) + ',' + fmt(m.lr) + ','
               + fmt(m.seconds) + '\n';
    return out;
}

std::string stepsCsv(const std::vector<StepMetrics>& steps)
{
    std::string out = "step,epoch,loss,lr\n";
    for (const auto& m : steps)
        out += std::to_string(m.step) + ',' + std::to_string(m.epoch) + ',' + fmt(m.loss) + ',' + fmt(m.lr) + '\n';
    return out;
}

nlohmann::json hyperparametersJson(const TrainConfig& c)
{
    // The shortest decimal that reads back as the same float (%.7g stored
    // --lr 0.123456789 as 0.1234568, a different float: a branch trained at
    // another rate).
    auto tidy = [](float v) { return num::asTyped(v); };
    return {{"epochs", c.epochs},
            {"batch", c.batch},
            {"lr", tidy(c.lr)},
            {"optimizer", c.optimizer.kind},
            {"momentum", tidy(c.optimizer.momentum)},
            {"weight_decay", tidy(c.optimizer.weightDecay)},
            {"schedule", c.schedule.kind},
            {"patience", c.patience}};
}

} // namespace nn::store
