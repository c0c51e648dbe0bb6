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

// OpenMP's per-thread setting, declared weak: LibTorch brings its OpenMP
// runtime (libgomp, or the copy a PyTorch wheel bundles) into the process,
// but we do not link it ourselves, and a build without OpenMP leaves it null.
extern "C" void omp_set_num_threads(int) __attribute__((weak));

void use_one_compute_thread_here() {
  // Only this thread's OpenMP setting; at::set_num_threads would change the
  // process-wide pools that the trainer's thread uses.
  if (omp_set_num_threads != nullptr) omp_set_num_threads(1);
}

}  // namespace trainbench::core
