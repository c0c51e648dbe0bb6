#include "bench/out_of_memory.h"

#include <new>
#include <vector>

#include "core/out_of_memory.h"

namespace trainbench::bench {

BackoffOutcome run_with_oom_backoff(int batch_size, bool retry, const std::function<void(int)>& attempt,
                                    const std::function<void()>& release) {
  std::vector<int> failed;
  int batch = batch_size;
  while (true) {
    try {
      attempt(batch);
      break;
    } catch (const std::exception& error) {
      if (!core::is_out_of_memory(error) || !retry || batch <= 1) throw;
      failed.push_back(batch);
      if (release) release();
      batch /= 2;
    }
  }
  BackoffOutcome outcome;
  outcome.batch_size = batch;
  if (!failed.empty()) {
    outcome.note = "out of memory at batch ";
    for (std::size_t i = 0; i < failed.size(); ++i) outcome.note += (i ? ", " : "") + std::to_string(failed[i]);
    outcome.note += ": ran at " + std::to_string(batch);
  }
  return outcome;
}

}  // namespace trainbench::bench
