#pragma once
// LibTorch's CPU kernels run on OpenMP (libgomp). By default its threads
// spin at every barrier; when anything else wants a core (the loader's
// decoding threads, another process), a spinning thread holds the core the
// late thread needs and a training step gets several times slower (measured
// here: 5.7 vs 32.6 images/s with one core busy elsewhere). libgomp reads its
// wait policy once, when it is loaded, so the only way to set it for our own
// process is in the environment before start: main() re-executes itself once
// with OMP_WAIT_POLICY=PASSIVE unless the user has chosen a policy.
namespace trainbench::core {

// The policy trainbench runs with when the user sets none.
inline constexpr const char* kDefaultOpenMpWaitPolicy = "PASSIVE";

// Re-executes the program with OMP_WAIT_POLICY set when it is unset; returns
// (doing nothing) when it is set, or when re-executing is impossible.
void ensure_openmp_wait_policy(char** argv);

}  // namespace trainbench::core
