#include "bench/scaling_runner.h"

#include <stdlib.h>  // mkdtemp

#include <cstdio>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "dist/local_launcher.h"

namespace trainbench::bench {
namespace {

std::vector<store::BenchRow> read_bench_rows(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw RunError("bench --scaling: a rank wrote no table at " + file.string());
  const nlohmann::json rows = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (!rows.is_array()) throw RunError("bench --scaling: a rank's table at " + file.string() + " is not a JSON array");
  std::vector<store::BenchRow> out;
  for (const nlohmann::json& row : rows) out.push_back(store::bench_row_from_json(row));
  return out;
}

// A folder in /tmp for the ranks' tables, removed however the series ends.
struct ScratchFolder {
  std::filesystem::path path;
  ScratchFolder() {
    std::string name = (std::filesystem::temp_directory_path() / "trainbench-scaling-XXXXXX").string();
    if (!mkdtemp(name.data())) throw RunError("bench --scaling: cannot create a folder in /tmp");
    path = name;
  }
  ~ScratchFolder() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
  ScratchFolder(const ScratchFolder&) = delete;
  ScratchFolder& operator=(const ScratchFolder&) = delete;
};

}  // namespace

ScalingSeries run_scaling_series(int max_ranks, int timeout_seconds, const RankBenchCommand& command,
                                 const std::string& program_path, const std::string& program_name) {
  const ScratchFolder scratch;
  ScalingSeries series;
  for (int ranks = 1; ranks <= max_ranks; ++ranks) {
    std::fprintf(stderr, "bench --scaling: %d rank(s) (%d of %d)\n", ranks, ranks, max_ranks);
    std::fflush(stderr);
    const std::filesystem::path output = scratch.path / ("ranks-" + std::to_string(ranks) + ".json");
    dist::LaunchPlan plan;
    plan.nproc_per_node = ranks;
    plan.master_port = dist::free_loopback_port();
    plan.timeout_seconds = timeout_seconds;
    plan.command = command(output.string());
    plan.program_name = program_name;
    series.exit_code = dist::run_local_ranks(plan, program_path);
    if (series.exit_code != 0) {
      std::fprintf(stderr, "bench --scaling: the bench with %d rank(s) failed (exit code %d)%s\n", ranks,
                   series.exit_code, series.rows.empty() ? "" : "; the table shows the world sizes before it");
      break;
    }
    for (store::BenchRow& row : read_bench_rows(output)) series.rows.push_back(std::move(row));
  }
  return series;
}

}  // namespace trainbench::bench
