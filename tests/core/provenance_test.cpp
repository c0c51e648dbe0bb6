// Provenance: os-release parsing, the timestamp's shape, the JSON round trip,
// WSL/container detection on fake trees, and a real collection on this machine.
#include "core/provenance.h"

#include <ATen/Parallel.h>
#include <gtest/gtest.h>
#include <sys/utsname.h>

#include <fstream>
#include <regex>

#include "core/build_info.h"
#include "core/collect_provenance.h"
#include "core/device.h"
#include "core/error.h"
#include "core/torch_compat.h"
#include "core/host_facts.h"
#include "test_support.h"

namespace trainbench::core {
namespace {

TEST(ProvenanceTest, ReadsPrettyNameFromOsRelease) {
  EXPECT_EQ(parse_os_release_pretty_name("NAME=\"Debian GNU/Linux\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\n"),
            "Debian GNU/Linux 12 (bookworm)");
  EXPECT_EQ(parse_os_release_pretty_name("ID=alpine\nPRETTY_NAME=Alpine\n"), "Alpine");
  EXPECT_EQ(parse_os_release_pretty_name("PRETTY_NAME='Fedora Linux 40 (Workstation Edition)'\r\n"),
            "Fedora Linux 40 (Workstation Edition)");
  EXPECT_EQ(parse_os_release_pretty_name("PRETTY_NAME=\"Say \\\"hi\\\" \\$HOME\"\n"), "Say \"hi\" $HOME");
  // A key that only ends in PRETTY_NAME is not it; a missing one is empty.
  EXPECT_EQ(parse_os_release_pretty_name("NOT_PRETTY_NAME=\"x\"\nNAME=Arch\n"), "");
  EXPECT_EQ(parse_os_release_pretty_name(""), "");
}

const std::regex kTimestamp(R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$)");

TEST(ProvenanceTest, TimestampIsUtcIso8601ToTheSecond) {
  const std::string now = utc_timestamp_now();
  EXPECT_TRUE(std::regex_match(now, kTimestamp)) << now;
  EXPECT_GE(now.substr(0, 4), "2024");
}

Provenance full_provenance() {
  Provenance p;
  p.trainbench_version = "0.1.0";
  p.git_commit = "83ab365";
  p.libtorch_version = "2.11.0";
  p.device_name = "NVIDIA H200";
  p.driver_version = "570.124.06";
  p.runtime_version = "CUDA 12.8";
  p.cpu_model = "Intel(R) Xeon(R) Platinum 8480+";
  p.threads = 16;
  p.os = "Ubuntu 24.04.1 LTS";
  p.kernel = "6.8.0-45-generic";
  p.wsl = true;
  p.container = true;
  p.timestamp_utc = "2026-11-27T10:14:14Z";
  return p;
}

TEST(ProvenanceTest, JsonKeysAreTheColumnsAndRoundTrip) {
  const Provenance p = full_provenance();
  const nlohmann::ordered_json json = to_json(p);
  std::vector<std::string> keys, columns;
  for (const auto& item : json.items()) keys.push_back(item.key());
  for (const Column& c : provenance_columns()) columns.push_back(c.name);
  EXPECT_EQ(keys, columns);

  const nlohmann::json text_back = nlohmann::json::parse(json.dump());
  const Provenance back = provenance_from_json(text_back);
  EXPECT_EQ(to_json(back), json);
  EXPECT_EQ(back.threads, 16);
  EXPECT_TRUE(back.wsl);
  EXPECT_EQ(back.runtime_version, "CUDA 12.8");

  // Every field differs from its default, so the comparison covered each.
  const nlohmann::ordered_json defaults = to_json(Provenance{});
  for (const std::string& key : columns) EXPECT_NE(json[key], defaults[key]) << key;

  EXPECT_THROW(provenance_from_json(nlohmann::json{{"threads", "16"}}), UsageError);
  EXPECT_EQ(provenance_from_json(nlohmann::json{{"os", "Arch Linux"}, {"other", 1}}).os, "Arch Linux");
}

TEST(ProvenanceTest, DetectsWslAndContainersFromTheirMarkers) {
  testing::TempDir dir;
  SystemView view;
  view.root = dir.path();
  auto write = [&](const std::string& absolute, const std::string& text) {
    std::filesystem::create_directories(view.path(absolute).parent_path());
    std::ofstream(view.path(absolute)) << text;
  };
  EXPECT_FALSE(is_wsl(view));
  EXPECT_FALSE(in_container(view));
  write("/proc/version", "Linux version 5.15.153.1-microsoft-standard-WSL2 (root@...)\n");
  write("/proc/1/cgroup", "0::/init.scope\n");
  EXPECT_TRUE(is_wsl(view));
  EXPECT_FALSE(in_container(view));
  write("/proc/1/cgroup", "0::/kubepods/besteffort/pod1234\n");
  EXPECT_TRUE(in_container(view));
}

TEST(ProvenanceTest, CollectsThisMachineForTheCpu) {
  const Provenance p = collect_provenance(torch::Device(torch::kCPU));
  EXPECT_EQ(p.trainbench_version, TRAINBENCH_VERSION);
  EXPECT_EQ(p.git_commit, git_commit());
  // Written at build time from this checkout (see cmake/build_info.cmake).
  EXPECT_TRUE(std::regex_match(p.git_commit, std::regex("[0-9a-f]{7,40}(-dirty)?|unknown"))) << p.git_commit;
  // "1.13.1" here (Debian's LibTorch), "2.x.y" on GPU machines.
  EXPECT_EQ(p.libtorch_version, compat::torch_version());
  EXPECT_TRUE(std::regex_match(p.libtorch_version, std::regex(R"(\d+\.\d+\.\d+)"))) << p.libtorch_version;
  EXPECT_EQ(p.cpu_model, cpu_model_name());
  EXPECT_FALSE(p.cpu_model.empty());
  EXPECT_EQ(p.device_name, p.cpu_model);  // the device is the CPU
  EXPECT_EQ(p.threads, at::get_num_threads());
  EXPECT_GE(p.threads, 1);
  EXPECT_EQ(p.driver_version, "");   // no driver for a CPU run, even on a GPU machine
  EXPECT_EQ(p.runtime_version, "");  // nor a runtime
  struct utsname names {};
  ASSERT_EQ(uname(&names), 0);
  EXPECT_EQ(p.kernel, names.release);
  EXPECT_FALSE(p.os.empty());
  EXPECT_TRUE(std::regex_match(p.timestamp_utc, kTimestamp)) << p.timestamp_utc;
}

}  // namespace
}  // namespace trainbench::core
