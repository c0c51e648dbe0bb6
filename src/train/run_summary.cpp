#include "train/run_summary.h"

#include <cstdio>

namespace trainbench::train {

nlohmann::ordered_json to_json(const std::vector<data::SkippedFile>& skipped) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const data::SkippedFile& f : skipped) out.push_back({{"path", f.path}, {"reason", f.reason}});
  return out;
}

nlohmann::ordered_json to_json(const RunSummary& s) {
  return {{"model", s.model},
          {"device", s.device},
          {"device_name", s.device_name},
          {"threads", s.threads},
          {"workers", s.workers},
          {"amp", s.amp},
          {"channels_last", s.channels_last},
          {"augment", s.augment},
          {"pretrained", s.pretrained},
          {"img_size", s.image_size},
          {"batch_size", s.batch_size},
          {"epochs", s.epochs},
          {"steps", s.steps},
          {"overflow_skipped_steps", s.overflow_skipped_steps},
          {"final_loss_scale", s.final_loss_scale},
          {"train_images", s.train_images},
          {"val_images", s.val_images},
          {"train_images_seen", s.train_images_seen},
          {"train_files_scanned", s.train_files_scanned},
          {"val_files_scanned", s.val_files_scanned},
          {"skipped_files", s.skipped_files},
          {"skipped_examples", to_json(s.skipped_examples)},
          {"train_loss", s.train_loss},
          {"train_accuracy", s.train_accuracy},
          {"val_loss", s.val_loss},
          {"val_accuracy", s.val_accuracy},
          {"best_val_loss", s.best_val_loss},
          {"best_epoch", s.best_epoch},
          {"train_images_per_sec", s.train_images_per_sec},
          {"first_epoch_images_per_sec", s.first_epoch_images_per_sec},
          {"data_wait_fraction", s.data_wait_fraction},
          {"wall_seconds", s.wall_seconds},
          {"world_size", s.world_size},
          {"dist_backend", s.dist_backend},
          {"sync_bn", s.sync_batch_norm},
          {"rank_images_per_sec", s.rank_images_per_sec},
          {"all_reduce_wait_seconds_per_step", s.all_reduce_wait_seconds_per_step},
          {"interrupted", s.interrupted},
          {"stopped", s.stopped},
          {"telemetry", s.telemetry}};
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
