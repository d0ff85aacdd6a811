#pragma once
// The run store: every training run kept in one SQLite file (system libsqlite3).
//
// - WAL journal, foreign keys on, every write in its own transaction.
// - Schema versioned with PRAGMA user_version; older files are migrated on open
//   (v1 -> v2 adds notes, the writer's identity and per-run summary columns; v2 ->
//   v3 the compression stages). The schema and migrations are in schema.cpp; the
//   stage queries in run_store_stages.cpp.
// - PRAGMA application_id marks the file as ours. A file that is not SQLite, is
//   another program's database, is newer than this build or is damaged is refused
//   with a message naming the file and the fix, and is never written to.
// - A run whose process died (SIGKILL, crash, power cut) while it was "running" is
//   marked "interrupted" by the next process that opens the file: each running
//   run records its writer (host, pid, process start time), and a writer that no
//   longer exists cannot finish it.
//
// Metrics are logged through RunRecorder (run_recorder.h), whose writer thread
// batches them so training never waits on the disk. A RunStore object belongs to
// one thread; open one per thread (SQLite handles the rest).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/train/trainer.h"

namespace nn::store {

namespace sql {
class Db;
}

inline constexpr int kSchemaVersion = 3;
inline constexpr int32_t kApplicationId = 0x4E4E5354;  // "NNST"

// The statuses a run can have. "running" only while its writer lives.
inline constexpr const char* kStatuses[] = {"running", "completed", "early_stopped", "cancelled", "diverged",
                                            "interrupted"};

struct NewRun {
    std::string name;
    nlohmann::json spec = nlohmann::json::object();   // the model spec
    nlohmann::json hyper = nlohmann::json::object();  // epochs, batch, lr, optimizer, ...
    std::string dataset;                              // "spiral", "fashion-mnist", a .csv path
    nlohmann::json datasetParams = nlohmann::json::object();
    uint64_t seed = 1;
    std::string device = "cpu";
    int64_t parentId = 0;     // 0: not a branch
    int64_t parentStep = -1;  // the parent's step the branch started from
    std::string notes;
};

struct RunInfo {
    int64_t id = 0;
    std::string name;
    double created = 0;  // unix seconds
    double ended = 0;    // 0 while running
    std::string modelName, dataset, device, status, message, notes;
    uint64_t seed = 0;
    int64_t parentId = 0;
    int64_t parentStep = -1;
    int epochs = 0;       // epochs logged (a branch counts from its parent's step)
    int64_t steps = 0;    // last step logged
    double bestAccuracy;  // best validation accuracy (train accuracy without a validation set); NaN if none
    double seconds = 0;   // training time
    // Filled by run(), empty in list():
    nlohmann::json spec, hyper, datasetParams;
    RunInfo();
};

// One stage of a compression pipeline kept with its run: the columns a listing
// needs and the whole report (compress::toJson(StageResult), which
// compress::stageFromJson reads back).
struct StageRecord {
    int step = 0;
    std::string kind, text;
    double testAccuracy = 0, ratio = 1;
    int64_t bits = 0;  // in the stage's best format
    nlohmann::json record;
};

struct SnapshotInfo {
    int64_t step = 0;
    int epoch = 0;
    int64_t bytes = 0;
    bool hasOptimizer = false;
};

struct Timing {
    std::string name;  // "train", "op.matmul", ...
    double seconds = 0;
    int64_t calls = 0;
    double flops = 0, bytes = 0;
};

enum class OpenMode { ReadWrite, ReadOnly };

class RunStore {
public:
    // ReadWrite creates the file when missing (and its folder), migrates an older
    // schema and marks dead writers' runs interrupted. ReadOnly needs the file to
    // exist and writes nothing. Throws nn::Error (file named, fix given) otherwise.
    // A history that cannot be written (a read-only file, folder or mount) opens
    // read-only even when ReadWrite was asked for: its runs can be viewed, not
    // recorded; readOnlyReason() says why, and writing throws naming it.
    explicit RunStore(const std::string& path, OpenMode mode = OpenMode::ReadWrite);
    ~RunStore();
    RunStore(const RunStore&) = delete;
    RunStore& operator=(const RunStore&) = delete;

    const std::string& path() const { return path_; }
    bool readOnly() const { return mode_ == OpenMode::ReadOnly; }
    // Empty unless ReadWrite was asked for and the file could only be opened read-only.
    const std::string& readOnlyReason() const { return readOnlyReason_; }
    int foundVersion() const { return foundVersion_; }  // user_version on open (0: new file)
    std::vector<int64_t> interruptedOnOpen() const { return interrupted_; }

    // ---- writing (each call one transaction) --------------------------------------
    int64_t createRun(const NewRun& run);  // status "running", written by this process
    // Final status (one of kStatuses but "running"), its message, and training time.
    void finishRun(int64_t id, const std::string& status, const std::string& message, double seconds);
    void setNotes(int64_t id, const std::string& notes);
    void rename(int64_t id, const std::string& name);
    void deleteRun(int64_t id);  // its metrics and snapshots too; children keep no parent
    // Metrics in one transaction, and the run's summary columns with them.
    void addMetrics(int64_t id, const std::vector<StepMetrics>& steps, const std::vector<EpochMetrics>& epochs,
                    double seconds = -1);
    void addSnapshot(int64_t id, const TrainerCheckpoint& c);
    void addTimings(int64_t id, const std::vector<Timing>& timings);
    // A compression stage report (needs "step", "stage", "text", "test_accuracy",
    // "ratio", "bits" and "best_format"); a second one at the same step replaces it.
    // Throws nn::Error naming the missing key.
    void addStage(int64_t id, const nlohmann::json& stage);

    // ---- reading -------------------------------------------------------------------
    std::vector<RunInfo> list() const;  // summaries (no spec/hyper), newest first
    std::optional<RunInfo> find(int64_t id) const;
    RunInfo run(int64_t id) const;  // throws naming the id when there is none
    // A run by id ("12") or by name (must be unique); throws listing the choices.
    int64_t resolve(const std::string& ref) const;
    std::vector<EpochMetrics> epochs(int64_t id) const;
    std::vector<StepMetrics> steps(int64_t id) const;
    std::vector<SnapshotInfo> snapshots(int64_t id) const;
    TrainerCheckpoint loadSnapshot(int64_t id, int64_t step) const;  // throws listing the steps there are
    std::vector<Timing> timings(int64_t id) const;
    std::vector<int64_t> children(int64_t id) const;
    std::vector<StageRecord> stages(int64_t id) const;  // by step
    std::string integrityCheck() const;  // "ok" or SQLite's findings
    int64_t runCount() const;

    // Identity of this process as recorded in a running run ("host:pid:start").
    static std::string processToken();
    // False only when the token names a process on this host that is gone.
    static bool processAlive(const std::string& token);

private:
    void validate();
    void requireWritable() const;
    void initialise();
    void migrate(int from);
    void sweepInterrupted();
    void patchStatus(RunInfo& r) const;

    std::string path_;
    OpenMode mode_;
    std::string readOnlyReason_;
    bool immutable_ = false;  // opened with immutable=1 (the file's folder cannot hold a -shm file)
    int foundVersion_ = 0;
    std::unique_ptr<sql::Db> db_;
    std::vector<int64_t> interrupted_;  // read-only: dead writers' runs, reported as interrupted
};

// The default history, shared by the app and the CLI: the app's data folder
// ($XDG_DATA_HOME or ~/.local/share, then "NN Studio/NN Studio", as Qt's
// AppDataLocation names it) + "/runs.sqlite".
std::string defaultStorePath();

// The snapshot blob format (also used by tests): magic "NNCK", version, counts,
// then each tensor's rank, dims and float32 data, little-endian as in memory.
// Version 2 (written when the checkpoint holds early stopping's state) goes on with
// the best validation loss, best epoch, epochs since, the best epoch's metrics and
// its parameters and buffers (counts, then tensors as above).
std::vector<unsigned char> encodeCheckpoint(const TrainerCheckpoint& c);
// Throws nn::Error naming `what` when the bytes are truncated or not a snapshot.
TrainerCheckpoint decodeCheckpoint(const std::vector<unsigned char>& bytes, const std::string& what);

// A run's hyperparameters as the store keeps them (epochs, batch, lr, optimizer,
// momentum, weight_decay, schedule, patience): one form for the app and the CLI,
// floats written as typed (0.03, not 0.029999999329447746).
nlohmann::json hyperparametersJson(const TrainConfig& c);

// One CSV table of a run's metrics: epoch rows (epoch, step, train/val loss and
// accuracy, lr, seconds) — the same columns `runs export-csv` writes.
std::string epochsCsv(const std::vector<EpochMetrics>& epochs);
std::string stepsCsv(const std::vector<StepMetrics>& steps);

} // namespace nn::store
