// The host checks of `trainbench doctor`, fed fake /proc trees, environments
// and measurements: each check's ok, warn and fail.
#include "doctor/host_checks.h"

#include <gtest/gtest.h>

#include <fstream>

#include "test_support.h"

namespace trainbench::doctor {
namespace {

namespace fs = std::filesystem;

// A fake machine: files under a temp folder that the view treats as "/".
class FakeHost {
 public:
  FakeHost() { view.root = dir.path(); }
  void write(const std::string& absolute, const std::string& text) {
    const fs::path file = view.path(absolute);
    fs::create_directories(file.parent_path());
    std::ofstream(file) << text;
  }
  void link(const std::string& absolute, const std::string& target) {
    const fs::path file = view.path(absolute);
    fs::create_directories(file.parent_path());
    fs::create_symlink(target, file);
  }
  testing::TempDir dir;
  core::SystemView view;
};

const CheckResult& named(const std::vector<CheckResult>& results, const std::string& name) {
  for (const CheckResult& r : results) {
    if (r.name == name) return r;
  }
  throw std::runtime_error("no check named " + name);
}

// A /proc/self/maps line for `path` (fields as the kernel writes them).
std::string map_line(const std::string& path) {
  return "7f3b1ab1b000-7f3b1ab2b000 r-xp 00002000 08:01 1234567                    " + path + "\n";
}

constexpr const char* kReferenceBlas = "/usr/lib/x86_64-linux-gnu/blas/libblas.so.3.11.0";
constexpr const char* kOpenBlas = "/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3";

TEST(DoctorCheckTest, SystemViewReadsUnderItsRootAndItsEnvironment) {
  FakeHost machine;
  machine.write("/proc/version", "Linux version 6.1.0\n");
  EXPECT_EQ(machine.view.read_file("/proc/version").value_or(""), "Linux version 6.1.0\n");
  EXPECT_FALSE(machine.view.read_file("/proc/missing").has_value());
  machine.view.environment["OMP_NUM_THREADS"] = "3";
  EXPECT_EQ(machine.view.env("OMP_NUM_THREADS").value_or(""), "3");
  EXPECT_FALSE(machine.view.env("MKL_NUM_THREADS").has_value());
  EXPECT_EQ(to_string(Status::kOk), "ok");
  EXPECT_EQ(to_string(Status::kWarn), "warn");
  EXPECT_EQ(to_string(Status::kFail), "fail");
}

TEST(DoctorCheckTest, CurrentViewSeesThisProcessEnvironment) {
  ::setenv("TRAINBENCH_DOCTOR_TEST_VARIABLE", "x=y", 1);
  const core::SystemView view = core::SystemView::current();
  EXPECT_EQ(view.env("TRAINBENCH_DOCTOR_TEST_VARIABLE").value_or(""), "x=y");
  ::unsetenv("TRAINBENCH_DOCTOR_TEST_VARIABLE");
  EXPECT_TRUE(view.read_file("/proc/self/maps").has_value());
}

TEST(DoctorBuildTest, ReferenceBlasInMapsFails) {
  FakeHost machine;
  const std::string maps = map_line("/usr/lib/x86_64-linux-gnu/libtorch_cpu.so.1.13.0") + map_line(kReferenceBlas) +
                           map_line("/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblasp-r0.3.21.so") + "7ffd-7ffe rw-p 0 0 0 [stack]\n";
  const BlasLibrary library = find_blas(machine.view, maps);
  EXPECT_EQ(library.kind, "reference");  // the libblas.so.3 LibTorch calls, not OpenBLAS mapped beside it
  EXPECT_EQ(library.path, kReferenceBlas);
  const CheckResult check = evaluate_blas_library(library);
  EXPECT_EQ(check.status, Status::kFail);
  EXPECT_NE(check.advice.find("libopenblas0-pthread"), std::string::npos);
}

TEST(DoctorBuildTest, OpenBlasInMapsIsOk) {
  FakeHost machine;
  const BlasLibrary library = find_blas(machine.view, map_line(kOpenBlas));
  EXPECT_EQ(library.kind, "openblas");
  EXPECT_EQ(evaluate_blas_library(library).status, Status::kOk);
  EXPECT_EQ(find_blas(machine.view, map_line("/opt/intel/lib/libmkl_core.so.2")).kind, "mkl");
  EXPECT_EQ(find_blas(machine.view, map_line("/usr/lib/x86_64-linux-gnu/libblis.so.4")).kind, "blis");
}

TEST(DoctorBuildTest, NoBlasMappedIsOk) {
  FakeHost machine;
  const BlasLibrary library = find_blas(machine.view, map_line("/usr/lib/libtorch_cpu.so"));
  EXPECT_EQ(library.kind, "");
  EXPECT_EQ(evaluate_blas_library(library).status, Status::kOk);
}

TEST(DoctorBuildTest, AlternativesLinksAreFollowedInsideTheRoot) {
  // Debian: libblas.so.3 -> /etc/alternatives/... -> the chosen implementation.
  FakeHost machine;
  machine.write(kReferenceBlas, "");
  machine.link("/usr/lib/x86_64-linux-gnu/blas/libblas.so.3", "libblas.so.3.11.0");
  machine.link("/etc/alternatives/libblas.so.3-x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu/blas/libblas.so.3");
  machine.link("/usr/lib/x86_64-linux-gnu/libblas.so.3", "/etc/alternatives/libblas.so.3-x86_64-linux-gnu");
  EXPECT_EQ(resolve_in_view(machine.view, "/usr/lib/x86_64-linux-gnu/libblas.so.3"), kReferenceBlas);
  const BlasLibrary library = find_blas(machine.view, map_line("/usr/lib/x86_64-linux-gnu/libblas.so.3"));
  EXPECT_EQ(library.kind, "reference");
  EXPECT_EQ(library.path, kReferenceBlas);
}

TEST(DoctorBuildTest, MatmulRateBelowAnyTunedBlasFails) {
  const CheckResult slow = evaluate_matmul_rate(1.2, BlasLibrary{});
  EXPECT_EQ(slow.status, Status::kFail);
  EXPECT_NE(slow.evidence.find("1.2 GFLOP/s"), std::string::npos);
  EXPECT_NE(slow.advice.find("sudo apt-get install libopenblas0-pthread"), std::string::npos);
  EXPECT_EQ(evaluate_matmul_rate(2.0, BlasLibrary{"reference", kReferenceBlas}).status, Status::kFail);
  // A tuned BLAS this slow is held back rather than missing: warn.
  EXPECT_EQ(evaluate_matmul_rate(2.0, BlasLibrary{"openblas", kOpenBlas}).status, Status::kWarn);
  EXPECT_EQ(evaluate_matmul_rate(80.0, BlasLibrary{"openblas", kOpenBlas}).status, Status::kOk);
  EXPECT_EQ(evaluate_matmul_rate(kMinBlasGflops, BlasLibrary{}).status, Status::kOk);
}

TEST(DoctorBuildTest, MatmulProbeMeasuresAPositiveRate) {
  const double gflops = measure_matmul_gflops();
  EXPECT_GT(gflops, 0.0);
  EXPECT_LT(gflops, 1e6);
}

TEST(DoctorBuildTest, UnoptimisedBuildWarns) {
  EXPECT_EQ(evaluate_build_type("Release").status, Status::kOk);
  EXPECT_EQ(evaluate_build_type("RelWithDebInfo").status, Status::kOk);
  EXPECT_EQ(evaluate_build_type("Debug").status, Status::kWarn);
  EXPECT_EQ(evaluate_build_type("").status, Status::kWarn);
}

TEST(DoctorBuildTest, CheckBuildReportsLibTorchAndTheProbe) {
  const std::vector<CheckResult> results = check_build(core::SystemView::current());
  ASSERT_EQ(results.size(), 4u);
  EXPECT_NE(named(results, "libtorch").evidence.find("LibTorch "), std::string::npos);
  EXPECT_NE(named(results, "matmul").evidence.find("GFLOP/s"), std::string::npos);
  for (const CheckResult& r : results) EXPECT_EQ(r.group, "build");
}

TEST(DoctorThreadsTest, AllCoresAndNoVariablesIsOk) {
  FakeHost machine;
  const std::vector<CheckResult> results = evaluate_threads(machine.view, ThreadFacts{8, 8, 8});
  for (const CheckResult& r : results) EXPECT_EQ(r.status, Status::kOk) << r.name << ": " << r.evidence;
  EXPECT_NE(named(results, "intra_op").evidence.find("8 intra-op"), std::string::npos);
}

TEST(DoctorThreadsTest, OneThreadByDefaultIsOkBecauseTrainbenchSetsItsOwn) {
  // Debian's LibTorch starts with one intra-op thread when nothing is set.
  FakeHost machine;
  const CheckResult intra = named(evaluate_threads(machine.view, ThreadFacts{8, 1, 1}), "intra_op");
  EXPECT_EQ(intra.status, Status::kOk);
  EXPECT_NE(intra.evidence.find("trainbench sets 8 itself"), std::string::npos);
}

TEST(DoctorThreadsTest, OmpNumThreadsOneWarnsThatTrainingUsesOneCore) {
  FakeHost machine;
  machine.view.environment["OMP_NUM_THREADS"] = "1";
  const std::vector<CheckResult> results = evaluate_threads(machine.view, ThreadFacts{8, 1, 8});
  const CheckResult& variable = named(results, "omp_num_threads");
  EXPECT_EQ(variable.status, Status::kWarn);
  EXPECT_NE(variable.evidence.find("1 of 8 cores"), std::string::npos);
  EXPECT_NE(variable.advice.find("unset OMP_NUM_THREADS"), std::string::npos);
  const CheckResult& intra = named(results, "intra_op");
  EXPECT_EQ(intra.status, Status::kWarn);
  EXPECT_NE(intra.evidence.find("because of OMP_NUM_THREADS"), std::string::npos);
}

TEST(DoctorThreadsTest, MoreThreadsThanCoresWarns) {
  FakeHost machine;
  machine.view.environment["OMP_NUM_THREADS"] = "999";
  machine.view.environment["MKL_NUM_THREADS"] = "1";
  machine.view.environment["OPENBLAS_NUM_THREADS"] = "four";
  const std::vector<CheckResult> results = evaluate_threads(machine.view, ThreadFacts{4, 999, 4});
  EXPECT_EQ(named(results, "omp_num_threads").status, Status::kWarn);
  EXPECT_NE(named(results, "omp_num_threads").advice.find("set it to 4"), std::string::npos);
  EXPECT_EQ(named(results, "intra_op").status, Status::kWarn);
  EXPECT_EQ(named(results, "mkl_num_threads").status, Status::kWarn);
  EXPECT_EQ(named(results, "openblas_num_threads").status, Status::kWarn);
}

TEST(DoctorThreadsTest, OneOnAOneCoreMachineIsOk) {
  FakeHost machine;
  machine.view.environment["OMP_NUM_THREADS"] = "1";
  const std::vector<CheckResult> results = evaluate_threads(machine.view, ThreadFacts{1, 1, 1});
  EXPECT_EQ(named(results, "omp_num_threads").status, Status::kOk);
  EXPECT_EQ(named(results, "intra_op").status, Status::kOk);
}

TEST(DoctorThreadsTest, ActiveWaitPolicyWarns) {
  FakeHost machine;
  EXPECT_EQ(named(evaluate_threads(machine.view, ThreadFacts{2, 2, 2}), "omp_wait_policy").status, Status::kOk);
  machine.view.environment["OMP_WAIT_POLICY"] = "passive";
  EXPECT_EQ(named(evaluate_threads(machine.view, ThreadFacts{2, 2, 2}), "omp_wait_policy").status, Status::kOk);
  machine.view.environment["OMP_WAIT_POLICY"] = "ACTIVE";
  const CheckResult policy = named(evaluate_threads(machine.view, ThreadFacts{2, 2, 2}), "omp_wait_policy");
  EXPECT_EQ(policy.status, Status::kWarn);
  EXPECT_NE(policy.advice.find("PASSIVE"), std::string::npos);
}

TEST(DoctorThreadsTest, OpenBlasThreadsThatSpinLongWarn) {
  FakeHost machine;
  EXPECT_EQ(named(evaluate_threads(machine.view, ThreadFacts{2, 2, 2}), "openblas_thread_timeout").status, Status::kOk);
  machine.view.environment["OPENBLAS_THREAD_TIMEOUT"] = "4";
  EXPECT_EQ(named(evaluate_threads(machine.view, ThreadFacts{2, 2, 2}), "openblas_thread_timeout").status, Status::kOk);
  machine.view.environment["OPENBLAS_THREAD_TIMEOUT"] = "28";
  const CheckResult spin = named(evaluate_threads(machine.view, ThreadFacts{2, 2, 2}), "openblas_thread_timeout");
  EXPECT_EQ(spin.status, Status::kWarn);
  EXPECT_NE(spin.evidence.find("2^28 cycles"), std::string::npos) << spin.evidence;
  EXPECT_NE(spin.advice.find("unset OPENBLAS_THREAD_TIMEOUT"), std::string::npos);
}

TEST(DoctorThreadsTest, MeasuredFactsAreSane) {
  const ThreadFacts facts = measure_threads();
  EXPECT_GE(facts.available_cores, 1);
  EXPECT_GE(facts.intra_op_threads, 1);
  EXPECT_GE(facts.inter_op_threads, 1);
}

TEST(DoctorEnvironmentTest, CudaLaunchBlockingWarns) {
  FakeHost machine;
  EXPECT_EQ(named(evaluate_variables(machine.view), "cuda_launch_blocking").status, Status::kOk);
  machine.view.environment["CUDA_LAUNCH_BLOCKING"] = "0";
  EXPECT_EQ(named(evaluate_variables(machine.view), "cuda_launch_blocking").status, Status::kOk);
  machine.view.environment["CUDA_LAUNCH_BLOCKING"] = "1";
  const CheckResult blocking = named(evaluate_variables(machine.view), "cuda_launch_blocking");
  EXPECT_EQ(blocking.status, Status::kWarn);
  EXPECT_NE(blocking.advice.find("unset CUDA_LAUNCH_BLOCKING"), std::string::npos);
}

TEST(DoctorEnvironmentTest, DeterminismVariablesWarnAndIpexLayoutIsExplained) {
  FakeHost machine;
  EXPECT_EQ(named(evaluate_variables(machine.view), "deterministic").status, Status::kOk);
  machine.view.environment["CUBLAS_WORKSPACE_CONFIG"] = ":4096:8";
  machine.view.environment["IPEX_XPU_ONEDNN_LAYOUT"] = "1";
  const std::vector<CheckResult> results = evaluate_variables(machine.view);
  EXPECT_EQ(named(results, "deterministic").status, Status::kWarn);
  EXPECT_NE(named(results, "deterministic").evidence.find("CUBLAS_WORKSPACE_CONFIG=:4096:8"), std::string::npos);
  const CheckResult& layout = named(results, "ipex_xpu_onednn_layout");
  EXPECT_NE(layout.evidence.find("IPEX_XPU_ONEDNN_LAYOUT=1"), std::string::npos);
  EXPECT_NE(layout.evidence.find("newer IPEX"), std::string::npos);
}

TEST(DoctorEnvironmentTest, WslIsRecognisedFromProcVersion) {
  FakeHost machine;
  EXPECT_EQ(evaluate_wsl(machine.view).evidence, "no /proc/version: not WSL");
  machine.write("/proc/version", "Linux version 6.1.0-13-amd64 (debian-kernel@lists.debian.org)\n");
  EXPECT_EQ(evaluate_wsl(machine.view).evidence, "not WSL");
  machine.write("/proc/version", "Linux version 5.15.133.1-microsoft-standard-WSL2 (root@1c602f52c2e4)\n");
  const CheckResult wsl2 = evaluate_wsl(machine.view);
  EXPECT_EQ(wsl2.status, Status::kOk);
  EXPECT_NE(wsl2.evidence.find("WSL 2"), std::string::npos);
  machine.write("/proc/version", "Linux version 4.4.0-19041-Microsoft (Microsoft@Microsoft.com)\n");
  const CheckResult wsl1 = evaluate_wsl(machine.view);
  EXPECT_EQ(wsl1.status, Status::kWarn);
  EXPECT_NE(wsl1.advice.find("wsl --set-version"), std::string::npos);
}

TEST(DoctorEnvironmentTest, ContainerMarkersAreFound) {
  {
    FakeHost machine;
    machine.write("/proc/1/cgroup", "0::/init.scope\n");
    EXPECT_EQ(evaluate_container(machine.view).evidence, "not in a container");
  }
  {
    FakeHost machine;
    machine.write("/.dockerenv", "");
    EXPECT_NE(evaluate_container(machine.view).evidence.find("/.dockerenv"), std::string::npos);
  }
  {
    FakeHost machine;
    machine.write("/run/.containerenv", "engine=\"podman\"\n");
    EXPECT_NE(evaluate_container(machine.view).evidence.find("/run/.containerenv"), std::string::npos);
  }
  {
    FakeHost machine;
    machine.write("/proc/1/cgroup", "12:cpu:/kubepods/besteffort/pod1234\n");
    EXPECT_NE(evaluate_container(machine.view).evidence.find("kubepods"), std::string::npos);
  }
}

std::string meminfo(long available_kib, long swap_total_kib, long swap_free_kib) {
  return "MemTotal:       16303492 kB\nMemFree:          812344 kB\nMemAvailable:   " + std::to_string(available_kib) +
         " kB\nBuffers:          263424 kB\nSwapTotal:      " + std::to_string(swap_total_kib) +
         " kB\nSwapFree:       " + std::to_string(swap_free_kib) + " kB\n";
}

TEST(DoctorEnvironmentTest, LowAvailableMemoryWarns) {
  FakeHost machine;
  EXPECT_EQ(evaluate_memory(machine.view).status, Status::kWarn);  // unreadable
  machine.write("/proc/meminfo", meminfo(12 * 1024 * 1024, 2 * 1024 * 1024, 1024 * 1024));
  const CheckResult plenty = evaluate_memory(machine.view);
  EXPECT_EQ(plenty.status, Status::kOk);
  EXPECT_EQ(plenty.evidence, "12.0 GiB of 15.5 GiB memory available, 1.0 GiB of 2.0 GiB swap free");
  machine.write("/proc/meminfo", meminfo(3 * 1024 * 1024, 0, 0));
  const CheckResult low = evaluate_memory(machine.view);
  EXPECT_EQ(low.status, Status::kWarn);
  EXPECT_EQ(low.evidence, "3.0 GiB of 15.5 GiB memory available, no swap");
}

TEST(DoctorEnvironmentTest, DiskThresholds) {
  EXPECT_EQ(evaluate_disk("runs", 100 * kGiB).status, Status::kOk);
  const CheckResult low = evaluate_disk("runs", 3 * kGiB);
  EXPECT_EQ(low.status, Status::kWarn);
  EXPECT_EQ(low.evidence, "3.0 GiB free for runs in runs");
  EXPECT_EQ(evaluate_disk("runs", kGiB / 2).status, Status::kFail);
  EXPECT_EQ(evaluate_disk("runs", std::nullopt).status, Status::kWarn);
}

TEST(DoctorEnvironmentTest, FreeDiskIsMeasuredForAFolderNotYetMade) {
  testing::TempDir dir;
  const std::optional<std::uint64_t> free_bytes = free_disk_bytes(dir / "not" / "made" / "yet");
  ASSERT_TRUE(free_bytes.has_value());
  EXPECT_GT(*free_bytes, 0u);
}

}  // namespace
}  // namespace trainbench::doctor
