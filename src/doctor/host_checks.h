#pragma once
// The checks of `trainbench doctor` that look at this host rather than a
// device or a data set: how LibTorch was built and which BLAS it really runs
// on, how many threads it would use here, and the environment around it
// (variables that slow training down, WSL, containers, memory, disk).
//
// Each check_* function measures what it needs and hands the facts to a pure
// evaluate_* function, which the tests call with made-up facts.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "doctor/check.h"

namespace trainbench::doctor {

// ---- Build: LibTorch, its BLAS, and trainbench's own build type ----

// Which BLAS a process has mapped, from the text of /proc/<pid>/maps.
struct BlasLibrary {
  std::string kind;  // "reference", "openblas", "mkl", "blis", "atlas", or "" when none is mapped
  std::string path;  // the mapped file (symlinks resolved), empty when none
};

// Symlinks in `absolute` resolved inside the view's root (an absolute link
// target counts from the root, as it would after chroot).
std::string resolve_in_view(const core::SystemView& view, const std::string& absolute);

BlasLibrary find_blas(const core::SystemView& view, const std::string& maps);
CheckResult evaluate_blas_library(const BlasLibrary& library);

// Rate of a fp32 512x512 matrix product on the CPU in GFLOP/s (a warm-up
// product, then the best of a few).
double measure_matmul_gflops();
// Measured on this project's 2-core x86 machine: Debian's reference BLAS
// (plain loops, one thread) 7.8 GFLOP/s, OpenBLAS 94 on one thread and
// 200-250 on two. A tuned BLAS stays well above this rate even on one small
// core; below it the product runs on plain loops.
inline constexpr double kMinBlasGflops = 15.0;
CheckResult evaluate_matmul_rate(double gflops, const BlasLibrary& library);

CheckResult evaluate_build_type(const std::string& build_type);

std::vector<CheckResult> check_build(const core::SystemView& view);

// ---- Threads: what LibTorch would use by default here ----

struct ThreadFacts {
  int available_cores = 1;   // affinity mask and cgroup quota (core::available_cores)
  int intra_op_threads = 1;  // at::get_num_threads() before anything sets it
  int inter_op_threads = 1;  // at::get_num_interop_threads()
};

ThreadFacts measure_threads();
std::vector<CheckResult> evaluate_threads(const core::SystemView& view, const ThreadFacts& facts);
std::vector<CheckResult> check_threads(const core::SystemView& view);

// ---- Environment: variables, WSL, containers, memory, disk ----

std::vector<CheckResult> evaluate_variables(const core::SystemView& view);
// WSL and containers are recognised by core/host_facts.h.
CheckResult evaluate_wsl(const core::SystemView& view);
CheckResult evaluate_container(const core::SystemView& view);
CheckResult evaluate_memory(const core::SystemView& view);

inline constexpr std::uint64_t kGiB = 1024ull * 1024 * 1024;
// Free bytes on the file system that holds `folder` (or its nearest existing
// parent: the runs folder may not exist yet); nullopt when statvfs fails.
std::optional<std::uint64_t> free_disk_bytes(const std::filesystem::path& folder);
CheckResult evaluate_disk(const std::filesystem::path& folder, std::optional<std::uint64_t> free_bytes);

std::vector<CheckResult> check_environment(const core::SystemView& view, const std::filesystem::path& runs_dir);

}  // namespace trainbench::doctor
