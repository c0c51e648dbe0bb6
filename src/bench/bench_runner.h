#pragma once
// Runs the tests of `trainbench bench`, one store::BenchRow each. A test builds a
// fresh model and optimizer (same seed every time), times its very first step
// (the cold start: allocation, kernel selection, cuDNN autotuning), runs the
// rest of the warm-up untimed, then times `repetitions` windows of `steps`
// steps with the device synchronised at each window's edges. Throughput is
// images over a window's elapsed time. A test that fails becomes a row with
// status "failed"; running out of memory halves the batch and retries.
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bench/bench_matrix.h"
#include "store/bench_row.h"
#include "data/image_folder.h"
#include "telemetry/sampler.h"
#include "train/execution.h"
#include "train/progress_bar.h"

namespace trainbench::train {
class DataParallel;
}

namespace trainbench::bench {

struct BenchOptions {
  int repetitions = 3;
  int warmup_steps = 10;  // untimed, the first of them timed as the cold step
  int steps = 30;         // timed steps per repetition
  // When above 0, `steps` is chosen per test instead: from the step time of
  // the warm-up (the steps after the cold one), so that the timed windows
  // together take about this many seconds (at least 2 steps a window). A
  // slow CPU then spends its minute on a few steps and a GPU seconds on many.
  double timed_seconds = 0.0;
  bool detail = false;    // also time data wait, forward, backward and optimizer per step
  bool peak = false;      // also probe the device's matrix-product rate
  bool retry_oom = true;
  std::filesystem::path data;  // image folder for --input real
  int synthetic_classes = 19;  // the workload's 19 gestures
  std::uint64_t seed = 1234;
  // Tests only: batches larger than this fail as if out of memory (0: off),
  // to exercise the back-off without a GPU.
  int simulate_oom_above = 0;
  // A data-parallel bench (under `trainbench launch`): every rank runs each
  // test in step with the others, its model's weights broadcast from rank 0
  // and its gradients averaged during the backward pass as in `train`; the
  // row's images/s is the job's (the ranks' rates summed). A test that fails
  // on one rank cannot go on without it: run() throws then (RunError), and
  // there is no out-of-memory retry. Null: a lone process.
  train::DataParallel* parallel = nullptr;
};

// Timed steps per repetition for a budget of `timed_seconds` over all
// repetitions, given the measured seconds of one warm step: at least 2 (a
// window of one step is all edge), at most 10,000.
int steps_for_budget(double timed_seconds, int repetitions, double step_seconds);

// Checks the options (positive counts, --data for real input); throws UsageError.
void validate(const BenchOptions& options, const std::vector<BenchCase>& tests);

// Thrown out of BenchRunner::run when SIGINT/SIGTERM arrives during a test.
// Not a std::exception, so nothing on the way turns it into a failed row.
struct BenchInterrupted {};

class BenchRunner {
 public:
  // `sampler` (may be null) is told the phase of each test (warmup, timed,
  // detail), and its samples of the timed steps fill the row's telemetry figures.
  BenchRunner(BenchOptions options, train::ProgressBoard& board, telemetry::Sampler* sampler = nullptr);
  ~BenchRunner();

  // Never throws for a failing test in a lone process: the row says what went
  // wrong. Throws BenchInterrupted when interrupted (the test has no row then).
  store::BenchRow run(const BenchCase& test);
  // Whether Ctrl-C (SIGINT/SIGTERM) asked to stop; in a data-parallel bench,
  // whether any rank was asked, so that all stop at the same point.
  bool stop_requested();
  // The telemetry samples taken during the last run() (empty without a sampler).
  const std::vector<telemetry::TelemetrySample>& last_test_telemetry() const { return last_test_telemetry_; }

 private:
  void measure(const BenchCase& test, const train::Execution& execution, int batch_size, store::BenchRow* row);
  const data::ImageFolder& real_data();
  void set_phase(const std::string& phase);
  // Keeps the samples since the test began and puts their timed-step means in the row.
  void collect_telemetry(std::size_t first_sample, store::BenchRow* row);

  BenchOptions options_;
  train::ProgressBoard& board_;
  telemetry::Sampler* sampler_;
  std::vector<telemetry::TelemetrySample> last_test_telemetry_;
  std::map<std::string, double> peak_cache_;  // "device amp" -> TFLOP/s
  std::unique_ptr<data::ImageFolder> real_data_;
};

}  // namespace trainbench::bench
