#pragma once
// `bench --scaling N`: the same bench run under `trainbench launch`'s local
// ranks, 1, 2, ... N of them one after the other, each world size's rows
// collected for the scaling table (scaling.h). A world size that fails ends
// the series; the rows of the sizes before it are kept.
#include <functional>
#include <string>
#include <vector>

#include "store/bench_row.h"

namespace trainbench::bench {

struct ScalingSeries {
  std::vector<store::BenchRow> rows;  // every world size's, in order
  int exit_code = 0;                  // of the world size that failed (0: none did)
};

// The bench each rank runs: its arguments (after the program), writing its
// rows as JSON to `output_file`.
using RankBenchCommand = std::function<std::vector<std::string>(const std::string& output_file)>;

// Runs `command` under 1..max_ranks local ranks of this program
// (`program_path`, named `program_name` in messages), each job with
// `timeout_seconds` for its ranks to meet. Progress goes to stderr.
ScalingSeries run_scaling_series(int max_ranks, int timeout_seconds, const RankBenchCommand& command,
                                 const std::string& program_path, const std::string& program_name);

}  // namespace trainbench::bench
