#include "train/run_summary.h"

#include <cstdio>

#include "core/error.h"

namespace trainbench::train {

nlohmann::ordered_json to_json(const std::vector<data::SkippedFile>& skipped) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const data::SkippedFile& f : skipped) out.push_back({{"path", f.path}, {"reason", f.reason}});
  return out;
}

namespace {

using SummaryField = core::Field<RunSummary>;
using core::field;

std::vector<data::SkippedFile> skipped_from_json(const nlohmann::json& list) {
  std::vector<data::SkippedFile> skipped;
  if (!list.is_array()) throw UsageError("field 'skipped_examples' must be a list of {path, reason}");
  for (const nlohmann::json& item : list) {
    if (!item.is_object()) throw UsageError("field 'skipped_examples' must be a list of {path, reason}");
    data::SkippedFile file;
    core::read_field(item, "path", &file.path);
    core::read_field(item, "reason", &file.reason);
    skipped.push_back(std::move(file));
  }
  return skipped;
}

}  // namespace

const std::vector<core::Field<RunSummary>>& run_summary_fields() {
  using core::ColumnType;
  static const std::vector<SummaryField> fields = {
      field("model", &RunSummary::model, "model architecture"),
      field("device", &RunSummary::device, "device that trained (cpu, cuda:0, ...)"),
      field("device_name", &RunSummary::device_name, "CPU model or GPU name"),
      field("threads", &RunSummary::threads, "compute threads"),
      field("workers", &RunSummary::workers, "loader worker threads"),
      field("amp", &RunSummary::amp, "mixed precision: off, bf16 or fp16"),
      field("channels_last", &RunSummary::channels_last, "channels-last (NHWC) memory format"),
      field("augment", &RunSummary::augment, "training-batch augmentation: trivial-wide, trivial-wide-scaled or none"),
      field("pretrained", &RunSummary::pretrained, "weights file the run started from (empty: from scratch)"),
      field("image_size", &RunSummary::image_size, "square input side in pixels", {"img_size"}),
      field("batch_size", &RunSummary::batch_size, "images per batch (per rank)"),
      field("epochs", &RunSummary::epochs, "epochs started"),
      field("steps", &RunSummary::steps, "optimizer steps taken"),
      field("overflow_skipped_steps", &RunSummary::overflow_skipped_steps,
            "fp16: steps the gradient scaler skipped for inf/NaN gradients"),
      field("final_loss_scale", &RunSummary::final_loss_scale, "fp16: the gradient scaler's last scale (0 without one)"),
      field("train_images", &RunSummary::train_images, "images a training pass uses"),
      field("val_images", &RunSummary::val_images, "images an evaluation uses"),
      field("train_images_seen", &RunSummary::train_images_seen, "images trained on in all epochs, by every rank"),
      field("train_files_scanned", &RunSummary::train_files_scanned, "image files of the training set, used or skipped"),
      field("val_files_scanned", &RunSummary::val_files_scanned, "image files of the validation set, used or skipped"),
      field("skipped_files", &RunSummary::skipped_files, "files found unreadable and skipped"),
      core::custom_field<RunSummary>(
          "skipped_examples", ColumnType::kText, "the first skipped files, with why",
          [](const RunSummary& s) { return to_json(s.skipped_examples); },
          [](const nlohmann::json& value, RunSummary& s) { s.skipped_examples = skipped_from_json(value); }),
      field("train_loss", &RunSummary::train_loss, "mean batch loss of the last training pass"),
      field("train_accuracy", &RunSummary::train_accuracy, "accuracy over the last training pass"),
      field("val_loss", &RunSummary::val_loss, "mean loss of the last evaluation"),
      field("val_accuracy", &RunSummary::val_accuracy, "accuracy of the last evaluation"),
      field("best_val_loss", &RunSummary::best_val_loss, "lowest validation loss"),
      field("best_epoch", &RunSummary::best_epoch, "epoch of the lowest validation loss (1-based)"),
      field("train_images_per_sec", &RunSummary::train_images_per_sec, "images / wall time over the training passes"),
      field("first_epoch_images_per_sec", &RunSummary::first_epoch_images_per_sec, "the first training pass's rate"),
      field("data_wait_fraction", &RunSummary::data_wait_fraction, "share of training time spent waiting for a batch"),
      field("wall_seconds", &RunSummary::wall_seconds, "seconds from start to end, set-up included"),
      field("world_size", &RunSummary::world_size, "ranks of a data-parallel run (1 otherwise)"),
      field("dist_backend", &RunSummary::dist_backend, "gloo or nccl (empty for one process)"),
      field("sync_bn", &RunSummary::sync_batch_norm, "batch-norm statistics over all ranks' batches"),
      field("rank_images_per_sec", &RunSummary::rank_images_per_sec, "each rank's own images/s, in rank order"),
      field("all_reduce_wait_seconds_per_step", &RunSummary::all_reduce_wait_seconds_per_step,
            "seconds per step rank 0 waited for the gradient all-reduce after the backward pass"),
      field("interrupted", &RunSummary::interrupted, "stopped by a signal (Ctrl-C, SIGTERM)"),
      field("stopped", &RunSummary::stopped, "why the run stopped early other than by a signal (empty if not)"),
      core::custom_field<RunSummary>(
          "telemetry", ColumnType::kText, "telemetry averaged per phase (null when not sampled)",
          [](const RunSummary& s) { return s.telemetry; },
          [](const nlohmann::json& value, RunSummary& s) { s.telemetry = nlohmann::ordered_json(value); }),
  };
  return fields;
}

nlohmann::ordered_json to_json(const RunSummary& summary) { return core::write_fields(run_summary_fields(), summary); }

RunSummary run_summary_from_json(const nlohmann::json& json) {
  if (!json.is_object()) throw UsageError("summary.json is not a JSON object");
  RunSummary summary;
  core::read_fields(run_summary_fields(), json, &summary);
  return summary;
}

namespace {

// "  machine while training: process CPU 190%, system CPU 96%, peak RSS 1.2 GiB; GPU 0 97% busy, ..."
// from summary.json's telemetry averages of the train phase; "" without them.
std::string telemetry_line(const nlohmann::ordered_json& telemetry) {
  if (!telemetry.is_object() || !telemetry.contains("train")) return "";
  const nlohmann::ordered_json& train = telemetry["train"];
  std::vector<std::string> parts;
  char text[160];
  if (train.contains("process_cpu_percent")) {
    std::snprintf(text, sizeof text, "process CPU %.0f%%", train["process_cpu_percent"].get<double>());
    parts.push_back(text);
  }
  if (train.contains("system_cpu_percent")) {
    std::snprintf(text, sizeof text, "system CPU %.0f%%", train["system_cpu_percent"].get<double>());
    parts.push_back(text);
  }
  if (train.contains("process_rss_peak_bytes")) {
    std::snprintf(text, sizeof text, "peak RSS %.2f GiB", train["process_rss_peak_bytes"].get<double>() / 1073741824.0);
    parts.push_back(text);
  }
  for (const auto& gpu : train.value("gpus", nlohmann::ordered_json::array())) {
    std::string line = "GPU " + std::to_string(gpu.value("index", 0));
    if (gpu.contains("utilization_percent")) {
      std::snprintf(text, sizeof text, " %.0f%% busy", gpu["utilization_percent"].get<double>());
      line += text;
    }
    if (gpu.contains("memory_activity_percent")) {
      std::snprintf(text, sizeof text, ", memory %.0f%% busy", gpu["memory_activity_percent"].get<double>());
      line += text;
    }
    if (gpu.contains("power_watts")) {
      std::snprintf(text, sizeof text, ", %.0f W", gpu["power_watts"].get<double>());
      line += text;
    }
    if (gpu.contains("throttle_reasons")) {
      std::vector<std::string> reasons = gpu["throttle_reasons"].get<std::vector<std::string>>();
      std::string joined;
      for (const std::string& reason : reasons) joined += (joined.empty() ? "" : ", ") + reason;
      line += " (throttled: " + joined + ")";
    }
    parts.push_back(line);
  }
  if (parts.empty()) return "";
  std::string out = "  while training: ";
  for (std::size_t i = 0; i < parts.size(); ++i) out += (i ? "; " : "") + parts[i];
  return out + "\n";
}

}  // namespace

std::string format_summary_text(const RunSummary& s) {
  char text[1024];
  std::snprintf(text, sizeof text,
                "%s%s on %s (%s), %d threads, %d workers, amp %s, %s\n"
                "  %lld steps over %d epochs, %lld train / %lld val images used, %lld of %lld files skipped\n"
                "  train loss %.4f  accuracy %.4f\n"
                "  val   loss %.4f  accuracy %.4f  (best loss %.4f at epoch %d)\n"
                "  %.1f train images/s (first epoch %.1f), data wait %.1f%%, wall %.1f s\n",
                s.interrupted ? "INTERRUPTED: " : !s.stopped.empty() ? "STOPPED: " : "", s.model.c_str(), s.device.c_str(), s.device_name.c_str(),
                s.threads, s.workers, s.amp.c_str(), s.channels_last ? "channels-last" : "contiguous", static_cast<long long>(s.steps), s.epochs,
                static_cast<long long>(s.train_images), static_cast<long long>(s.val_images),
                static_cast<long long>(s.skipped_files), static_cast<long long>(s.train_files_scanned + s.val_files_scanned),
                s.train_loss, s.train_accuracy, s.val_loss, s.val_accuracy,
                s.best_val_loss, s.best_epoch, s.train_images_per_sec, s.first_epoch_images_per_sec,
                100.0 * s.data_wait_fraction, s.wall_seconds);
  std::string out = text;
  if (s.world_size > 1 || !s.dist_backend.empty()) {
    // The images/s above are the whole job's; each rank's own, and what the
    // backward pass did not hide of the gradient all-reduce.
    std::string rates;
    for (std::size_t i = 0; i < s.rank_images_per_sec.size(); ++i) {
      char rate[32];
      std::snprintf(rate, sizeof rate, "%s%.1f", i ? " " : "", s.rank_images_per_sec[i]);
      rates += rate;
    }
    char head[160], tail[64];
    std::snprintf(head, sizeof head, "  data-parallel: %d ranks over %s%s, images/s per rank ", s.world_size,
                  s.dist_backend.c_str(), s.sync_batch_norm ? " with synchronized batch norm" : "");
    std::snprintf(tail, sizeof tail, ", all-reduce wait %.1f ms/step\n", 1000.0 * s.all_reduce_wait_seconds_per_step);
    out += head + rates + tail;
  }
  out += telemetry_line(s.telemetry);
  if (!s.pretrained.empty()) out += "  started from " + s.pretrained + "\n";
  if (s.amp == "fp16") {
    char scaler[160];
    std::snprintf(scaler, sizeof scaler, "  gradient scaler: %lld steps skipped for inf/NaN gradients, final scale %g\n",
                  static_cast<long long>(s.overflow_skipped_steps), s.final_loss_scale);
    out += scaler;
  }
  constexpr std::size_t kPrinted = 5;
  for (std::size_t i = 0; i < s.skipped_examples.size() && i < kPrinted; ++i) {
    out += "  skipped " + s.skipped_examples[i].path + ": " + s.skipped_examples[i].reason + "\n";
  }
  if (s.skipped_files > static_cast<std::int64_t>(kPrinted)) {
    out += "  ... and " + std::to_string(s.skipped_files - static_cast<std::int64_t>(kPrinted)) +
           " more (summary.json lists the first " + std::to_string(s.skipped_examples.size()) + ")\n";
  }
  return out;
}

}  // namespace trainbench::train
