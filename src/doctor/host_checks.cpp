#include "doctor/host_checks.h"

#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <sys/statvfs.h>
#include <torch/cuda.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <sstream>
#include <system_error>

#include "core/host_facts.h"
#include "core/text.h"
#include "core/thread_pool_environment.h"
#include "core/threads.h"
#include "core/torch_compat.h"

namespace trainbench::doctor {
namespace {

CheckResult result(const std::string& group, const std::string& name, Status status, std::string evidence,
                   std::string advice = "") {
  return CheckResult{group, name, status, std::move(evidence), std::move(advice)};
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::string file_name(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string format_gib(std::uint64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f GiB", static_cast<double>(bytes) / static_cast<double>(kGiB));
  return text;
}

// A whole number, or nullopt for anything else (empty, signs, trailing text).
std::optional<long> parse_count(const std::string& text) {
  if (text.empty() || text.size() > 9 || !std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); })) {
    return std::nullopt;
  }
  return std::stol(text);
}

// The BLAS a mapped file is, from its name and folder; "" when it is none.
std::string blas_kind(const std::string& path) {
  const std::string name = core::lowercase(file_name(path));
  const std::string folder = core::lowercase(path.substr(0, path.size() - file_name(path).size()));
  if (name.rfind("libopenblas", 0) == 0) return "openblas";
  if (name.rfind("libmkl", 0) == 0) return "mkl";
  if (name.rfind("libblis", 0) == 0) return "blis";
  if (name.rfind("libblas.so", 0) == 0) {
    // Debian's alternatives: each implementation puts its own libblas.so.3 in
    // its own folder; the reference one (netlib loops) lives in blas/.
    if (contains(folder, "openblas")) return "openblas";
    if (contains(folder, "blis")) return "blis";
    if (contains(folder, "atlas")) return "atlas";
    if (contains(folder, "mkl")) return "mkl";
    return "reference";
  }
  return "";
}

// Which implementation answers a BLAS call when several are mapped: the one
// behind libblas.so.3 (what LibTorch links on Debian) comes first, because
// an optimised library mapped for LAPACK's sake does not serve those calls.
int blas_rank(const std::string& path, const std::string& kind) {
  const bool generic = core::lowercase(file_name(path)).rfind("libblas.so", 0) == 0;
  if (generic) return 0;
  return kind == "mkl" ? 1 : kind == "openblas" ? 2 : 3;
}

}  // namespace

// ---------------------------------------------------------------- build ----

std::string resolve_in_view(const core::SystemView& view, const std::string& absolute) {
  std::string current = absolute;
  for (int hop = 0; hop < 16; ++hop) {  // 16: loops end here, chains never get near it
    std::error_code error;
    const std::filesystem::path target = std::filesystem::read_symlink(view.path(current), error);
    if (error) break;
    const std::string next = target.is_absolute()
                                 ? target.string()
                                 : (std::filesystem::path(current).parent_path() / target).lexically_normal().string();
    current = next;
  }
  return current;
}

BlasLibrary find_blas(const core::SystemView& view, const std::string& maps) {
  BlasLibrary best;
  int best_rank = 1000;
  std::istringstream lines(maps);
  std::string line;
  while (std::getline(lines, line)) {
    // address perms offset dev inode path; the path starts at the first '/'.
    const auto slash = line.find('/');
    if (slash == std::string::npos) continue;
    std::string path = line.substr(slash);
    const auto deleted = path.find(" (deleted)");
    if (deleted != std::string::npos) path.erase(deleted);
    if (blas_kind(path).empty()) continue;
    path = resolve_in_view(view, path);
    const std::string kind = blas_kind(path);
    if (kind.empty()) continue;
    const int rank = blas_rank(path, kind);
    if (rank < best_rank) {
      best = BlasLibrary{kind, path};
      best_rank = rank;
    }
  }
  return best;
}

CheckResult evaluate_blas_library(const BlasLibrary& library) {
  if (library.kind.empty()) {
    return result("build", "blas", Status::kOk,
                  "no BLAS library mapped separately: LibTorch carries its own (PyTorch wheels link MKL in)");
  }
  if (library.kind == "reference") {
    return result("build", "blas", Status::kFail,
                  "the reference BLAS (plain loops, one thread) serves LibTorch's matrix products: " + library.path,
                  "sudo apt-get install libopenblas0-pthread (Debian's update-alternatives then picks it)");
  }
  return result("build", "blas", Status::kOk, library.kind + ": " + library.path);
}

double measure_matmul_gflops() {
  constexpr int64_t kSize = 512;
  constexpr int kRepeats = 3;
  const at::Tensor a = at::rand({kSize, kSize});
  const at::Tensor b = at::rand({kSize, kSize});
  at::Tensor c = at::mm(a, b);  // warm-up: thread pools, page faults
  double best_seconds = 1e30;
  for (int repeat = 0; repeat < kRepeats; ++repeat) {
    const auto start = std::chrono::steady_clock::now();
    c = at::mm(a, b);
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
    best_seconds = std::min(best_seconds, elapsed.count());
  }
  // Keep the result alive until here so the products cannot be dropped.
  if (!c.defined()) return 0.0;
  return 2.0 * kSize * kSize * kSize / std::max(best_seconds, 1e-9) / 1e9;
}

CheckResult evaluate_matmul_rate(double gflops, const BlasLibrary& library) {
  char evidence[160];
  std::snprintf(evidence, sizeof evidence, "fp32 512x512 matrix product: %.1f GFLOP/s", gflops);
  if (gflops >= kMinBlasGflops) return result("build", "matmul", Status::kOk, evidence);
  if (library.kind.empty() || library.kind == "reference") {
    return result("build", "matmul", Status::kFail,
                  std::string(evidence) + ", the rate of the reference BLAS (any tuned BLAS does several times more on one core)",
                  "sudo apt-get install libopenblas0-pthread (Debian's update-alternatives then picks it)");
  }
  // A tuned BLAS this slow: its threads were held back or the cores are busy.
  return result("build", "matmul", Status::kWarn,
                std::string(evidence) + " although " + library.kind + " is mapped",
                "check that no other process holds the cores and that OPENBLAS_NUM_THREADS/OMP_NUM_THREADS are not 1");
}

CheckResult evaluate_build_type(const std::string& build_type) {
  // RelWithDebInfo and MinSizeRel are optimised too; only unoptimised builds
  // make trainbench's own code (loader, augmentation) slow.
  if (build_type == "Release" || build_type == "RelWithDebInfo" || build_type == "MinSizeRel") {
    return result("build", "build_type", Status::kOk, "trainbench built as " + build_type);
  }
  return result("build", "build_type", Status::kWarn,
                "trainbench built as " + (build_type.empty() ? std::string("(no build type, unoptimised)") : build_type),
                "rebuild with: cmake -S . -B build -DCMAKE_BUILD_TYPE=Release && cmake --build build");
}

namespace {

std::string yes_no(bool value) { return value ? "yes" : "no"; }

// The lines of at::get_parallel_info() that name the OpenMP runtime and the
// parallel backend, e.g. "OpenMP 201511 (a.k.a. OpenMP 4.5)".
std::string openmp_summary() {
  std::istringstream info(at::get_parallel_info());
  std::string line, openmp = "no OpenMP", backend;
  while (std::getline(info, line)) {
    if (line.rfind("OpenMP", 0) == 0) openmp = line;
    if (line.rfind("ATen parallel backend:", 0) == 0) backend = line.substr(std::string("ATen parallel backend: ").size());
  }
  return openmp + (backend.empty() ? "" : ", parallel backend " + backend);
}

CheckResult libtorch_backends() {
  const bool cuda = torch::cuda::is_available();
  std::string evidence = "LibTorch " + compat::torch_version() + "; CUDA " + yes_no(cuda) +
                         (cuda ? ", cuDNN " + yes_no(torch::cuda::cudnn_is_available()) : std::string()) +
                         ", oneDNN " + yes_no(at::hasMKLDNN()) + ", XPU " + yes_no(compat::xpu_device_count() > 0) +
                         ", MPS " + yes_no(compat::mps_available()) + "; " + openmp_summary();
  return result("build", "libtorch", Status::kOk, evidence);
}

}  // namespace

std::vector<CheckResult> check_build(const core::SystemView& view) {
  std::vector<CheckResult> results;
  results.push_back(libtorch_backends());
  const BlasLibrary library = find_blas(view, view.read_file("/proc/self/maps").value_or(""));
  results.push_back(evaluate_blas_library(library));
  results.push_back(evaluate_matmul_rate(measure_matmul_gflops(), library));
  results.push_back(evaluate_build_type(TRAINBENCH_BUILD_TYPE));
  return results;
}

// -------------------------------------------------------------- threads ----

ThreadFacts measure_threads() {
  ThreadFacts facts;
  facts.available_cores = core::available_cores();
  facts.intra_op_threads = at::get_num_threads();
  facts.inter_op_threads = at::get_num_interop_threads();
  return facts;
}

namespace {

// The longest spin of OpenBLAS's idle threads (2^N cycles) measured to cost
// nothing on 2 cores: 4 and 14 gave the same speed, 28 (its default) lost a
// fifth of convnext_tiny's (bench/results/cpu-thread-pools.md).
constexpr int kLongestHarmlessOpenBlasSpin = 14;

// A variable that decides whether a pool's idle threads spin, which
// trainbench sets to `ours` for itself when it is unset
// (core/thread_pool_environment.h), so the doctor, a trainbench process,
// sees it set then. `spin_cost` says what a value costs ("" for nothing).
CheckResult idle_thread_variable(const core::SystemView& view, const std::string& variable, const std::string& ours,
                                 const std::function<std::string(const std::string&)>& spin_cost) {
  const std::string name = core::lowercase(variable);
  const std::optional<std::string> value = view.env(variable);
  const std::string cost = value ? spin_cost(*value) : "";
  if (!cost.empty()) {
    return result("threads", name, Status::kWarn, variable + "=" + *value + ": " + cost,
                  "unset " + variable + " (trainbench then runs itself with " + ours + ") or set it to " + ours);
  }
  const std::string sets = "trainbench sets " + ours + " for itself";
  return result("threads", name, Status::kOk,
                value ? variable + "=" + *value + " (" + sets + " when unset)" : variable + " unset (" + sets + ")");
}

// OMP_NUM_THREADS and friends: 1 quietly starves LibTorch and its BLAS of
// cores; more than the cores oversubscribes them. `readers` names who follows
// the variable, `when_one` what a 1 costs training.
CheckResult thread_variable(const core::SystemView& view, const std::string& variable, const std::string& readers,
                            const std::string& when_one, int cores) {
  const std::string name = core::lowercase(variable);
  const std::optional<std::string> value = view.env(variable);
  const std::string cores_text = std::to_string(cores);
  const std::string advice = "unset " + variable + " (or set it to " + cores_text + ")";
  if (!value) return result("threads", name, Status::kOk, variable + " unset (read by " + readers + ")");
  const std::string setting = variable + "=" + *value;
  const std::optional<long> count = parse_count(*value);
  if (!count || *count < 1) {
    return result("threads", name, Status::kWarn, setting + " is not a positive number (read by " + readers + ")", advice);
  }
  if (*count == 1 && cores > 1) {
    return result("threads", name, Status::kWarn, setting + ": training would use 1 of " + cores_text + " cores " + when_one,
                  advice);
  }
  if (*count > cores) {
    return result("threads", name, Status::kWarn,
                  setting + ": more threads than the " + cores_text + " cores available, so they wait on each other",
                  advice);
  }
  return result("threads", name, Status::kOk, setting + " (" + cores_text + " cores available)");
}

}  // namespace

std::vector<CheckResult> evaluate_threads(const core::SystemView& view, const ThreadFacts& facts) {
  std::vector<CheckResult> results;
  const int cores = facts.available_cores;
  const std::string cores_text = std::to_string(cores);
  const std::string intra = std::to_string(facts.intra_op_threads);
  const std::string defaults = "LibTorch's default here: " + intra + " intra-op and " +
                               std::to_string(facts.inter_op_threads) + " inter-op threads, " + cores_text +
                               " cores available";
  if (facts.intra_op_threads < cores && view.env("OMP_NUM_THREADS").has_value()) {
    results.push_back(result("threads", "intra_op", Status::kWarn,
                             defaults + " (training would use " + intra + " of " + cores_text +
                                 " cores, because of OMP_NUM_THREADS)",
                             "unset OMP_NUM_THREADS; trainbench train/eval then take all " + cores_text +
                                 " cores with --threads 0 (the default)"));
  } else if (facts.intra_op_threads < cores) {
    // Debian's LibTorch starts OpenMP with one thread; trainbench's commands
    // set their own pool (core::configure_threads), so only other LibTorch
    // programs pay for it.
    results.push_back(result("threads", "intra_op", Status::kOk,
                             defaults + "; trainbench sets " + cores_text +
                                 " itself (--threads 0), other LibTorch programs need at::set_num_threads(" +
                                 cores_text + ")"));
  } else if (facts.intra_op_threads > cores) {
    results.push_back(result("threads", "intra_op", Status::kWarn, defaults + ": more threads than cores",
                             "run trainbench with --threads 0 (the default), or set OMP_NUM_THREADS=" + cores_text));
  } else {
    results.push_back(result("threads", "intra_op", Status::kOk, defaults));
  }
  // trainbench's --threads 0 resets LibTorch's own pool, but OpenBLAS sizes
  // its threads once, when it is loaded, from these variables.
  results.push_back(thread_variable(view, "OMP_NUM_THREADS", "LibTorch, OpenMP and OpenBLAS",
                                    "in every LibTorch program, and in trainbench's matrix products (OpenBLAS keeps "
                                    "1 thread even where --threads 0 resets LibTorch's pool)",
                                    cores));
  results.push_back(thread_variable(view, "MKL_NUM_THREADS", "MKL", "in MKL's matrix products", cores));
  results.push_back(thread_variable(view, "OPENBLAS_NUM_THREADS", "OpenBLAS", "in OpenBLAS's matrix products", cores));

  // OpenMP threads spin at barriers unless the policy is PASSIVE, and a
  // spinning thread holds a core another thread needs.
  results.push_back(idle_thread_variable(view, "OMP_WAIT_POLICY", core::kDefaultOpenMpWaitPolicy,
                                         [](const std::string& policy) -> std::string {
                                           if (core::lowercase(policy) == "passive") return "";
                                           return "OpenMP threads spin at every barrier and hold cores the loader's "
                                                  "threads need";
                                         }));
  // OpenBLAS's idle threads spin 2^N cycles after each matrix product (N 28,
  // about 0.1 s, unless set), holding the cores OpenMP's threads need next.
  results.push_back(idle_thread_variable(view, "OPENBLAS_THREAD_TIMEOUT", core::kDefaultOpenBlasThreadTimeout,
                                         [](const std::string& timeout) -> std::string {
                                           const int exponent = std::atoi(timeout.c_str());
                                           if (exponent <= kLongestHarmlessOpenBlasSpin) return "";
                                           return "OpenBLAS's threads spin 2^" + std::to_string(exponent) +
                                                  " cycles after every matrix product and hold cores OpenMP's "
                                                  "threads need";
                                         }));
  return results;
}

std::vector<CheckResult> check_threads(const core::SystemView& view) { return evaluate_threads(view, measure_threads()); }

// ---------------------------------------------------------- environment ----

std::vector<CheckResult> evaluate_variables(const core::SystemView& view) {
  std::vector<CheckResult> results;
  const std::optional<std::string> blocking = view.env("CUDA_LAUNCH_BLOCKING");
  if (blocking && *blocking != "0" && !blocking->empty()) {
    results.push_back(result("environment", "cuda_launch_blocking", Status::kWarn,
                             "CUDA_LAUNCH_BLOCKING=" + *blocking + ": every CUDA kernel launch waits for the kernel "
                                                                   "to finish, so the CPU and GPU never overlap",
                             "unset CUDA_LAUNCH_BLOCKING (it is for debugging)"));
  } else {
    results.push_back(result("environment", "cuda_launch_blocking", Status::kOk,
                             blocking ? "CUDA_LAUNCH_BLOCKING=" + *blocking : "CUDA_LAUNCH_BLOCKING unset"));
  }

  // Only Intel Extension for PyTorch (IPEX) reads this, and its advice moved.
  const std::optional<std::string> layout = view.env("IPEX_XPU_ONEDNN_LAYOUT");
  results.push_back(result(
      "environment", "ipex_xpu_onednn_layout", Status::kOk,
      (layout ? "IPEX_XPU_ONEDNN_LAYOUT=" + *layout : std::string("IPEX_XPU_ONEDNN_LAYOUT unset")) +
          ": makes IPEX keep XPU activations in oneDNN's blocked layout; old IPEX advised =1 against slow "
          "convolutions on Arc, newer IPEX picks that layout itself; trainbench's LibTorch ignores it"));

  // Settings that ask for bit-exact runs cost speed (smaller cuBLAS
  // workspaces, slower deterministic kernels) and are easy to leave behind.
  std::string deterministic;
  for (const char* name : {"CUBLAS_WORKSPACE_CONFIG", "TORCH_DETERMINISTIC", "CUDNN_DETERMINISTIC",
                           "TF_DETERMINISTIC_OPS", "TF_CUDNN_DETERMINISTIC"}) {
    const std::optional<std::string> value = view.env(name);
    if (value) deterministic += (deterministic.empty() ? "" : ", ") + std::string(name) + "=" + *value;
  }
  if (!deterministic.empty()) {
    results.push_back(result("environment", "deterministic", Status::kWarn,
                             deterministic + ": set for bit-exact runs, which trade speed for reproducibility",
                             "unset them unless this run must be bit-exact"));
  } else {
    results.push_back(result("environment", "deterministic", Status::kOk, "no determinism variables set"));
  }
  return results;
}


CheckResult evaluate_wsl(const core::SystemView& view) {
  const std::optional<std::string> version = view.read_file("/proc/version");
  if (!version) return result("environment", "wsl", Status::kOk, "no /proc/version: not WSL");
  if (!core::is_wsl(view)) return result("environment", "wsl", Status::kOk, "not WSL");
  const std::string text = core::lowercase(*version);
  // WSL 2 runs a real Linux kernel ("...-microsoft-standard-WSL2"); WSL 1
  // translates system calls ("4.4.0-19041-Microsoft"): no GPU, slow files.
  if (contains(text, "wsl2") || contains(text, "microsoft-standard")) {
    return result("environment", "wsl", Status::kOk,
                  "WSL 2 (keep data in the Linux file system, not under /mnt/<drive>)");
  }
  return result("environment", "wsl", Status::kWarn,
                "WSL 1: no GPU, and every file access goes through a slow translation layer",
                "convert the distribution to WSL 2: wsl --set-version <distro> 2 (in Windows)");
}



CheckResult evaluate_container(const core::SystemView& view) {
  const std::string marker = core::container_marker(view);
  if (marker.empty()) return result("environment", "container", Status::kOk, "not in a container");
  return result("environment", "container", Status::kOk,
                "in a container (" + marker + "); its CPU quota counts in threads/intra_op");
}

CheckResult evaluate_memory(const core::SystemView& view) {
  const std::optional<std::string> meminfo = view.read_file("/proc/meminfo");
  if (!meminfo) return result("environment", "memory", Status::kWarn, "cannot read /proc/meminfo", "check free memory with `free -h`");
  std::optional<std::uint64_t> total, available, swap_total, swap_free;
  std::istringstream lines(*meminfo);
  std::string key;
  std::uint64_t kib = 0;
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    if (!(fields >> key >> kib)) continue;
    const std::uint64_t bytes = kib * 1024;  // meminfo counts in kB (KiB)
    if (key == "MemTotal:") total = bytes;
    if (key == "MemAvailable:") available = bytes;
    if (key == "SwapTotal:") swap_total = bytes;
    if (key == "SwapFree:") swap_free = bytes;
  }
  if (!available || !total) {
    return result("environment", "memory", Status::kWarn, "/proc/meminfo has no MemTotal/MemAvailable",
                  "check free memory with `free -h`");
  }
  std::string evidence = format_gib(*available) + " of " + format_gib(*total) + " memory available, ";
  evidence += (swap_total && *swap_total > 0) ? format_gib(swap_free.value_or(0)) + " of " + format_gib(*swap_total) + " swap free"
                                              : std::string("no swap");
  if (*available < 4 * kGiB) {
    return result("environment", "memory", Status::kWarn, evidence,
                  "close other programs, or lower --batch-size and --workers (the loader's prefetch queue holds batches)");
  }
  return result("environment", "memory", Status::kOk, evidence);
}

std::optional<std::uint64_t> free_disk_bytes(const std::filesystem::path& folder) {
  std::error_code error;
  std::filesystem::path existing = std::filesystem::absolute(folder, error);
  if (error) return std::nullopt;
  while (!std::filesystem::exists(existing, error) && existing.has_parent_path() && existing != existing.parent_path()) {
    existing = existing.parent_path();
  }
  struct statvfs info {};
  if (statvfs(existing.c_str(), &info) != 0) return std::nullopt;
  return static_cast<std::uint64_t>(info.f_bavail) * info.f_frsize;
}

CheckResult evaluate_disk(const std::filesystem::path& folder, std::optional<std::uint64_t> free_bytes) {
  if (!free_bytes) {
    return result("environment", "disk", Status::kWarn, "cannot ask the file system of " + folder.string() + " for free space",
                  "check that the runs folder (--runs) is on a mounted, readable file system");
  }
  const std::string evidence = format_gib(*free_bytes) + " free for runs in " + folder.string();
  const std::string advice = "free space there or point --runs at a larger disk (checkpoints and metrics go there)";
  if (*free_bytes < 1 * kGiB) return result("environment", "disk", Status::kFail, evidence, advice);
  if (*free_bytes < 5 * kGiB) return result("environment", "disk", Status::kWarn, evidence, advice);
  return result("environment", "disk", Status::kOk, evidence);
}

std::vector<CheckResult> check_environment(const core::SystemView& view, const std::filesystem::path& runs_dir) {
  std::vector<CheckResult> results = evaluate_variables(view);
  results.push_back(evaluate_wsl(view));
  results.push_back(evaluate_container(view));
  results.push_back(evaluate_memory(view));
  results.push_back(evaluate_disk(runs_dir, free_disk_bytes(runs_dir)));
  return results;
}

}  // namespace trainbench::doctor
