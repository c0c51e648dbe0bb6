#pragma once
// The schema of one `trainbench bench` result: what was run, what it measured,
// and where (provenance). Defined once here; printers, the results store and
// `compare` all read rows through bench_columns().
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/provenance.h"
#include "core/table.h"

namespace trainbench::store {

struct BenchRow {
  // ---- the test: one point of the matrix ----
  std::string mode = "train";  // "train" or "infer"
  std::string model;
  std::string device;          // "cpu", "cuda:0", ...
  std::string amp = "off";     // "off", "bf16", "fp16"
  bool channels_last = false;
  int batch_size = 0;            // the batch that ran (smaller than requested after an out-of-memory retry)
  int requested_batch_size = 0;  // the batch the matrix asked for
  int image_size = 0;
  int workers = 0;               // loader workers (real input only; 0 for synthetic)
  std::string input = "synthetic";  // "synthetic" (random tensors already on the device) or "real" (the data pipeline)
  int repetitions = 0;
  int warmup_steps = 0;
  int steps = 0;                 // timed steps per repetition

  // ---- the outcome ----
  std::string status = "ok";  // "ok" or "failed"
  std::string error;          // why it failed (empty when ok)
  std::string note;           // e.g. "out of memory at batch 256: ran at 128"

  // ---- throughput: images / elapsed seconds over a repetition's timed steps ----
  double images_per_sec = 0.0;      // mean over repetitions
  double images_per_sec_std = 0.0;  // sample standard deviation over repetitions (0 for one)
  std::vector<double> images_per_sec_samples;  // one per repetition
  double cold_step_seconds = 0.0;   // the very first step of the test (fresh model): warm-up, kernel selection
  double step_seconds = 0.0;        // mean seconds per timed step

  // ---- phase breakdown per step (--detail only; synchronised timers) ----
  std::optional<double> data_wait_seconds;
  std::optional<double> forward_seconds;
  std::optional<double> backward_seconds;   // train only
  std::optional<double> optimizer_seconds;  // train only

  // ---- memory ----
  std::optional<std::int64_t> peak_memory_bytes;
  std::string memory_source;  // "cuda-allocator" (peak allocated) or "process-rss" (peak resident set)

  // ---- arithmetic ----
  double forward_flops_per_image = 0.0;  // counted from the model's layers at this image size
  double step_flops_per_image = 0.0;     // train: 3x forward (forward + 2x backward); infer: forward
  double achieved_tflops = 0.0;          // step_flops_per_image * images_per_sec / 1e12
  std::optional<double> peak_tflops;     // --peak: matrix-product probe in this precision
  std::optional<double> peak_fraction;   // achieved / peak

  // ---- telemetry: means over the samples taken during the timed steps (empty when none was) ----
  std::optional<double> process_cpu_percent;        // 100 = one core busy
  std::optional<double> gpu_utilization_percent;    // the first sampled GPU's
  std::optional<double> gpu_memory_activity_percent;
  std::optional<double> gpu_power_watts;

  // ---- a data-parallel bench (under `trainbench launch`): images_per_sec is the job's, all ranks together ----
  int world_size = 1;                              // ranks that ran the test in step
  std::vector<double> rank_images_per_sec;         // each rank's own rate, in rank order (empty for one rank)
  std::optional<double> all_reduce_wait_seconds;   // per timed step, mean over ranks: gradient averaging not hidden by backward

  core::Provenance provenance;
};

// Every column of a bench row, in print order (the provenance columns last).
const std::vector<core::Column>& bench_columns();

core::Row to_row(const BenchRow& row);
// The inverse of to_row for files written by `bench -o json|jsonl`; missing
// keys keep their defaults. Throws UsageError naming a field of the wrong type.
BenchRow bench_row_from_json(const nlohmann::json& row);

// The columns that name a test (mode, model, device, amp, layout, batch,
// image size, workers, input): rows of two benches with equal keys are the
// same test, which is how `compare` pairs them.
const std::vector<std::string>& bench_key_columns();

}  // namespace trainbench::store
