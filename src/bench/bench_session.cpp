#include "bench/bench_session.h"

#include <chrono>
#include <thread>

#include "core/error.h"

namespace trainbench::bench {

BenchSessionResult run_bench_session(const std::vector<BenchCase>& tests, const BenchOptions& options,
                                     train::ProgressBoard& board, telemetry::Sampler* sampler,
                                     store::ResultsStore* results, double delay_seconds) {
  BenchSessionResult session;
  BenchRunner runner(options, board, sampler);
  board.begin_outer("Tests", static_cast<std::int64_t>(tests.size()));
  for (std::size_t i = 0; i < tests.size() && !(session.interrupted = runner.stop_requested()); ++i) {
    if (i > 0 && delay_seconds > 0) std::this_thread::sleep_for(std::chrono::duration<double>(delay_seconds));
    store::BenchRow row;
    try {
      row = runner.run(tests[i]);
    } catch (const BenchInterrupted&) {
      board.message("interrupted during: " + describe(tests[i]));
      session.interrupted = true;
      break;
    }
    if (row.status != "ok") {
      ++session.failed;
      board.message("failed: " + describe(tests[i]) + ": " + row.error);
    } else if (!row.note.empty()) {
      board.message(describe(tests[i]) + ": " + row.note);
    }
    if (results) {
      try {
        const std::int64_t id = results->insert_bench(row);
        results->insert_telemetry(store::ResultKind::kBench, id, runner.last_test_telemetry());
      } catch (const Error& error) {
        board.message(std::string("warning: row not stored: ") + error.what());
      }
    }
    session.rows.push_back(std::move(row));
    board.advance_outer();
  }
  board.end_outer();
  return session;
}

}  // namespace trainbench::bench
