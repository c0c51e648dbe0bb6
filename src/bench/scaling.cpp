#include "bench/scaling.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <numeric>
#include <string>

namespace trainbench::bench {
namespace {

using core::Column;
using core::ColumnType;
using core::Row;

// What names a test across world sizes: the bench's key columns but the
// device (cuda:0 for rank 0 of any job, but "the device" of the test).
std::string test_key(const store::BenchRow& row) {
  const Row full = store::to_row(row);
  Row key = Row::object();
  for (const std::string& name : store::bench_key_columns()) {
    if (name != "device") key[name] = full[name];
  }
  return key.dump();
}

// What a job of `run.world_size` ranks could at best do, as a multiple of
// the one-rank run. CPU ranks share the machine's cores: against one rank
// given the same cores (the threads of the job's ranks together; by default
// the one rank already used them all, so the multiple is 1). Ranks with a
// device each add up: world_size x one rank.
struct Baseline {
  double factor = 1.0;
  std::string text;
};

Baseline baseline_of(const store::BenchRow& run, const store::BenchRow& alone) {
  const int job_threads = run.provenance.threads * run.world_size;
  if (run.device == "cpu" && alone.provenance.threads > 0 && run.provenance.threads > 0) {
    const double cores = static_cast<double>(job_threads) / alone.provenance.threads;
    if (cores <= 1.0) return {1.0, "1 rank, same cores"};
    char text[64];
    std::snprintf(text, sizeof text, "1 rank x %.3g (the job's %d threads / its %d)", cores, job_threads,
                  alone.provenance.threads);
    return {cores, text};
  }
  return {static_cast<double>(run.world_size), std::to_string(run.world_size) + " x 1 rank"};
}

}  // namespace

const std::vector<Column>& scaling_columns() {
  static const std::vector<Column> columns = {
      {"mode", ColumnType::kText, "train or infer"},
      {"model", ColumnType::kText, "model architecture"},
      {"device", ColumnType::kText, "rank 0's device"},
      {"amp", ColumnType::kText, "mixed precision"},
      {"batch_size", ColumnType::kInteger, "images per rank and step"},
      {"image_size", ColumnType::kInteger, "square input side in pixels"},
      {"input", ColumnType::kText, "synthetic or real"},
      {"world_size", ColumnType::kInteger, "ranks in the job"},
      {"status", ColumnType::kText, "ok or failed"},
      {"images_per_sec", ColumnType::kReal, "the job's images per second, all ranks together"},
      {"images_per_sec_std", ColumnType::kReal, "sample standard deviation over repetitions"},
      {"images_per_sec_per_rank", ColumnType::kReal, "images_per_sec / world_size"},
      {"efficiency", ColumnType::kReal, "images_per_sec / the baseline's; 1 is perfect"},
      {"baseline", ColumnType::kText,
       "what efficiency divides by: on a CPU one rank given the job's cores (\"1 rank, same cores\" when that one "
       "rank already used them all); with a device per rank, N x 1 rank"},
      {"seconds_per_step", ColumnType::kReal, "mean seconds per timed step (rank 0's)"},
      {"all_reduce_wait_seconds", ColumnType::kReal,
       "seconds per step waiting for the gradients' all-reduce after the backward pass (mean over ranks)"},
  };
  return columns;
}

core::Table scaling_table(const std::vector<store::BenchRow>& rows) {
  std::vector<std::string> order;  // tests, first seen first
  std::map<std::string, std::vector<const store::BenchRow*>> by_test;
  for (const store::BenchRow& row : rows) {
    const std::string key = test_key(row);
    if (!by_test.count(key)) order.push_back(key);
    by_test[key].push_back(&row);
  }
  core::Table table{"bench_scaling", scaling_columns(), {}};
  for (const std::string& key : order) {
    std::vector<const store::BenchRow*>& runs = by_test[key];
    std::stable_sort(runs.begin(), runs.end(),
                     [](const store::BenchRow* a, const store::BenchRow* b) { return a->world_size < b->world_size; });
    const store::BenchRow* alone = nullptr;
    for (const store::BenchRow* run : runs) {
      if (run->world_size == 1 && run->status == "ok" && run->images_per_sec > 0) alone = run;
    }
    for (const store::BenchRow* run : runs) {
      const bool ok = run->status == "ok";
      Row out = Row::object();
      out["mode"] = run->mode;
      out["model"] = run->model;
      out["device"] = run->device;
      out["amp"] = run->amp;
      out["batch_size"] = run->batch_size;
      out["image_size"] = run->image_size;
      out["input"] = run->input;
      out["world_size"] = run->world_size;
      out["status"] = run->status;
      out["images_per_sec"] = ok ? Row(run->images_per_sec) : Row(nullptr);
      out["images_per_sec_std"] = ok ? Row(run->images_per_sec_std) : Row(nullptr);
      out["images_per_sec_per_rank"] = ok ? Row(run->images_per_sec / std::max(1, run->world_size)) : Row(nullptr);
      const Baseline base = alone ? baseline_of(*run, *alone) : Baseline{};
      out["efficiency"] = ok && alone ? Row(run->images_per_sec / (alone->images_per_sec * base.factor)) : Row(nullptr);
      out["baseline"] = alone ? Row(base.text) : Row(nullptr);
      out["seconds_per_step"] = ok && run->step_seconds > 0 ? Row(run->step_seconds) : Row(nullptr);
      out["all_reduce_wait_seconds"] =
          run->all_reduce_wait_seconds ? Row(*run->all_reduce_wait_seconds) : Row(nullptr);
      table.rows.push_back(std::move(out));
    }
  }
  return table;
}

}  // namespace trainbench::bench
