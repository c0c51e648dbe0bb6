#include "core/threads.h"

#include <ATen/Parallel.h>
#include <sched.h>

#include <cmath>
#include <fstream>
#include <string>

#include "core/error.h"

namespace trainbench::core {
namespace {

// cgroup v2 "cpu.max" holds "<quota> <period>" or "max <period>".
int cgroup_core_limit() {
  std::ifstream in("/sys/fs/cgroup/cpu.max");
  std::string quota, period;
  if (in >> quota >> period && quota != "max") {
    const double cores = std::stod(quota) / std::stod(period);
    if (cores > 0) return std::max(1, static_cast<int>(std::ceil(cores)));
  }
  return 0;
}

}  // namespace

int available_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  int cores = 1;
  if (sched_getaffinity(0, sizeof set, &set) == 0) cores = std::max(1, CPU_COUNT(&set));
  const int limit = cgroup_core_limit();
  if (limit > 0 && limit < cores) cores = limit;
  return cores;
}

int configure_threads(int requested) {
  if (requested < 0) throw UsageError("--threads must be 0 (all cores) or a positive number");
  const int threads = requested == 0 ? available_cores() : requested;
  at::set_num_threads(threads);
  return threads;
}

}  // namespace trainbench::core
