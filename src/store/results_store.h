#pragma once
// The results store: every `bench` row and every `train` summary, in one
// database, so numbers from different days, drivers and machines can be
// listed and compared. The database is a SQLite file (the default, one per
// machine) or a PostgreSQL server (postgresql://..., one a team's machines
// all write to); the schema is defined once (results_store.cpp) and written
// in each one's dialect (store/sql_database.h). It carries a version and is
// migrated when an older database is opened. Several processes may write at
// once; none loses or duplicates a row.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "store/bench_row.h"
#include "core/table.h"
#include "telemetry/telemetry_sample.h"
#include "store/sql_database.h"


namespace trainbench::store {

// The default database: $TRAINBENCH_DB if set (a file or a postgresql:// URL), else
// $XDG_DATA_HOME/trainbench/results.db (an absolute XDG_DATA_HOME), else
// ~/.local/share/trainbench/results.db. StoreError when none of them is set.
std::filesystem::path default_database_path();

// Whether there is a store at this location to read: a file that exists, or
// any server URL (whether the server answers is for open() to say). Commands
// that only read check it first, so a mistyped --db never creates a file.
bool database_exists(const std::string& location);

// What `train` stores of a finished (or interrupted) run, from its run record
// (train/run_record.h). Both files are kept whole; the columns of
// train_columns() are copied out of the summary, whose keys they share, so
// that `results` can list and filter runs.
struct TrainRecord {
  std::string run_dir;                 // absolute path of the run folder
  nlohmann::ordered_json summary;      // summary.json as written
  nlohmann::ordered_json config;       // config.json as written
  core::Provenance provenance;
};

enum class ResultKind { kBench, kTrain };

// The schema version this build writes (older stores are migrated to it).
int newest_schema_version();
// The columns a kind stores, with their types: what export_rows gives and
// import_rows takes (the shown columns, then row_uid, and for a run also
// summary_json and config_json).
const std::vector<core::Column>& stored_columns(ResultKind kind);

struct ImportCounts {
  std::size_t inserted = 0;
  std::size_t already_present = 0;  // their row_uid was stored already
};

// A filter of `results --filter`: column OP value, OP one of = != < > <= >= ~
// (substring, any case). Values are bound as the column's type, so numbers
// compare as numbers; = and != treat a missing (NULL) value as a value.
struct Filter {
  std::string column;
  std::string op;
  std::string value;
};
// Parses "amp=bf16", "images_per_sec>100", "device_name~H100"; throws
// UsageError for a malformed one.
Filter parse_filter(const std::string& text);

class ResultsStore {
 public:
  // Opens a SQLite file (creating it and its folder when missing) or
  // connects to a postgresql:// URL, and migrates. Throws StoreError
  // (core/error.h) with the location and the database's message (a server
  // that is down or refuses the credentials included), and for a database of
  // a newer schema version than this build knows (left untouched).
  static ResultsStore open(const std::string& location);
  ~ResultsStore();
  ResultsStore(ResultsStore&&) noexcept;
  ResultsStore& operator=(ResultsStore&&) noexcept;

  // Each inserts in its own transaction and returns the new row's id.
  std::int64_t insert_bench(const store::BenchRow& row);
  std::int64_t insert_train(const TrainRecord& record);
  // The telemetry samples of a stored run or bench row, all in one transaction.
  void insert_telemetry(ResultKind owner_kind, std::int64_t owner_id,
                        const std::vector<telemetry::TelemetrySample>& samples);
  // In the order they were stored; empty when the owner has none.
  std::vector<telemetry::TelemetrySample> telemetry_of(ResultKind owner_kind, std::int64_t owner_id) const;

  // Stored rows as a Table (an "id" column first, then the kind's columns:
  // bench_columns() or train_columns(), not the whole summary/config files),
  // oldest first; the filters' columns must exist (UsageError naming the
  // columns otherwise); limit 0 = all, else the newest `limit`.
  core::Table query(ResultKind kind, const std::vector<Filter>& filters, int limit = 0) const;

  // The row as inserted (fields an older file lacks keep their defaults);
  // nullopt when no row has this id. A train record whose provenance had no
  // device_name reads back with summary.json's.
  std::optional<store::BenchRow> bench_by_id(std::int64_t id) const;
  std::optional<TrainRecord> train_by_id(std::int64_t id) const;

  // Every stored column of each row the filters select, keyed by column name
  // (no "id"; NULL columns left out), oldest first: what a bundle carries.
  std::vector<nlohmann::ordered_json> export_rows(ResultKind kind, const std::vector<Filter>& filters) const;
  // All rows in one transaction (all or none). Each must carry a non-empty
  // string "row_uid"; a row whose row_uid is stored already is skipped. Keys
  // must be stored columns and values of the column's type (StoreError
  // otherwise, before anything is written).
  ImportCounts import_rows(ResultKind kind, const std::vector<nlohmann::ordered_json>& rows);

  int schema_version() const;
  // The file's path, or the server's URL without its password.
  const std::string& name() const;

 private:
  explicit ResultsStore(std::unique_ptr<SqlDatabase> db);
  // const methods read through it; only the connection's state changes.
  std::unique_ptr<SqlDatabase> db_;
};

// The columns a stored training run shows (stored_at, run_dir, model, device,
// amp, ..., train_images_per_sec, val_accuracy, ..., the provenance columns);
// the table also keeps summary_json and config_json whole.
const std::vector<core::Column>& train_columns();

}  // namespace trainbench::store
