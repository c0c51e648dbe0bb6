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

// Per-pass rates of one record type of metrics.jsonl ("train_epoch", "eval").
std::vector<double> pass_rates(const std::vector<nlohmann::json>& metrics, const std::string& type, double* seconds) {
  std::vector<double> rates;
  for (const nlohmann::json& record : metrics) {
    if (!record.is_object() || record.value("type", std::string()) != type) continue;
    const double images = record.value("images", 0.0), pass_seconds = record.value("seconds", 0.0);
    *seconds += pass_seconds;
    if (pass_seconds > 0) rates.push_back(images / pass_seconds);
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

std::string description_of(const nlohmann::json& s) {
  std::string text = s.value("model", std::string("?")) + " on " + s.value("device", std::string("?"));
  const std::string device_name = s.value("device_name", std::string());
  if (!device_name.empty()) text += " (" + device_name + ")";
  text += ", amp " + s.value("amp", std::string("off")) + ", " +
          (s.value("channels_last", false) ? "channels-last" : "contiguous") + ", " +
          std::to_string(s.value("img_size", 0)) + " px, batch " + std::to_string(s.value("batch_size", 0)) + ", " +
          std::to_string(s.value("epochs", 0)) + " epochs, " + std::to_string(s.value("train_images", 0LL)) +
          " train / " + std::to_string(s.value("val_images", 0LL)) + " val images";
  return text;
}

nlohmann::json read_json_file(const fs::path& file) {
  std::ifstream in(file);
  if (!in) throw UsageError("cannot read " + file.string());
  nlohmann::json json = nlohmann::json::parse(in, nullptr, false);
  if (json.is_discarded()) throw UsageError(file.string() + " is not valid JSON");
  return json;
}

std::string folder_label(const fs::path& folder) {
  const fs::path name = folder.filename().empty() ? folder.parent_path().filename() : folder.filename();
  return name.empty() ? folder.string() : name.string();
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
  std::error_code error;
  if (!fs::exists(database, error)) {
    throw UsageError("'" + argument + "' names a stored result, but there is no results database at " +
                     database.string() + " (pass --db FILE, or a run folder or bench file instead)");
  }
  if (id_text.size() > 18) throw UsageError("'" + argument + "': no stored result has so large an id");
  const std::int64_t id = std::stoll(id_text);
  const store::ResultsStore results = store::ResultsStore::open(database);
  if (kind == "train") {
    const std::optional<store::TrainRecord> record = results.train_by_id(id);
    if (!record) throw UsageError("no training run with id " + id_text + " in " + database.string());
    std::vector<nlohmann::json> metrics;
    if (!record->run_dir.empty()) metrics = train::read_metrics_log(fs::path(record->run_dir) / train::RunFiles::kMetrics);
    TrainingSide side = training_side_from_files("train:" + id_text, record->summary, record->config, metrics);
    if (metrics.empty()) side.notes.push_back("its run folder " + record->run_dir + " has no metrics.jsonl: spread unknown");
    return training_input(std::move(side));
  }
  const std::optional<BenchRow> row = results.bench_by_id(id);
  if (!row) {
    throw UsageError("no bench row with id " + id_text + " in " + database.string() +
                     " (use train:" + id_text + " for a stored training run)");
  }
  return bench_input("bench:" + id_text, {*row});
}

TrainingSide training_side_from_checked_files(const std::string& label, const nlohmann::json& summary,
                                              const nlohmann::json& config, const std::vector<nlohmann::json>& metrics) {
  TrainingSide side;
  side.label = label;
  side.description = description_of(summary);
  side.epochs = summary.value("epochs", 0);
  side.train_images = summary.value("train_images", std::int64_t{0});
  side.val_images = summary.value("val_images", std::int64_t{0});
  if (side.epochs > 0 && summary.contains("val_accuracy")) {
    side.val_accuracy = summary["val_accuracy"].get<double>();
    side.val_loss = summary.value("val_loss", 0.0);
  }

  double train_seconds = 0.0, eval_seconds = 0.0;
  const std::vector<double> train_rates = pass_rates(metrics, "train_epoch", &train_seconds);
  std::vector<double> steady_rates = train_rates;
  // An interrupted run's last epoch stopped part way: its rate is no pass's.
  if (summary.value("interrupted", false) && !steady_rates.empty()) steady_rates.pop_back();
  const std::optional<Estimate> steady = steady_rate(steady_rates, "epochs");
  if (steady && steady->standard_error) {
    side.train_images_per_sec = *steady;
  } else {
    side.train_images_per_sec = exact_estimate(summary["train_images_per_sec"].get<double>(),
                                               steady ? steady->spread_note : "no per-epoch records: spread unknown");
  }
  const double first_epoch = summary.value("first_epoch_images_per_sec", 0.0);
  if (first_epoch > 0) side.first_epoch_images_per_sec = exact_estimate(first_epoch, "one epoch");
  const std::vector<double> eval_rates = pass_rates(metrics, "eval", &eval_seconds);
  side.eval_images_per_sec = steady_rate(eval_rates, "evaluations");
  if (train_seconds > 0) {
    side.passes_seconds = exact_estimate(train_seconds + eval_seconds, "training and evaluation passes");
  } else if (summary.value("wall_seconds", 0.0) > 0) {
    side.passes_seconds = exact_estimate(summary["wall_seconds"].get<double>(), "wall time, setup included");
  }

  side.settings = nlohmann::ordered_json::object();
  for (const char* key : {"model", "img_size", "batch_size", "epochs", "amp", "channels_last", "augment", "train_images",
                          "val_images"}) {
    if (summary.contains(key)) side.settings[key] = summary[key];
  }
  if (config.is_object()) {
    for (const char* key : {"lr", "weight_decay", "adam_eps", "max_steps"}) {
      if (config.contains(key)) side.settings[key] = config[key];
    }
    if (config.contains("seed") && config["seed"].is_number_integer() && config["seed"].get<std::int64_t>() >= 0) {
      side.seed = config["seed"].get<std::uint64_t>();
    }
  }
  if (summary.contains("pretrained")) {
    // The path differs between machines; whether and what it started from does not.
    side.settings["pretrained"] = fs::path(summary.value("pretrained", std::string())).filename().string();
  }

  if (summary.value("interrupted", false)) side.notes.push_back("the run was interrupted: figures cover what ran");
  const double data_wait = summary.value("data_wait_fraction", 0.0);
  if (data_wait > kDataBoundShare) {
    side.notes.push_back("waited for data " + percent(data_wait) +
                         " of its training time: the data path, not the device, held it back");
  }
  return side;
}

}  // namespace

TrainingSide training_side_from_files(const std::string& label, const nlohmann::json& summary,
                                      const nlohmann::json& config, const std::vector<nlohmann::json>& metrics) {
  if (!summary.is_object() || !summary.contains("train_images_per_sec")) {
    throw UsageError(label + ": summary.json has no train_images_per_sec; is it a trainbench run?");
  }
  try {
    return training_side_from_checked_files(label, summary, config, metrics);
  } catch (const nlohmann::json::exception& e) {
    throw UsageError(label + ": summary.json or config.json holds a value of the wrong type: " + e.what());
  }
}

TrainingSide load_run_folder(const fs::path& folder) {
  const fs::path summary_file = folder / train::RunFiles::kSummary;
  std::error_code error;
  if (!fs::exists(summary_file, error)) {
    throw UsageError(folder.string() + " is a folder but not a finished training run (no summary.json); compare takes " +
                     kAcceptedForms);
  }
  const fs::path config_file = folder / train::RunFiles::kConfig;
  const nlohmann::json config = fs::exists(config_file, error) ? read_json_file(config_file) : nlohmann::json();
  return training_side_from_files(folder_label(folder), read_json_file(summary_file), config,
                                  train::read_metrics_log(folder / train::RunFiles::kMetrics));
}

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
