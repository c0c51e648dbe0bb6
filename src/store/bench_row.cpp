#include "store/bench_row.h"

#include <cmath>
#include <cstdlib>
#include <functional>
#include <limits>

#include "core/error.h"
#include "core/field_table.h"

namespace trainbench::store {
using core::Column;
using core::ColumnType;
using core::Row;
using core::read_field;

namespace {

// ---- the fields of a BenchRow, each with its column and its conversions ----

using BenchField = core::Field<BenchRow>;
using core::field;

const std::vector<BenchField>& bench_fields() {
  static const std::vector<BenchField> fields = {
      field("mode", &BenchRow::mode, "train (forward, backward, optimizer step) or infer (forward only)"),
      field("model", &BenchRow::model, "model architecture"),
      field("device", &BenchRow::device, "device that ran (cpu, cuda:0, ...)"),
      field("amp", &BenchRow::amp, "mixed precision: off, bf16 or fp16"),
      field("channels_last", &BenchRow::channels_last, "channels-last (NHWC) memory format"),
      field("batch_size", &BenchRow::batch_size, "batch that ran (smaller than requested after an out-of-memory retry)"),
      field("requested_batch_size", &BenchRow::requested_batch_size, "batch the matrix asked for"),
      field("image_size", &BenchRow::image_size, "square input side in pixels"),
      field("workers", &BenchRow::workers, "loader worker threads (real input only; 0 for synthetic)"),
      field("input", &BenchRow::input, "synthetic (random tensors on the device) or real (the data pipeline)"),
      field("repetitions", &BenchRow::repetitions, "timed repetitions"),
      field("warmup_steps", &BenchRow::warmup_steps, "untimed steps before each repetition"),
      field("steps", &BenchRow::steps, "timed steps per repetition"),
      field("status", &BenchRow::status, "ok or failed"),
      field("error", &BenchRow::error, "why the test failed (empty when ok)"),
      field("note", &BenchRow::note, "what changed on the way, e.g. a smaller batch after running out of memory"),
      field("images_per_sec", &BenchRow::images_per_sec, "throughput: images per second, mean over repetitions"),
      field("images_per_sec_std", &BenchRow::images_per_sec_std,
            "sample standard deviation of images_per_sec over repetitions (0 for one)"),
      field("images_per_sec_samples", &BenchRow::images_per_sec_samples, "images per second of each repetition"),
      field("cold_step_seconds", &BenchRow::cold_step_seconds,
            "seconds of the very first step on a fresh model (warm-up, kernel selection)"),
      field("step_seconds", &BenchRow::step_seconds, "mean seconds per timed step"),
      field("data_wait_seconds", &BenchRow::data_wait_seconds, "seconds per step waiting for the next batch (--detail)"),
      field("forward_seconds", &BenchRow::forward_seconds, "seconds per step in the forward pass (--detail)"),
      field("backward_seconds", &BenchRow::backward_seconds, "seconds per step in the backward pass (--detail, train)"),
      field("optimizer_seconds", &BenchRow::optimizer_seconds, "seconds per step in the optimizer (--detail, train)"),
      field("peak_memory_bytes", &BenchRow::peak_memory_bytes, "peak memory in bytes (see memory_source)"),
      field("memory_source", &BenchRow::memory_source,
            "what peak_memory_bytes measures: cuda-allocator (peak allocated) or process-rss (peak resident set)"),
      field("forward_flops_per_image", &BenchRow::forward_flops_per_image,
            "floating-point operations of one forward pass, counted from the layers"),
      field("step_flops_per_image", &BenchRow::step_flops_per_image,
            "floating-point operations per image and step (train: 3x forward; infer: forward)"),
      field("achieved_tflops", &BenchRow::achieved_tflops, "step_flops_per_image * images_per_sec / 1e12"),
      field("peak_tflops", &BenchRow::peak_tflops, "matrix-product rate of the device in this precision (--peak)"),
      field("peak_fraction", &BenchRow::peak_fraction, "achieved_tflops / peak_tflops"),
      field("process_cpu_percent", &BenchRow::process_cpu_percent,
            "this process's CPU use over the timed steps (100 = one core), from telemetry"),
      field("gpu_utilization_percent", &BenchRow::gpu_utilization_percent,
            "share of time the GPU ran a kernel over the timed steps, from telemetry"),
      field("gpu_memory_activity_percent", &BenchRow::gpu_memory_activity_percent,
            "share of time the GPU's memory controller was busy over the timed steps, from telemetry"),
      field("gpu_power_watts", &BenchRow::gpu_power_watts, "mean GPU power over the timed steps, from telemetry"),
      field("world_size", &BenchRow::world_size,
            "ranks of a data-parallel bench (under launch); images_per_sec is all of theirs together"),
      field("rank_images_per_sec", &BenchRow::rank_images_per_sec, "each rank's own images per second, in rank order"),
      field("all_reduce_wait_seconds", &BenchRow::all_reduce_wait_seconds,
            "seconds per timed step waiting for the gradients' all-reduce after the backward pass (mean over ranks)"),
  };
  return fields;
}

}  // namespace

const std::vector<Column>& bench_columns() {
  static const std::vector<Column> columns = [] {
    std::vector<Column> all = core::columns_of(bench_fields());
    const std::vector<Column>& provenance = core::provenance_columns();
    all.insert(all.end(), provenance.begin(), provenance.end());
    return all;
  }();
  return columns;
}

Row to_row(const BenchRow& row) {
  Row out = core::write_fields(bench_fields(), row);
  const nlohmann::ordered_json provenance = core::to_json(row.provenance);  // kept alive while items() walks it
  for (const auto& [key, value] : provenance.items()) out[key] = value;
  return out;
}

BenchRow bench_row_from_json(const nlohmann::json& json) {
  BenchRow row;
  core::read_fields(bench_fields(), json, &row);
  row.provenance = core::provenance_from_json(json);
  return row;
}

const std::vector<std::string>& bench_key_columns() {
  static const std::vector<std::string> keys = {"mode",  "model",   "device", "amp",  "channels_last", "requested_batch_size",
                                                "image_size", "workers", "input"};
  return keys;
}

}  // namespace trainbench::store
