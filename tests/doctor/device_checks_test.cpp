#include "doctor/device_checks.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "core/host_facts.h"
#include "doctor/check_lookup.h"
#include "test_support.h"

namespace trainbench::doctor {
namespace {
namespace fs = std::filesystem;

// A fake machine: /sys, /dev and /proc files under a temp folder.
class FakeMachine {
 public:
  FakeMachine() { fs::create_directories(dir_.path() / "sys/bus/pci/devices"); }

  core::SystemView view() const {
    core::SystemView view;
    view.root = dir_.path();
    return view;
  }

  void write(const std::string& absolute, const std::string& text) const {
    const fs::path path = view().path(absolute);
    fs::create_directories(path.parent_path());
    std::ofstream(path) << text;
  }

  // A PCI function with the given ids; `driver` empty for none bound.
  void add_pci(const std::string& address, unsigned vendor, unsigned device, unsigned pci_class,
               const std::string& driver = "", const std::string& render_node = "") const {
    const std::string base = "/sys/bus/pci/devices/" + address;
    write(base + "/vendor", hex(vendor, 4));
    write(base + "/device", hex(device, 4));
    write(base + "/class", hex(pci_class, 6));
    // Dangling on purpose: the real target is /sys/bus/pci/drivers/<name>.
    if (!driver.empty()) fs::create_directory_symlink("../../../bus/pci/drivers/" + driver, view().path(base + "/driver"));
    if (!render_node.empty()) {
      fs::create_directories(view().path(base + "/drm/" + render_node));
      write("/dev/dri/" + render_node, "");
    }
  }

 private:
  static std::string hex(unsigned value, int digits) {
    char text[16];
    std::snprintf(text, sizeof text, "0x%0*x\n", digits, value);
    return text;
  }
  testing::TempDir dir_;
};

LibTorchFacts cpu_only_libtorch() {
  LibTorchFacts torch;
  torch.version = "1.13.1";
  torch.devices = {{"cpu", "cpu", "Some CPU", -1}};
  return torch;
}

void add_nvidia_driver(const FakeMachine& machine) {
  machine.write("/dev/nvidiactl", "");
  machine.write("/dev/nvidia0", "");
  machine.write("/proc/driver/nvidia/version",
                "NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.14  Thu Feb 22 01:44:30 UTC 2024\n"
                "GCC version:  gcc version 12.2.0 (Debian 12.2.0-14)\n");
}

TEST(DoctorDevices, NvidiaGpuWithCpuOnlyLibTorchWarnsToBuildWithCuda) {
  FakeMachine machine;
  machine.add_pci("0000:01:00.0", kVendorNvidia, 0x2330, 0x030200, "nvidia");
  add_nvidia_driver(machine);
  const MachineGpuFacts facts = gather_machine_gpu_facts(machine.view());
  ASSERT_EQ(facts.gpus.size(), 1u);
  EXPECT_EQ(facts.gpus[0].driver, "nvidia");
  EXPECT_EQ(facts.nvidia_driver_version, "550.54.14");
  EXPECT_TRUE(facts.nvidia_control_node);
  EXPECT_TRUE(facts.denied_nodes.empty());

  const auto results = evaluate_devices(cpu_only_libtorch(), facts);
  const CheckResult* gpu = find(results, "gpu 0000:01:00.0");
  ASSERT_NE(gpu, nullptr);
  EXPECT_EQ(gpu->group, "devices");
  EXPECT_EQ(gpu->status, Status::kWarn) << gpu->evidence;
  EXPECT_TRUE(contains(gpu->evidence, "CPU-only")) << gpu->evidence;
  EXPECT_TRUE(contains(gpu->advice, "CUDA")) << gpu->advice;

  const CheckResult* runtime = find(results, "runtime");
  ASSERT_NE(runtime, nullptr);
  EXPECT_TRUE(contains(runtime->evidence, "CUDA runtime none")) << runtime->evidence;
  EXPECT_TRUE(contains(runtime->evidence, "550.54.14")) << runtime->evidence;
}

TEST(DoctorDevices, NvidiaGpuWithoutDriverFails) {
  FakeMachine machine;
  machine.add_pci("0000:01:00.0", kVendorNvidia, 0x2684, 0x030000, "nouveau");
  LibTorchFacts torch = cpu_only_libtorch();
  torch.version = "2.5.1";
  torch.cuda_runtime = "12.4";
  const auto results = evaluate_devices(torch, gather_machine_gpu_facts(machine.view()));
  const CheckResult* gpu = find(results, "gpu 0000:01:00.0");
  ASSERT_NE(gpu, nullptr);
  EXPECT_EQ(gpu->status, Status::kFail);
  EXPECT_TRUE(contains(gpu->evidence, "driver is not loaded")) << gpu->evidence;
  EXPECT_TRUE(contains(gpu->evidence, "nouveau")) << gpu->evidence;
  EXPECT_TRUE(contains(gpu->advice, "nvidia-smi")) << gpu->advice;
}

TEST(DoctorDevices, UsableCudaDeviceIsListedAndNotReportedAsUnused) {
  FakeMachine machine;
  machine.add_pci("0000:00:02.0", kVendorIntel, 0x4680, 0x030000, "i915", "renderD128");  // integrated graphics
  machine.add_pci("0000:01:00.0", kVendorNvidia, 0x2330, 0x030200, "nvidia");
  add_nvidia_driver(machine);
  LibTorchFacts torch = cpu_only_libtorch();
  torch.version = "2.5.1";
  torch.cuda_runtime = "12.4";
  torch.can_have_xpu = true;
  torch.devices.push_back({"cuda:0", "cuda", "NVIDIA H100 80GB HBM3", 85'520'809'984});
  const auto results = evaluate_devices(torch, gather_machine_gpu_facts(machine.view()));

  const CheckResult* cuda = find(results, "cuda:0");
  ASSERT_NE(cuda, nullptr);
  EXPECT_EQ(cuda->status, Status::kOk);
  EXPECT_TRUE(contains(cuda->evidence, "H100")) << cuda->evidence;
  EXPECT_TRUE(contains(cuda->evidence, "79.6 GiB")) << cuda->evidence;
  EXPECT_EQ(find(results, "gpu 0000:01:00.0"), nullptr);
  EXPECT_TRUE(contains(find(results, "runtime")->evidence, "CUDA runtime 12.4"));
  // The integrated GPU beside it is not worth a warning.
  const CheckResult* igpu = find(results, "gpu 0000:00:02.0");
  ASSERT_NE(igpu, nullptr);
  EXPECT_EQ(igpu->status, Status::kOk) << igpu->evidence;
  for (const CheckResult& result : results) EXPECT_NE(result.status, Status::kFail) << result.evidence;
}

TEST(DoctorDevices, RenderNodeWithoutPermissionFailsWithGroupAdvice) {
  MachineGpuFacts machine;
  machine.gpus.push_back({"0000:03:00.0", kVendorIntel, 0x56a0, 0x030000, "i915", {"/dev/dri/renderD128"}});
  machine.denied_nodes["/dev/dri/renderD128"] = "render";
  machine.kernel_release = "6.8.0-45-generic";
  LibTorchFacts torch = cpu_only_libtorch();
  torch.version = "2.5.1";
  torch.can_have_xpu = true;
  const auto results = evaluate_unused_gpus(torch, machine);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].status, Status::kFail);
  EXPECT_TRUE(contains(results[0].evidence, "renderD128 (group render)")) << results[0].evidence;
  EXPECT_TRUE(contains(results[0].advice, "usermod -aG render,video")) << results[0].advice;
}

TEST(DoctorDevices, RenderNodeMissingFromContainerFails) {
  FakeMachine machine;
  machine.add_pci("0000:03:00.0", kVendorAmd, 0x744c, 0x030000, "amdgpu", "renderD128");
  fs::remove(machine.view().path("/dev/dri/renderD128"));  // sysfs shows it, /dev does not
  LibTorchFacts torch = cpu_only_libtorch();
  torch.version = "2.5.1";
  torch.hip_runtime = "6.2";
  const MachineGpuFacts facts = gather_machine_gpu_facts(machine.view());
  EXPECT_EQ(facts.missing_nodes, std::vector<std::string>{"/dev/dri/renderD128"});
  const auto results = evaluate_unused_gpus(torch, facts);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].status, Status::kFail);
  EXPECT_TRUE(contains(results[0].advice, "--device /dev/dri")) << results[0].advice;
}

TEST(DoctorDevices, UnreadableRenderNodeIsFoundWithAccess) {
  if (::geteuid() == 0) GTEST_SKIP() << "root may open any file";
  FakeMachine machine;
  machine.add_pci("0000:03:00.0", kVendorIntel, 0x56a0, 0x030000, "i915", "renderD128");
  fs::permissions(machine.view().path("/dev/dri/renderD128"), fs::perms::none);
  const MachineGpuFacts facts = gather_machine_gpu_facts(machine.view());
  EXPECT_EQ(facts.denied_nodes.count("/dev/dri/renderD128"), 1u);
}

TEST(DoctorDevices, IntelArcOnOldKernelFails) {
  FakeMachine machine;
  machine.add_pci("0000:03:00.0", kVendorIntel, 0x56a0, 0x030000, "i915", "renderD128");
  machine.write("/proc/sys/kernel/osrelease", "5.15.0-91-generic\n");
  const auto results = evaluate_intel_arc(gather_machine_gpu_facts(machine.view()));
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].name, "intel-arc 0000:03:00.0");
  EXPECT_EQ(results[0].status, Status::kFail);
  EXPECT_TRUE(contains(results[0].evidence, "5.15.0-91-generic (needs 6.2+)")) << results[0].evidence;
  EXPECT_TRUE(contains(results[0].advice, "upgrade the kernel")) << results[0].advice;
}

TEST(DoctorDevices, IntelArcOnNewKernelWithXeIsOk) {
  FakeMachine machine;
  machine.add_pci("0000:03:00.0", kVendorIntel, 0x56a0, 0x030000, "xe", "renderD128");
  machine.write("/proc/sys/kernel/osrelease", "6.5.0-14-generic\n");
  const auto results = evaluate_intel_arc(gather_machine_gpu_facts(machine.view()));
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].status, Status::kOk) << results[0].evidence << " / " << results[0].advice;
  EXPECT_TRUE(contains(results[0].evidence, "driver xe")) << results[0].evidence;
}

TEST(DoctorDevices, IntelArcWithoutDriverFails) {
  FakeMachine machine;
  machine.add_pci("0000:03:00.0", kVendorIntel, 0xe20b, 0x030000);
  machine.write("/proc/sys/kernel/osrelease", "6.13.2\n");
  const auto results = evaluate_intel_arc(gather_machine_gpu_facts(machine.view()));
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].status, Status::kFail);
  EXPECT_TRUE(contains(results[0].evidence, "driver none")) << results[0].evidence;
}

TEST(DoctorDevices, NoGpuOnThePciBusIsCpuOnly) {
  FakeMachine machine;
  machine.add_pci("0000:00:00.0", kVendorIntel, 0x1237, 0x060000);  // a host bridge, not a GPU
  machine.add_pci("0000:02:00.0", 0x1a03, 0x2000, 0x030000, "ast");  // a server's BMC display (ASPEED)
  const auto results = evaluate_devices(cpu_only_libtorch(), gather_machine_gpu_facts(machine.view()));
  const CheckResult* gpus = find(results, "gpus");
  ASSERT_NE(gpus, nullptr);
  EXPECT_EQ(gpus->status, Status::kOk);
  EXPECT_EQ(gpus->evidence, "CPU only: no GPU found on the PCI bus");
  for (const CheckResult& result : results) EXPECT_EQ(result.status, Status::kOk) << result.evidence;
}

TEST(DoctorDevices, IntegratedIntelGpuAloneIsOkWithAdvice) {
  FakeMachine machine;
  machine.add_pci("0000:00:02.0", kVendorIntel, 0x4680, 0x030000, "i915", "renderD128");
  const auto results = evaluate_devices(cpu_only_libtorch(), gather_machine_gpu_facts(machine.view()));
  const CheckResult* igpu = find(results, "gpu 0000:00:02.0");
  ASSERT_NE(igpu, nullptr);
  EXPECT_EQ(igpu->status, Status::kOk) << igpu->evidence;
  EXPECT_TRUE(contains(igpu->advice, "xpu")) << igpu->advice;
  EXPECT_EQ(find(results, "gpus"), nullptr);
}

TEST(DoctorDevices, HiddenByCudaVisibleDevices) {
  MachineGpuFacts machine;
  machine.gpus.push_back({"0000:01:00.0", kVendorNvidia, 0x2330, 0x030200, "nvidia", {}});
  machine.nvidia_control_node = true;
  machine.nvidia_nodes = {"/dev/nvidia0", "/dev/nvidiactl"};
  machine.cuda_visible_devices = "";
  LibTorchFacts torch = cpu_only_libtorch();
  torch.cuda_runtime = "12.4";
  const auto results = evaluate_unused_gpus(torch, machine);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].status, Status::kWarn);
  EXPECT_TRUE(contains(results[0].evidence, "CUDA_VISIBLE_DEVICES")) << results[0].evidence;
}

TEST(DoctorDevices, ParsesVersionsFromTheirFiles) {
  EXPECT_EQ(core::parse_nvidia_driver_version("NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  560.35.03  "
                                        "Release Build  (dvs-builder@U16-I3-B03-4-3)  Fri Aug 16 21:42:42 UTC 2024\n"),
            "560.35.03");
  EXPECT_EQ(core::parse_nvidia_driver_version("garbage"), "");
  EXPECT_EQ(core::parse_runtime_version("  - C++ Version: 201703\n  - CUDA Runtime 12.4\n  - CuDNN 90.1\n", "CUDA Runtime"),
            "12.4");
  EXPECT_EQ(core::parse_runtime_version("  - Build settings: USE_CUDA=OFF\n", "CUDA Runtime"), "");
  EXPECT_EQ(parse_kernel_version("6.5.0-14-generic"), std::make_pair(6, 5));
  EXPECT_EQ(parse_kernel_version("5.15.153.1-microsoft-standard-WSL2"), std::make_pair(5, 15));
  EXPECT_FALSE(parse_kernel_version("unknown").has_value());
  EXPECT_TRUE(intel_discrete_family(0x56a0).has_value());   // Arc A770
  EXPECT_TRUE(intel_discrete_family(0xe20b).has_value());   // Arc B580
  EXPECT_FALSE(intel_discrete_family(0x4680).has_value());  // Alder Lake UHD 770 (integrated)
}

TEST(DoctorDevices, RealMachineGivesAnAnswer) {
  const auto results = check_devices(core::SystemView::current());
  ASSERT_FALSE(results.empty());
  EXPECT_EQ(results[0].name, "runtime");
  for (const CheckResult& result : results) {
    EXPECT_EQ(result.group, "devices");
    EXPECT_FALSE(result.evidence.empty());
  }
}

}  // namespace
}  // namespace trainbench::doctor
