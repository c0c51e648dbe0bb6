#include "core/thread_pool_environment.h"

#include <unistd.h>

#include <cstdlib>

namespace trainbench::core {
namespace {

// Sets `name` to `value` when it is unset; true when it set it.
bool set_if_unset(const char* name, const char* value) {
  return std::getenv(name) == nullptr && setenv(name, value, 1) == 0;
}

}  // namespace

void ensure_idle_threads_sleep(char** argv) {
  const bool openmp = set_if_unset("OMP_WAIT_POLICY", kDefaultOpenMpWaitPolicy);
  const bool openblas = set_if_unset("OPENBLAS_THREAD_TIMEOUT", kDefaultOpenBlasThreadTimeout);
  if (!openmp && !openblas) return;
  execv("/proc/self/exe", argv);
  // execv only returns on failure: carry on with the libraries' defaults.
}

}  // namespace trainbench::core
