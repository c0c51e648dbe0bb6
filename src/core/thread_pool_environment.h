#pragma once
// LibTorch's CPU kernels run on two thread pools: OpenMP's (libgomp: convolutions,
// element-wise ops, norms) and OpenBLAS's own pthreads (matrix products:
// every Linear layer). By default both let an idle thread spin: libgomp at
// every barrier, OpenBLAS for 2^28 cycles (~0.1 s) after each matrix
// product. On a machine with as many threads as cores, a spinning thread
// holds the core that the other pool, or the loader's decoding threads,
// needs next. Measured here:
//   - OpenMP's spinning: 5.7 against 32.6 images/s with one core busy elsewhere;
//   - OpenBLAS's spinning: convnext_tiny inference 17.0 against 21.0 images/s, and
//     training 4.6 against 5.8, on 2 cores with nothing else running
//     (bench/results/cpu-thread-pools.md).
// Both libraries read these settings once, when they are loaded, so the only
// way to set them for our own process is in the environment before start:
// main() re-executes itself once with the settings below for whichever of
// the two variables the user has not set.
namespace trainbench::core {

// What trainbench runs with when the user sets none: OpenMP threads sleep at
// barriers; OpenBLAS threads spin 2^4 cycles (its minimum) before sleeping.
inline constexpr const char* kDefaultOpenMpWaitPolicy = "PASSIVE";
inline constexpr const char* kDefaultOpenBlasThreadTimeout = "4";

// Re-executes the program with OMP_WAIT_POLICY and OPENBLAS_THREAD_TIMEOUT
// set where they are unset; returns (doing nothing) when both are set, or
// when re-executing is impossible.
void ensure_idle_threads_sleep(char** argv);

}  // namespace trainbench::core
