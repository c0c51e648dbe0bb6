#include "bench/out_of_memory.h"

#include <c10/util/Exception.h>

#include <new>
#include <vector>

#include "core/text.h"

namespace trainbench::bench {

bool is_out_of_memory(const std::exception& error) {
  if (dynamic_cast<const c10::OutOfMemoryError*>(&error) || dynamic_cast<const std::bad_alloc*>(&error)) return true;
  // CPU allocations fail as a plain c10::Error ("DefaultCPUAllocator: can't
  // allocate memory: you tried to allocate ..." from posix_memalign, "not
  // enough memory" from malloc), and some back ends raise their own runtime
  // errors with "out of memory" in the text.
  const std::string message = core::lowercase(error.what());
  for (const char* phrase : {"out of memory", "not enough memory", "can't allocate memory", "cannot allocate memory"}) {
    if (message.find(phrase) != std::string::npos) return true;
  }
  return false;
}

BackoffOutcome run_with_oom_backoff(int batch_size, bool retry, const std::function<void(int)>& attempt,
                                    const std::function<void()>& release) {
  std::vector<int> failed;
  int batch = batch_size;
  while (true) {
    try {
      attempt(batch);
      break;
    } catch (const std::exception& error) {
      if (!is_out_of_memory(error) || !retry || batch <= 1) throw;
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
