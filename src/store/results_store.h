#pragma once
// The results store: every `bench` row and every `train` summary, in one
// SQLite database, so numbers from different days, drivers and machines can be
// listed and compared. WAL journaling and a busy timeout let several processes
// write at once without losing rows; the schema carries a version
// (PRAGMA user_version) and is migrated when an older file is opened.
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

struct sqlite3;

namespace trainbench::store {

// The default database: $TRAINBENCH_DB if set, else
// $XDG_DATA_HOME/trainbench/results.db (an absolute XDG_DATA_HOME), else
// ~/.local/share/trainbench/results.db. StoreError when none of them is set.
std::filesystem::path default_database_path();

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
  // Opens (creating the file and its folder when missing) and migrates.
  // Throws StoreError (core/error.h) with the path and SQLite's message, and
  // for a file of a newer schema version than this build knows (left untouched).
  static ResultsStore open(const std::filesystem::path& path);
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

  int schema_version() const;
  const std::filesystem::path& path() const { return path_; }

 private:
  ResultsStore(sqlite3* db, std::filesystem::path path);
  sqlite3* db_ = nullptr;
  std::filesystem::path path_;
};

// The columns a stored training run shows (stored_at, run_dir, model, device,
// amp, ..., train_images_per_sec, val_accuracy, ..., the provenance columns);
// the table also keeps summary_json and config_json whole.
const std::vector<core::Column>& train_columns();

}  // namespace trainbench::store
