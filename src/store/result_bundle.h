#pragma once
// A results bundle: bench rows and training runs taken out of one machine's
// results store, to be added to another's (`trainbench results export` and
// `results import`). One self-describing JSON file, `*.tbr.json`:
//
//   {"format": "trainbench-results-bundle", "bundle_version": 1,
//    "schema_version": N,                       // the store schema its rows were read under
//    "exported_at": "2026-12-09T10:14:14Z",      // UTC
//    "exported_from": {"hostname": ..., "trainbench_version": ..., "git_commit": ...},
//    "bench": [row, ...], "train": [row, ...]}
//
// Each row is an object of the stored columns of its kind (the store's
// stored_columns(): the listed columns, row_uid, and for train summary_json and
// config_json, the run's files as JSON text), no "id": ids are per store.
// NULL columns are left out. A bundle is someone else's file: the parser
// checks all of it before anything is written, and refuses rather than drops
// what it does not know. This file knows nothing of SQLite: the columns to
// check against are given (BundleSchema), so the fuzzer reads bundles alone.
#include <nlohmann/json.hpp>

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "core/table.h"

namespace trainbench::store {

inline constexpr const char* kBundleFormat = "trainbench-results-bundle";
inline constexpr int kBundleVersion = 1;  // of the file's layout; the rows' columns have schema_version

// What a bundle may hold, against files made to exhaust memory or the stack.
struct BundleLimits {
  std::size_t max_file_bytes = std::size_t(256) << 20;     // the whole file
  std::size_t max_text_bytes = std::size_t(64) << 10;      // a text column's value (model, note, error, ...)
  std::size_t max_document_bytes = std::size_t(4) << 20;  // summary_json and config_json, each
  std::size_t max_rows = 1'000'000;                         // per kind
  std::size_t max_list_values = 65'536;                     // a list column (per-repetition samples)
  int max_depth = 16;           // of the bundle's JSON (a valid one is 4 deep)
  int max_document_depth = 64;  // of summary_json and config_json
};

// The columns this build's store keeps for each kind (store::stored_columns)
// and the newest schema version it writes: a bundle of a newer schema, or with
// a column not listed here, is refused; older ones lack columns, which stay NULL.
struct BundleSchema {
  int schema_version = 0;
  std::vector<core::Column> bench;
  std::vector<core::Column> train;
};

struct BundleOrigin {
  std::string hostname;
  std::string trainbench_version;
  std::string git_commit;
};

struct ResultBundle {
  int schema_version = 0;
  std::string exported_at;  // UTC, "2026-12-09T10:14:14Z"
  BundleOrigin exported_from;
  std::vector<nlohmann::ordered_json> bench;  // rows as ResultsStore::export_rows gives them
  std::vector<nlohmann::ordered_json> train;
};

// The columns a row must have. Bench: row_uid, mode, model, device,
// images_per_sec (what `compare` pairs and measures). Train: row_uid, model,
// summary_json (`compare` and the report rebuild a run from it). The rest
// may be missing (NULL), as in a store of an older schema.
const std::vector<std::string>& required_bench_columns();
const std::vector<std::string>& required_train_columns();

// The file's text (two-space indented JSON).
std::string serialize_result_bundle(const ResultBundle& bundle);

// Checks everything and returns the bundle, its rows ready for
// ResultsStore::import_rows: only stored columns, nulls dropped, whole
// numbers of real columns as reals. Throws UsageError naming `name` and the
// problem (with the row, as bench[3], and the field) for: text that is not
// JSON or nests deeper than the limits; a format tag other than
// kBundleFormat; a bundle_version or schema_version newer than this build's
// (or not a positive whole number); a missing, unknown or mistyped top-level
// field; in a row a field that is not a stored column of its kind (an "id"
// too), a value of the wrong type, a missing required column, a row_uid that
// is not 32 lowercase hex digits or appears twice in the kind, a
// summary_json that is not a JSON object (config_json: object or null);
// anything over `limits`.
ResultBundle parse_result_bundle(const std::string& text, const BundleSchema& schema, const std::string& name,
                                 const BundleLimits& limits = {});

// Reads and parses a bundle file; refuses a file over limits.max_file_bytes
// before reading it whole (UsageError, as is a file that cannot be read).
ResultBundle read_result_bundle(const std::filesystem::path& path, const BundleSchema& schema,
                                const BundleLimits& limits = {});

}  // namespace trainbench::store
