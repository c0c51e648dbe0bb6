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

}  // namespace trainbench::core
