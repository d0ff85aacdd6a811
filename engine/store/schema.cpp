// The run store's schema: the tables as version 1 created them and one migration
// per later version (RunStore::migrate runs them in one transaction with the
// version bumps).
#include "engine/store/schema.h"

#include "engine/store/run_store.h"

namespace nn::store::schema {

// The schema as version 1 of NN Studio wrote it. A new file is created at v1 and
// migrated like any old one, so every migration runs on every fresh file.
const char* const kV1 = R"sql(
CREATE TABLE runs(
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  created REAL NOT NULL,
  model_name TEXT NOT NULL DEFAULT '',
  spec TEXT NOT NULL,
  hyper TEXT NOT NULL,
  dataset TEXT NOT NULL,
  dataset_params TEXT NOT NULL DEFAULT '{}',
  seed INTEGER NOT NULL,
  device TEXT NOT NULL,
  status TEXT NOT NULL,
  message TEXT NOT NULL DEFAULT '',
  parent_id INTEGER REFERENCES runs(id) ON DELETE SET NULL,
  parent_step INTEGER);
CREATE INDEX runs_parent ON runs(parent_id);
CREATE TABLE epoch_metrics(
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  epoch INTEGER NOT NULL, step INTEGER NOT NULL,
  train_loss REAL, train_accuracy REAL, val_loss REAL, val_accuracy REAL, lr REAL, seconds REAL,
  PRIMARY KEY(run_id, epoch)) WITHOUT ROWID;
CREATE TABLE step_metrics(
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  step INTEGER NOT NULL, epoch INTEGER NOT NULL, loss REAL, lr REAL,
  PRIMARY KEY(run_id, step)) WITHOUT ROWID;
CREATE TABLE snapshots(
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  step INTEGER NOT NULL, epoch INTEGER NOT NULL, has_optimizer INTEGER NOT NULL, data BLOB NOT NULL,
  PRIMARY KEY(run_id, step));
CREATE TABLE timings(
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  name TEXT NOT NULL, seconds REAL NOT NULL, calls INTEGER NOT NULL DEFAULT 0,
  flops REAL NOT NULL DEFAULT 0, bytes REAL NOT NULL DEFAULT 0,
  PRIMARY KEY(run_id, name));
)sql";

namespace {

// v1 -> v2: notes; the writer's identity (to tell a crashed run from a live one);
// per-run summary columns so listing 10k runs reads one table; an index by date.
// v1 could not tell a dead writer from a live one, so its "running" runs are
// interrupted.
const char* const kMigrateV1toV2 = R"sql(
ALTER TABLE runs ADD COLUMN notes TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN owner TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN ended REAL;
ALTER TABLE runs ADD COLUMN epochs INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN steps INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN best_accuracy REAL;
ALTER TABLE runs ADD COLUMN seconds REAL NOT NULL DEFAULT 0;
UPDATE runs SET
  epochs = COALESCE((SELECT MAX(epoch) FROM epoch_metrics e WHERE e.run_id = runs.id), 0),
  steps = MAX(COALESCE((SELECT MAX(step) FROM step_metrics s WHERE s.run_id = runs.id), 0),
              COALESCE((SELECT MAX(step) FROM epoch_metrics e WHERE e.run_id = runs.id), 0)),
  best_accuracy = (SELECT MAX(COALESCE(val_accuracy, train_accuracy)) FROM epoch_metrics e WHERE e.run_id = runs.id),
  seconds = COALESCE((SELECT MAX(seconds) FROM epoch_metrics e WHERE e.run_id = runs.id), 0);
UPDATE runs SET status = 'interrupted',
  message = 'the run was still marked running when this file was upgraded; its writer had ended'
  WHERE status = 'running';
CREATE INDEX runs_created ON runs(created);
)sql";

// v2 -> v3: compression pipelines kept with their run (nnstudio-cli compress
// --store, the compression view): one row per stage, its whole report as JSON
// (compress::toJson) and the columns a listing needs.
const char* const kMigrateV2toV3 = R"sql(
CREATE TABLE compress_stages(
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  step INTEGER NOT NULL,
  kind TEXT NOT NULL,
  text TEXT NOT NULL,
  test_accuracy REAL,
  ratio REAL NOT NULL,
  bits INTEGER NOT NULL,
  record TEXT NOT NULL,
  PRIMARY KEY(run_id, step)) WITHOUT ROWID;
)sql";

} // namespace

const std::vector<Migration>& migrations()
{
    static const std::vector<Migration> all {{2, kMigrateV1toV2}, {3, kMigrateV2toV3}};
    return all;
}

} // namespace nn::store::schema
