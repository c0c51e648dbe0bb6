#pragma once
// One `trainbench bench`: its tests in order on one BenchRunner, each row
// stored as it finishes (when a store is given), failures and notes said on
// the board, Ctrl-C ending the running test and keeping the rows before it.
// The command parses flags into the tests and options, and prints the rows.
#include <cstdint>
#include <vector>

#include "bench/bench_matrix.h"
#include "bench/bench_runner.h"
#include "store/bench_row.h"
#include "store/results_store.h"
#include "telemetry/sampler.h"
#include "train/progress_bar.h"

namespace trainbench::bench {

struct BenchSessionResult {
  std::vector<store::BenchRow> rows;  // one per test run, failed ones too, in order
  int failed = 0;
  bool interrupted = false;  // Ctrl-C/SIGTERM: the rows are those finished before
};

// `results` (may be null) receives each row and its telemetry; a row that
// cannot be stored is a warning on the board. `delay_seconds` pass between tests.
BenchSessionResult run_bench_session(const std::vector<BenchCase>& tests, const BenchOptions& options,
                                     train::ProgressBoard& board, telemetry::Sampler* sampler,
                                     store::ResultsStore* results, double delay_seconds);

}  // namespace trainbench::bench
