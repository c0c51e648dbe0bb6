#include "core/openmp_environment.h"

#include <unistd.h>

#include <cstdlib>

namespace trainbench::core {

void ensure_openmp_wait_policy(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY") != nullptr) return;
  if (setenv("OMP_WAIT_POLICY", kDefaultOpenMpWaitPolicy, 1) != 0) return;
  execv("/proc/self/exe", argv);
  // execv only returns on failure: carry on with libgomp's default policy.
}

}  // namespace trainbench::core
