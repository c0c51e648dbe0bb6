// libFuzzer target: a results bundle (`trainbench results import`, see
// src/store/result_bundle.h) is someone else's file. Each input goes to
// store::parse_result_bundle, with no store behind it, against a schema of the
// store's shape: the bench columns of store/bench_row.h and train columns of
// every type, each kind with row_uid, train with summary_json and config_json.
// A file that is not a bundle must end in trainbench::Error (a UsageError
// naming the problem); any other exception, a crash or a sanitizer report is
// a finding. What is accepted must hold its required columns, written back
// (serialize_result_bundle) parse again to the same rows, and be refused
// under limits smaller than it needs.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/provenance.h"
#include "store/bench_row.h"
#include "store/result_bundle.h"

namespace {

using trainbench::core::Column;
using trainbench::core::ColumnType;
using trainbench::store::BundleSchema;
using trainbench::store::ResultBundle;

constexpr int kFuzzSchemaVersion = 3;

const BundleSchema& fuzz_schema() {
  static const BundleSchema schema = [] {
    BundleSchema s;
    s.schema_version = kFuzzSchemaVersion;
    s.bench = trainbench::store::bench_columns();
    s.bench.push_back({"row_uid", ColumnType::kText, ""});
    s.train = {{"stored_at", ColumnType::kText, ""},      {"run_dir", ColumnType::kText, ""},
               {"model", ColumnType::kText, ""},          {"device", ColumnType::kText, ""},
               {"channels_last", ColumnType::kBool, ""},  {"image_size", ColumnType::kInteger, ""},
               {"val_accuracy", ColumnType::kReal, ""},   {"interrupted", ColumnType::kBool, ""}};
    for (const Column& column : trainbench::core::provenance_columns()) s.train.push_back(column);
    s.train.push_back({"row_uid", ColumnType::kText, ""});
    s.train.push_back({"summary_json", ColumnType::kText, ""});
    s.train.push_back({"config_json", ColumnType::kText, ""});
    return s;
  }();
  return schema;
}

void check_accepted(const ResultBundle& bundle) {
  for (const auto* rows : {&bundle.bench, &bundle.train}) {
    for (const auto& row : *rows) {
      if (!row.contains("row_uid") || !row["row_uid"].is_string() || row["row_uid"].get<std::string>().size() != 32) {
        __builtin_trap();
      }
      for (const auto& item : row.items()) {
        if (item.value().is_null()) __builtin_trap();  // nulls are dropped
      }
    }
  }
  // Written back, it parses to the same rows.
  const std::string text = trainbench::store::serialize_result_bundle(bundle);
  const ResultBundle again = trainbench::store::parse_result_bundle(text, fuzz_schema(), "fuzz again");
  if (again.bench != bundle.bench || again.train != bundle.train || again.schema_version != bundle.schema_version ||
      again.exported_at != bundle.exported_at || again.exported_from.hostname != bundle.exported_from.hostname) {
    __builtin_trap();
  }
  // A limit of one row fewer than a kind has refuses it.
  const std::size_t most = std::max(bundle.bench.size(), bundle.train.size());
  if (most > 0) {
    trainbench::store::BundleLimits tight;
    tight.max_rows = most - 1;
    try {
      trainbench::store::parse_result_bundle(text, fuzz_schema(), "fuzz tight", tight);
      __builtin_trap();
    } catch (const trainbench::UsageError&) {
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  ResultBundle bundle;
  try {
    bundle = trainbench::store::parse_result_bundle(text, fuzz_schema(), "fuzz.tbr.json");
  } catch (const trainbench::Error&) {
    return 0;  // refused with a message: fine
  }
  check_accepted(bundle);
  return 0;
}
