#include "bench/compare_inputs.h"

#include <cctype>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>

#include "core/error.h"
#include "core/text.h"
#include "store/results_store.h"
#include "train/run_folder.h"
#include "train/run_record.h"

namespace trainbench::bench {
using store::BenchRow;
using store::bench_row_from_json;

namespace {

using core::percent;

namespace fs = std::filesystem;

// At least this many epochs before the first is set aside as warm-up and the
// rest give a spread (two steady epochs are the fewest a spread needs).
constexpr std::size_t kEpochsForSpread = 3;
// A run that waited this share of its training time for data was held back by
// the data path, not the device.
constexpr double kDataBoundShare = 0.10;

constexpr const char* kAcceptedForms =
    "a training run folder (with summary.json), a bench JSON or JSONL file (`trainbench bench -o json`), a stored "
    "bench row (ID or bench:ID) or a stored training run (train:ID)";

// Per-pass rates of the training passes or the evaluations, and their seconds together.
template <typename Pass>
std::vector<double> pass_rates(const std::vector<Pass>& passes, double* seconds) {
  std::vector<double> rates;
  for (const Pass& pass : passes) {
    *seconds += pass.seconds;
    if (pass.seconds > 0) rates.push_back(static_cast<double>(pass.images) / pass.seconds);
  }
  return rates;
}

// Steady state: the passes after the first when there are enough of them.
std::optional<Estimate> steady_rate(const std::vector<double>& rates, const std::string& what) {
  if (rates.size() >= kEpochsForSpread) {
    return estimate_from_samples({rates.begin() + 1, rates.end()}, what + " after the first");
  }
  if (rates.empty()) return std::nullopt;
  double mean = 0.0;
  for (double rate : rates) mean += rate;
  return exact_estimate(mean / static_cast<double>(rates.size()),
                        std::to_string(rates.size()) + " " + what + ": spread unknown (needs 3)");
}

std::string description_of(const train::RunSummary& s) {
  std::string text = s.model + " on " + s.device;
  if (!s.device_name.empty()) text += " (" + s.device_name + ")";
  text += ", amp " + s.amp + ", " + (s.channels_last ? "channels-last" : "contiguous") + ", " +
          std::to_string(s.image_size) + " px, batch " + std::to_string(s.batch_size) + ", " + std::to_string(s.epochs) +
          " epochs, " + std::to_string(s.train_images) + " train / " + std::to_string(s.val_images) + " val images";
  return text;
}

std::string bench_description(const std::vector<BenchRow>& rows) {
  std::set<std::string> devices;
  for (const BenchRow& row : rows) {
    const std::string& name = row.provenance.device_name;
    devices.insert(row.device + (name.empty() ? "" : " (" + name + ")"));
  }
  std::string text = std::to_string(rows.size()) + (rows.size() == 1 ? " bench row" : " bench rows") + " on " +
                     core::join({devices.begin(), devices.end()});
  if (!rows.empty() && !rows.front().provenance.libtorch_version.empty()) {
    text += ", LibTorch " + rows.front().provenance.libtorch_version;
  }
  return text;
}

BenchRow normalized(BenchRow row) {
  // Files written before the requested batch was recorded ran what they asked for.
  if (row.requested_batch_size == 0) row.requested_batch_size = row.batch_size;
  return row;
}

CompareInput bench_input(const std::string& label, std::vector<BenchRow> rows) {
  CompareInput input;
  input.kind = CompareInput::Kind::kBench;
  input.bench.label = label;
  for (BenchRow& row : rows) input.bench.rows.push_back(normalized(std::move(row)));
  input.bench.description = bench_description(input.bench.rows);
  return input;
}

CompareInput training_input(TrainingSide side) {
  CompareInput input;
  input.kind = CompareInput::Kind::kTrainingRun;
  input.training = std::move(side);
  return input;
}

bool all_digits(const std::string& text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

CompareInput stored_input(const std::string& argument, const std::string& kind, const std::string& id_text,
                          const fs::path& database) {
  if (!store::database_exists(database)) {
    throw UsageError("'" + argument + "' names a stored result, but there is no results database at " +
                     database.string() + " (pass --db FILE, or a run folder or bench file instead)");
  }
  if (id_text.size() > 18) throw UsageError("'" + argument + "': no stored result has so large an id");
  const std::int64_t id = std::stoll(id_text);
  const store::ResultsStore results = store::ResultsStore::open(database);
  if (kind == "train") {
    const std::optional<store::TrainRecord> record = results.train_by_id(id);
    if (!record) throw UsageError("no training run with id " + id_text + " in " + results.name());
    std::vector<nlohmann::json> metrics;
    if (!record->run_dir.empty()) metrics = train::read_metrics_log(fs::path(record->run_dir) / train::RunFiles::kMetrics);
    TrainingSide side =
        training_side_from_record(train::run_record_from_json("train:" + id_text, record->summary, record->config, metrics));
    if (metrics.empty()) side.notes.push_back("its run folder " + record->run_dir + " has no metrics.jsonl: spread unknown");
    return training_input(std::move(side));
  }
  const std::optional<BenchRow> row = results.bench_by_id(id);
  if (!row) {
    throw UsageError("no bench row with id " + id_text + " in " + results.name() +
                     " (use train:" + id_text + " for a stored training run)");
  }
  return bench_input("bench:" + id_text, {*row});
}

TrainingSide side_from_record(const train::RunRecord& record) {
  const train::RunSummary& summary = record.finished_summary();
  TrainingSide side;
  side.label = record.label;
  side.description = description_of(summary);
  side.epochs = summary.epochs;
  side.train_images = summary.train_images;
  side.val_images = summary.val_images;
  if (side.epochs > 0) {
    side.val_accuracy = summary.val_accuracy;
    side.val_loss = summary.val_loss;
  }

  double train_seconds = 0.0, eval_seconds = 0.0;
  std::vector<double> steady_rates = pass_rates(record.metrics.epochs(), &train_seconds);
  // An interrupted run's last epoch stopped part way: its rate is no pass's.
  if (summary.interrupted && !steady_rates.empty()) steady_rates.pop_back();
  const std::optional<Estimate> steady = steady_rate(steady_rates, "epochs");
  if (steady && steady->standard_error) {
    side.train_images_per_sec = *steady;
  } else {
    side.train_images_per_sec = exact_estimate(summary.train_images_per_sec,
                                               steady ? steady->spread_note : "no per-epoch records: spread unknown");
  }
  if (summary.first_epoch_images_per_sec > 0) {
    side.first_epoch_images_per_sec = exact_estimate(summary.first_epoch_images_per_sec, "one epoch");
  }
  side.eval_images_per_sec = steady_rate(pass_rates(record.metrics.evaluations(), &eval_seconds), "evaluations");
  if (train_seconds > 0) {
    side.passes_seconds = exact_estimate(train_seconds + eval_seconds, "training and evaluation passes");
  } else if (summary.wall_seconds > 0) {
    side.passes_seconds = exact_estimate(summary.wall_seconds, "wall time, setup included");
  }

  // The settings by their one names (same_work.h decides from them).
  side.settings = {{"model", summary.model},
                   {"image_size", summary.image_size},
                   {"batch_size", summary.batch_size},
                   {"epochs", summary.epochs},
                   {"amp", summary.amp},
                   {"channels_last", summary.channels_last},
                   {"augment", summary.augment},
                   {"train_images", summary.train_images},
                   {"val_images", summary.val_images},
                   // The path differs between machines; whether and what it started from does not.
                   {"pretrained", fs::path(summary.pretrained).filename().string()}};
  if (record.config) {
    const train::TrainConfig& config = *record.config;
    side.settings["lr"] = config.lr;
    side.settings["weight_decay"] = config.weight_decay;
    side.settings["adam_eps"] = config.adam_eps;
    side.settings["max_steps"] = config.max_steps;
    side.seed = config.seed;
  }

  if (summary.interrupted) side.notes.push_back("the run was interrupted: figures cover what ran");
  if (summary.data_wait_fraction > kDataBoundShare) {
    side.notes.push_back("waited for data " + percent(summary.data_wait_fraction) +
                         " of its training time: the data path, not the device, held it back");
  }
  return side;
}

}  // namespace

TrainingSide training_side_from_record(const train::RunRecord& record) {
  if (!record.summary) {
    throw UsageError(record.label + " is not a finished training run (no summary.json); compare takes " + kAcceptedForms);
  }
  return side_from_record(record);
}

TrainingSide load_run_folder(const fs::path& folder) { return training_side_from_record(train::load_run_record(folder)); }

std::vector<BenchRow> load_bench_file(const fs::path& file) {
  std::ifstream in(file);
  if (!in) throw UsageError("cannot read " + file.string());
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();

  std::vector<nlohmann::json> objects;
  const nlohmann::json whole = nlohmann::json::parse(text, nullptr, false);
  if (!whole.is_discarded() && whole.is_array()) {
    objects.assign(whole.begin(), whole.end());
  } else if (!whole.is_discarded() && whole.is_object()) {
    objects.push_back(whole);
  } else {
    std::istringstream lines(text);
    std::string line;
    for (int number = 1; std::getline(lines, line); ++number) {
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      nlohmann::json object = nlohmann::json::parse(line, nullptr, false);
      if (object.is_discarded() || !object.is_object()) {
        throw UsageError(file.string() + ":" + std::to_string(number) +
                         " is not a JSON object; compare reads bench rows as `trainbench bench -o json` or `-o jsonl` "
                         "writes them");
      }
      objects.push_back(std::move(object));
    }
  }
  std::vector<BenchRow> rows;
  for (const nlohmann::json& object : objects) {
    if (!object.is_object() || !object.contains("images_per_sec")) {
      throw UsageError(file.string() + " holds something other than bench rows (no images_per_sec); compare takes " +
                       kAcceptedForms);
    }
    try {
      rows.push_back(bench_row_from_json(object));
    } catch (const UsageError& e) {
      throw UsageError(file.string() + ": " + e.what());
    }
  }
  if (rows.empty()) throw UsageError(file.string() + " holds no bench rows");
  return rows;
}

CompareInput load_compare_input(const std::string& argument, const fs::path& database) {
  const fs::path path(argument);
  std::error_code error;
  if (fs::is_directory(path, error)) return training_input(load_run_folder(path));
  if (fs::is_regular_file(path, error)) {
    if (path.filename() == train::RunFiles::kSummary) {
      return training_input(load_run_folder(path.has_parent_path() ? path.parent_path() : fs::path(".")));
    }
    return bench_input(path.filename().string(), load_bench_file(path));
  }
  for (const char* kind : {"bench", "train"}) {
    const std::string prefix = std::string(kind) + ":";
    if (argument.rfind(prefix, 0) == 0 && all_digits(argument.substr(prefix.size()))) {
      return stored_input(argument, kind, argument.substr(prefix.size()), database);
    }
  }
  if (all_digits(argument)) return stored_input(argument, "bench", argument, database);
  throw UsageError("cannot compare '" + argument + "': it is not " + kAcceptedForms);
}

}  // namespace trainbench::bench
