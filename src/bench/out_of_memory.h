#pragma once
// Out of memory during a bench test is an answer, not a crash: halve the
// batch and try again, and say so in the row. What counts as out of memory
// is core/out_of_memory.h's.
#include <functional>
#include <string>

namespace trainbench::bench {

struct BackoffOutcome {
  int batch_size = 0;  // the batch that ran
  std::string note;    // "out of memory at batch 256, 128: ran at 64"; empty when the first try ran
};

// Calls attempt(batch_size); while it fails for lack of memory and `retry`
// is on, frees cached memory with `release` and tries again at half the
// batch (down to 1). Rethrows the last out-of-memory error when even that
// fails (or at once without `retry`); other errors pass through.
BackoffOutcome run_with_oom_backoff(int batch_size, bool retry, const std::function<void(int)>& attempt,
                                    const std::function<void()>& release);

}  // namespace trainbench::bench
