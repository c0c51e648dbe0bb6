// libFuzzer target: reading a run folder's files as `compare`, `report`, the
// results store and `train --resume` do, through the one loader
// (train::run_record_from_json, src/train/run_record.h). Each input is parsed
// as JSON and tried as summary.json, as config.json and, line by line, as
// metrics.jsonl. A file that is not a run's must end in trainbench::Error (a
// UsageError naming the file); any other exception, a crash or a sanitizer
// report is a finding. What loads must write back through the field tables
// and load again to the same JSON.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "core/error.h"
#include "train/run_record.h"

namespace {

using trainbench::train::RunRecord;
using trainbench::train::run_record_from_json;

void try_as(const nlohmann::json& summary, const nlohmann::json& config, const std::vector<nlohmann::json>& metrics) {
  RunRecord record;
  try {
    record = run_record_from_json("fuzz", summary, config, metrics);
  } catch (const trainbench::Error&) {
    return;  // refused with a message: fine
  }
  // What loaded writes back and loads again to the same files.
  using Written = nlohmann::ordered_json;
  const Written summary_again = record.summary ? trainbench::train::to_json(*record.summary) : Written(nullptr);
  const Written config_again = record.config ? trainbench::train::to_json(*record.config) : Written(nullptr);
  std::vector<nlohmann::json> metrics_again;
  for (const auto& line : record.metrics.records) metrics_again.push_back(nlohmann::json::parse(trainbench::train::to_json(line).dump()));
  const RunRecord again = run_record_from_json("fuzz", nlohmann::json::parse(summary_again.dump()),
                                               nlohmann::json::parse(config_again.dump()), metrics_again);
  if (again.summary && trainbench::train::to_json(*again.summary) != summary_again) __builtin_trap();
  if (again.config && trainbench::train::to_json(*again.config) != config_again) __builtin_trap();
  if (again.metrics.records.size() != record.metrics.records.size()) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const nlohmann::json whole = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!whole.is_discarded()) {
    try_as(whole, nullptr, {});
    try_as(nullptr, whole, {});
  }
  std::vector<nlohmann::json> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    nlohmann::json record = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!record.is_discarded()) lines.push_back(std::move(record));
  }
  if (!lines.empty()) try_as(nullptr, nullptr, lines);
  return 0;
}
