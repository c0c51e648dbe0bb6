#pragma once
// The data group of `trainbench doctor`: whether the data folder is there and
// has images, which file system holds it (network and virtualised ones cost
// the workload about 20%), and how fast it can be read cold.
//
// check_data_folder measures and hands the numbers to pure evaluate_*
// functions, which the tests call with made-up facts.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "doctor/check.h"

namespace trainbench::doctor {

// ---- The file system under the folder ----

// One line of /proc/self/mounts, octal escapes (\040 for a space) decoded.
struct MountEntry {
  std::string source;       // "C:\\", "server:/export", "/dev/nvme0n1p2"
  std::string mount_point;  // "/mnt/c"
  std::string type;         // "9p", "ext4", "fuse.sshfs"
};

std::vector<MountEntry> parse_mounts(const std::string& text);

// The mount that holds `absolute_path`: the longest mount point that is the
// path or one of its parents (the later line wins a tie: it is mounted over
// the earlier one); nullopt when none matches.
std::optional<MountEntry> find_mount(const std::vector<MountEntry>& mounts, const std::string& absolute_path);

// statfs's f_type as a name ("ext4", "nfs", "9p", "fuse", ...), or "0x..." when unknown.
std::string filesystem_type_name(unsigned long magic);

// Whether reads there go through a network or a virtual machine's file sharing.
bool is_slow_filesystem(const std::string& type);

// "/mnt/c/..." on WSL is a Windows drive shared into the Linux VM over 9p.
bool is_wsl_windows_drive(const std::string& absolute_path, bool wsl);

struct FileSystemFacts {
  std::string path;         // the folder, absolute
  std::string type;         // "ext4", "9p", ...
  std::string mount_point;  // empty when only statfs answered
  std::string source;
  bool wsl = false;  // /proc/version mentions Microsoft
};

CheckResult evaluate_filesystem(const FileSystemFacts& facts);

// ---- Cold read throughput ----

struct ReadPhase {
  std::size_t files = 0;
  std::uint64_t bytes = 0;
  double seconds = 0;
};

struct ReadMeasurement {
  ReadPhase sequential;  // whole files in sorted order (how a folder is usually laid out on disk)
  ReadPhase random;      // other files in shuffled order (how training reads them)
  std::size_t failed = 0;  // files that could not be opened or read
};

struct ReadLimits {
  double max_seconds = 2.0;
  std::uint64_t max_bytes = 256ull * 1024 * 1024;
};

// Reads the first files in order for half the budget, then the others in a
// shuffled order for the rest, each after posix_fadvise(DONTNEED) so that
// the page cache does not answer for the disk where the file system allows
// dropping it. One thread: a lower bound for the loader's parallel reads.
ReadMeasurement measure_read_throughput(const std::vector<std::filesystem::path>& sorted_files,
                                        const ReadLimits& limits = {});

// An H100 trains about 2000 images/s at 288 px; below this the disk, not the
// GPU, would set the pace even with several loader threads.
inline constexpr double kMinImagesPerSecond = 500.0;

CheckResult evaluate_read_throughput(const ReadMeasurement& measurement,
                                     double min_images_per_second = kMinImagesPerSecond);

// ---- The folder itself ----

// Image files (.jpg/.jpeg/.png) under `folder`, sorted, at most `limit` of
// them (the read test needs a sample, not a census of 150,000 files).
std::vector<std::filesystem::path> list_image_files(const std::filesystem::path& folder, std::size_t limit);

std::vector<CheckResult> check_data_folder(const core::SystemView& system, const std::filesystem::path& data);

}  // namespace trainbench::doctor
