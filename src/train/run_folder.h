#pragma once
// A run folder and the files in it. Every file name lives here; JSON files
// are replaced atomically (write a temporary file, then rename) so a reader
// or a crash never sees half a file.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace trainbench::train {

struct RunFiles {
  static constexpr const char* kConfig = "config.json";
  static constexpr const char* kClasses = "classes.json";
  static constexpr const char* kMetrics = "metrics.jsonl";
  static constexpr const char* kMetadata = "training_metadata.json";
  static constexpr const char* kSummary = "summary.json";
  // Where and with what it ran (core/provenance.h): versions, device, CPU, OS.
  static constexpr const char* kProvenance = "provenance.json";
  // One telemetry sample per line (telemetry/telemetry_sample.h), when sampled.
  static constexpr const char* kTelemetry = "telemetry.jsonl";
  // Weights as safetensors with timm names; each has its model card beside
  // it (best_model.json, last_model.json; see weights/model_card.h).
  static constexpr const char* kBestWeights = "best_model.safetensors";
  static constexpr const char* kBestCard = "best_model.json";
  static constexpr const char* kLastWeights = "last_model.safetensors";
  static constexpr const char* kLastCard = "last_model.json";
  // Everything `train --resume` continues from (train/checkpoint.h).
  static constexpr const char* kCheckpoint = "checkpoint.safetensors";
};

// The records of a metrics.jsonl, in order; empty when the file is missing.
// A line cut short by a crash, or by a run still writing, is passed over.
std::vector<nlohmann::json> read_metrics_log(const std::filesystem::path& file);

class RunFolder {
 public:
  // A new run: creates the folder. An existing non-empty folder is an error
  // unless overwrite is set (then our files in it are replaced).
  static RunFolder create(const std::filesystem::path& path, bool overwrite);
  // A finished (or interrupted) run, for eval and predict.
  static RunFolder open(const std::filesystem::path& path);
  // A run to continue: metrics.jsonl is cut back to `metrics_bytes` (what it
  // held at the checkpoint; lines written after it are about steps that will
  // be taken again) and then appended to.
  static RunFolder resume(const std::filesystem::path& path, std::uint64_t metrics_bytes);

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path file(const char* name) const { return path_ / name; }

  // Writing only: every reader goes through train/run_record.h's loader.
  void write_json(const char* name, const nlohmann::ordered_json& value) const;
  void write_classes(const std::vector<std::string>& classes) const;

  // Appends one line to metrics.jsonl and flushes it.
  void append_metrics(const nlohmann::ordered_json& record);
  // Bytes written to metrics.jsonl so far (what a checkpoint records).
  std::uint64_t metrics_bytes();

 private:
  explicit RunFolder(std::filesystem::path path) : path_(std::move(path)) {}
  std::filesystem::path path_;
  std::ofstream metrics_;
};

}  // namespace trainbench::train
