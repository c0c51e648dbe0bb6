#include "doctor/data_checks.h"

#include <fcntl.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <random>
#include <sstream>
#include <system_error>

#include "core/text.h"
#include "data/image_folder.h"

namespace trainbench::doctor {
namespace fs = std::filesystem;
namespace {

const char* const kGroup = "data";

// The read test samples this many files at most; listing all of a 150,000
// image data set over 9p alone would take longer than the test.
constexpr std::size_t kMaxListedFiles = 20000;

// /proc/self/mounts writes space, tab, newline and backslash as \ooo.
std::string decode_octal_escapes(const std::string& text) {
  std::string decoded;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 3 < text.size() &&
        std::all_of(text.begin() + static_cast<std::ptrdiff_t>(i) + 1,
                    text.begin() + static_cast<std::ptrdiff_t>(i) + 4, [](char c) { return c >= '0' && c <= '7'; })) {
      decoded += static_cast<char>((text[i + 1] - '0') * 64 + (text[i + 2] - '0') * 8 + (text[i + 3] - '0'));
      i += 3;
    } else {
      decoded += text[i];
    }
  }
  return decoded;
}

using core::format;

double rate(double amount, double seconds) { return amount / std::max(seconds, 1e-6); }

std::string describe_phase(const char* label, const ReadPhase& phase) {
  if (phase.files == 0) return std::string(label) + " none";
  return std::string(label) + " " + format("%.0f", rate(static_cast<double>(phase.files), phase.seconds)) + " files/s";
}

// Reads `path` whole, asking the kernel first to drop its cached pages so the
// read comes from the disk (a no-op on tmpfs, and for pages still dirty).
// nullopt when it cannot be opened or read.
std::optional<std::uint64_t> read_cold(const fs::path& path, std::vector<char>* buffer) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  std::uint64_t total = 0;
  for (;;) {
    const ssize_t got = ::read(fd, buffer->data(), buffer->size());
    if (got == 0) break;
    if (got < 0) {
      ::close(fd);
      return std::nullopt;
    }
    total += static_cast<std::uint64_t>(got);
  }
  ::close(fd);
  return total;
}

// Reads files in the given order until the phase's time or byte budget is
// spent; returns how many of them it went through (read or failed).
std::size_t read_phase(const std::vector<fs::path>& files, double max_seconds, std::uint64_t max_bytes,
                       std::vector<char>* buffer, ReadPhase* phase, std::size_t* failed) {
  const auto start = std::chrono::steady_clock::now();
  std::size_t used = 0;
  for (const fs::path& file : files) {
    if (phase->seconds >= max_seconds || phase->bytes >= max_bytes) break;
    const auto bytes = read_cold(file, buffer);
    ++used;
    if (bytes) {
      ++phase->files;
      phase->bytes += *bytes;
    } else {
      ++*failed;
    }
    phase->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  return used;
}

}  // namespace

std::vector<MountEntry> parse_mounts(const std::string& text) {
  std::vector<MountEntry> mounts;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    MountEntry entry;
    if (!(fields >> entry.source >> entry.mount_point >> entry.type)) continue;
    entry.source = decode_octal_escapes(entry.source);
    entry.mount_point = decode_octal_escapes(entry.mount_point);
    mounts.push_back(entry);
  }
  return mounts;
}

std::optional<MountEntry> find_mount(const std::vector<MountEntry>& mounts, const std::string& absolute_path) {
  std::optional<MountEntry> best;
  for (const MountEntry& entry : mounts) {
    const std::string& point = entry.mount_point;
    const bool holds = point == "/" || absolute_path == point ||
                       (absolute_path.size() > point.size() && absolute_path.compare(0, point.size(), point) == 0 &&
                        absolute_path[point.size()] == '/');
    if (holds && (!best || point.size() >= best->mount_point.size())) best = entry;
  }
  return best;
}

std::string filesystem_type_name(unsigned long magic) {
  // From linux/magic.h and the file systems' own sources; not every one is in
  // the header of every distribution, hence the numbers.
  struct Known {
    unsigned long magic;
    const char* name;
  };
  static const Known kKnown[] = {
      {0xEF53, "ext4"},         {0x58465342, "xfs"},      {0x9123683E, "btrfs"},  {0x01021994, "tmpfs"},
      {0x858458F6, "ramfs"},    {0x2FC12FC1, "zfs"},      {0xF2F52010, "f2fs"},   {0x794C7630, "overlay"},
      {0x6969, "nfs"},          {0xFF534D42, "cifs"},     {0xFE534D42, "smb3"},   {0x517B, "smbfs"},
      {0x01021997, "9p"},       {0x65735546, "fuse"},     {0x786F4256, "vboxsf"}, {0x00C36400, "ceph"},
      {0x5346414F, "afs"},      {0x5346544E, "ntfs"},     {0x2011BAB0, "exfat"},  {0x4D44, "vfat"},
      {0x73717368, "squashfs"}, {0x0BD00BD0, "lustre"},   {0x47504653, "gpfs"},
  };
  for (const Known& known : kKnown) {
    if (known.magic == magic) return known.name;
  }
  char text[32];
  std::snprintf(text, sizeof text, "0x%lx", magic);
  return text;
}

bool is_slow_filesystem(const std::string& type) {
  // fuse.* covers sshfs, gcsfuse, s3fs, rclone, ntfs-3g (fuseblk) and
  // virtio-fs daemons; 9p is WSL 2's /mnt/c and Docker Desktop's bind mounts;
  // drvfs is WSL 1's /mnt/c.
  static const char* const kSlow[] = {"nfs",   "nfs4",     "cifs",   "smb3",   "smb2",   "smbfs",
                                      "9p",    "virtiofs", "vboxsf", "drvfs",  "prl_fs", "vmhgfs",
                                      "ceph",  "afs",      "davfs",  "fuseblk"};
  if (type == "fuse" || type.rfind("fuse.", 0) == 0) return true;
  return std::find_if(std::begin(kSlow), std::end(kSlow), [&](const char* slow) { return type == slow; }) !=
         std::end(kSlow);
}

bool is_wsl_windows_drive(const std::string& absolute_path, bool wsl) {
  // WSL mounts drive C: at /mnt/c, D: at /mnt/d, ...
  return wsl && absolute_path.size() >= 6 && absolute_path.compare(0, 5, "/mnt/") == 0 &&
         std::isalpha(static_cast<unsigned char>(absolute_path[5])) &&
         (absolute_path.size() == 6 || absolute_path[6] == '/');
}

CheckResult evaluate_filesystem(const FileSystemFacts& facts) {
  const std::string type = facts.type.empty() ? "an unknown file system" : facts.type;
  std::string where = facts.path + " is on " + type;
  if (!facts.mount_point.empty()) {
    where += " (mounted at " + facts.mount_point + (facts.source.empty() ? "" : " from " + facts.source) + ")";
  }
  if (is_wsl_windows_drive(facts.path, facts.wsl)) {
    return {kGroup, "file system", Status::kWarn, where + ", a Windows drive that WSL shares into Linux",
            "copy the data set into WSL's own file system (e.g. ~/data): the workload lost about 20% reading from "
            "/mnt/c"};
  }
  if (is_slow_filesystem(facts.type)) {
    return {kGroup, "file system", Status::kWarn, where + ", a network or virtualised file system",
            "copy the data set to a local disk (ext4/xfs on an SSD) or to tmpfs: the workload lost about 20% on "
            "such file systems"};
  }
  return {kGroup, "file system", Status::kOk, where, ""};
}

ReadMeasurement measure_read_throughput(const std::vector<fs::path>& sorted_files, const ReadLimits& limits) {
  ReadMeasurement measurement;
  std::vector<char> buffer(1 << 20);
  const std::size_t used = read_phase(sorted_files, limits.max_seconds / 2, limits.max_bytes / 2, &buffer,
                                      &measurement.sequential, &measurement.failed);
  std::vector<fs::path> others(sorted_files.begin() + static_cast<std::ptrdiff_t>(used), sorted_files.end());
  // A fixed seed: the same folder gets the same test.
  std::mt19937_64 generator(0x7261696eULL);
  std::shuffle(others.begin(), others.end(), generator);
  const double seconds_left = std::max(0.0, limits.max_seconds - measurement.sequential.seconds);
  const std::uint64_t bytes_left =
      limits.max_bytes > measurement.sequential.bytes ? limits.max_bytes - measurement.sequential.bytes : 0;
  read_phase(others, seconds_left, bytes_left, &buffer, &measurement.random, &measurement.failed);
  return measurement;
}

CheckResult evaluate_read_throughput(const ReadMeasurement& measurement, double min_images_per_second) {
  const std::size_t files = measurement.sequential.files + measurement.random.files;
  if (files == 0) {
    return {kGroup, "read speed", Status::kFail,
            "could not read any image file (" + std::to_string(measurement.failed) + " failed)",
            "check the files' permissions (ls -l) and the disk (dmesg)"};
  }
  const std::uint64_t bytes = measurement.sequential.bytes + measurement.random.bytes;
  const double seconds = measurement.sequential.seconds + measurement.random.seconds;
  const double mean_bytes = static_cast<double>(bytes) / static_cast<double>(files);
  // Training reads in shuffled order, so the shuffled phase is the one that
  // counts; a small folder may be read whole in order, leaving none to shuffle.
  const ReadPhase& feeding = measurement.random.files > 0 ? measurement.random : measurement.sequential;
  const double images_per_second = mean_bytes > 0 ? rate(static_cast<double>(feeding.bytes), feeding.seconds) / mean_bytes
                                                  : rate(static_cast<double>(feeding.files), feeding.seconds);
  std::string evidence = "read " + std::to_string(files) + " files (" + format("%.1f", static_cast<double>(bytes) / 1e6) +
                         " MB) in " + format("%.2f", seconds) + " s: " +
                         format("%.1f", rate(static_cast<double>(bytes), seconds) / 1e6) + " MB/s, " +
                         format("%.0f", rate(static_cast<double>(files), seconds)) + " files/s (" +
                         describe_phase("in order", measurement.sequential) + ", " +
                         describe_phase("shuffled", measurement.random) + "); could feed about " +
                         format("%.0f", images_per_second) + " images/s at the mean file size of " +
                         format("%.0f", mean_bytes / 1e3) + " KB";
  if (measurement.failed > 0) evidence += "; " + std::to_string(measurement.failed) + " files could not be read";

  if (images_per_second < min_images_per_second) {
    return {kGroup, "read speed", Status::kWarn, evidence,
            "below " + format("%.0f", min_images_per_second) +
                " images/s the disk would hold training back (an H100 trains about 2000 images/s at 288 px): copy "
                "the data set to a local SSD or tmpfs"};
  }
  if (measurement.failed > 0) {
    return {kGroup, "read speed", Status::kWarn, evidence,
            "check the unreadable files' permissions (ls -l) and the disk (dmesg)"};
  }
  return {kGroup, "read speed", Status::kOk, evidence, ""};
}

std::vector<fs::path> list_image_files(const fs::path& folder, std::size_t limit) {
  std::vector<fs::path> files;
  std::error_code error;
  // skip_permission_denied: an unreadable sub-folder is not a reason to stop.
  for (fs::recursive_directory_iterator it(folder, fs::directory_options::skip_permission_denied, error), end;
       !error && it != end && files.size() < limit; it.increment(error)) {
    std::error_code type_error;
    if (it->is_regular_file(type_error) && data::has_image_extension(it->path())) files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<CheckResult> check_data_folder(const core::SystemView& system, const fs::path& data) {
  const std::string shown = data.string();
  const std::string make_one = "pass a folder with one sub-folder of images per class (e.g. from `trainbench data synth`)";
  std::error_code error;
  if (!fs::exists(data, error)) {
    return {{kGroup, "folder", Status::kFail, "data folder " + shown + " does not exist", make_one}};
  }
  if (!fs::is_directory(data, error)) {
    return {{kGroup, "folder", Status::kFail, shown + " is not a folder", make_one}};
  }
  const std::vector<fs::path> files = list_image_files(data, kMaxListedFiles);
  if (files.empty()) {
    return {{kGroup, "folder", Status::kFail, "data folder " + shown + " has no image files (.jpg, .jpeg, .png)",
             make_one}};
  }
  std::vector<CheckResult> results;
  results.push_back({kGroup, "folder", Status::kOk,
                     shown + ": " + (files.size() >= kMaxListedFiles ? "at least " : "") +
                         std::to_string(files.size()) + " image files",
                     ""});

  FileSystemFacts facts;
  const fs::path absolute = fs::weakly_canonical(fs::absolute(data, error), error);
  facts.path = absolute.empty() ? shown : absolute.string();
  const auto mounts = system.read_file("/proc/self/mounts");
  const auto mount = mounts ? find_mount(parse_mounts(*mounts), facts.path) : std::nullopt;
  if (mount) {
    // The mount table names FUSE file systems (fuse.sshfs) where statfs only says "fuse".
    facts.type = mount->type;
    facts.mount_point = mount->mount_point;
    facts.source = mount->source;
  } else {
    struct statfs info {};
    if (::statfs(data.c_str(), &info) == 0) facts.type = filesystem_type_name(static_cast<unsigned long>(info.f_type));
  }
  facts.wsl = core::lowercase(system.read_file("/proc/version").value_or("")).find("microsoft") != std::string::npos;
  results.push_back(evaluate_filesystem(facts));

  results.push_back(evaluate_read_throughput(measure_read_throughput(files)));
  return results;
}

}  // namespace trainbench::doctor
