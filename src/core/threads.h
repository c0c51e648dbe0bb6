#pragma once
// How many CPU cores this process may really use, and setting LibTorch's
// thread pools to match. Debian's LibTorch starts OpenMP with one thread
// unless told otherwise, which silently makes training several times slower.
namespace trainbench::core {

// Cores this process may run on: the CPU affinity mask, further limited by a
// cgroup CPU quota when one is set (containers). At least 1.
int available_cores();

// Sets intra-op threads (0 = available_cores()) and returns the number set.
int configure_threads(int requested);

// Makes tensor ops called from the current thread run on that thread alone.
// For helper threads (loader workers) that run tensor ops while the trainer's
// thread uses the intra-op pool: each thread's OpenMP team would otherwise
// take every core, and the teams would fight over them.
void use_one_compute_thread_here();

}  // namespace trainbench::core
