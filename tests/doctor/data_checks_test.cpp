#include "doctor/data_checks.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

#include "doctor/check_lookup.h"
#include "test_support.h"

namespace trainbench::doctor {
namespace {
namespace fs = std::filesystem;

void write_file(const fs::path& path, std::size_t bytes) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << std::string(bytes, 'x');
}

// An image folder with two classes of `per_class` files of `bytes` each
// (the read test only reads them, so they need not decode).
fs::path make_image_folder(const fs::path& root, int per_class, std::size_t bytes) {
  for (const char* name : {"fist", "palm"}) {
    for (int i = 0; i < per_class; ++i) write_file(root / name / (std::string(name) + std::to_string(i) + ".jpg"), bytes);
  }
  return root;
}

// A fake root whose /proc/self/mounts puts `folder` on a file system of `type`.
core::SystemView view_with_mount(const testing::TempDir& fake, const fs::path& folder, const std::string& type,
                           const std::string& proc_version = "Linux version 6.5.0 (gcc 12)") {
  fs::create_directories(fake / "proc/self");
  std::ofstream(fake / "proc/self/mounts") << "/dev/sda1 / ext4 rw,relatime 0 0\n"
                                           << "server:/export " << fs::canonical(folder).string() << " " << type
                                           << " rw,relatime 0 0\n";
  std::ofstream(fake / "proc/version") << proc_version << "\n";
  core::SystemView view;
  view.root = fake.path();
  return view;
}

TEST(DoctorData, MissingFolderFails) {
  testing::TempDir dir;
  const auto results = check_data_folder(core::SystemView{}, dir / "nope");
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].group, "data");
  EXPECT_EQ(results[0].status, Status::kFail);
  EXPECT_TRUE(contains(results[0].evidence, "does not exist")) << results[0].evidence;
  EXPECT_FALSE(results[0].advice.empty());
}

TEST(DoctorData, FolderWithoutImagesFails) {
  testing::TempDir dir;
  write_file(dir / "data/fist/readme.txt", 10);
  const auto results = check_data_folder(core::SystemView{}, dir / "data");
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].status, Status::kFail);
  EXPECT_TRUE(contains(results[0].evidence, "no image files")) << results[0].evidence;
}

TEST(DoctorData, FolderOnNinePWarns) {
  testing::TempDir dir;
  testing::TempDir fake;
  const fs::path data = make_image_folder(dir / "data", 3, 1000);
  const auto results = check_data_folder(view_with_mount(fake, data, "9p"), data);
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(find(results, "folder")->status, Status::kOk);
  EXPECT_TRUE(contains(find(results, "folder")->evidence, "6 image files")) << find(results, "folder")->evidence;
  const CheckResult* filesystem = find(results, "file system");
  ASSERT_NE(filesystem, nullptr);
  EXPECT_EQ(filesystem->status, Status::kWarn);
  EXPECT_TRUE(contains(filesystem->evidence, "9p")) << filesystem->evidence;
  EXPECT_TRUE(contains(filesystem->advice, "local disk")) << filesystem->advice;
}

TEST(DoctorData, FolderOnExt4IsOk) {
  testing::TempDir dir;
  testing::TempDir fake;
  const fs::path data = make_image_folder(dir / "data", 3, 1000);
  const auto results = check_data_folder(view_with_mount(fake, data, "ext4"), data);
  const CheckResult* filesystem = find(results, "file system");
  ASSERT_NE(filesystem, nullptr);
  EXPECT_EQ(filesystem->status, Status::kOk) << filesystem->evidence;
  EXPECT_TRUE(contains(filesystem->evidence, "ext4")) << filesystem->evidence;
  const CheckResult* speed = find(results, "read speed");
  ASSERT_NE(speed, nullptr);
  EXPECT_TRUE(contains(speed->evidence, "read 6 files")) << speed->evidence;
}

TEST(DoctorData, WslWindowsDriveWarns) {
  FileSystemFacts facts;
  facts.path = "/mnt/c/Users/me/hagrid";
  facts.type = "9p";
  facts.mount_point = "/mnt/c";
  facts.source = "C:\\";
  facts.wsl = true;
  const CheckResult wsl = evaluate_filesystem(facts);
  EXPECT_EQ(wsl.status, Status::kWarn);
  EXPECT_TRUE(contains(wsl.evidence, "Windows drive")) << wsl.evidence;
  EXPECT_TRUE(contains(wsl.advice, "~/data")) << wsl.advice;

  // WSL 1 shows the drive as drvfs, which is as slow.
  facts.type = "drvfs";
  EXPECT_EQ(evaluate_filesystem(facts).status, Status::kWarn);

  facts.wsl = false;  // /mnt/c on plain Linux is just a folder
  facts.type = "ext4";
  EXPECT_EQ(evaluate_filesystem(facts).status, Status::kOk);
  EXPECT_TRUE(is_wsl_windows_drive("/mnt/d", true));
  EXPECT_FALSE(is_wsl_windows_drive("/mnt/data/x", true));
}

TEST(DoctorData, MountTableParsingAndLookup) {
  const auto mounts = parse_mounts(
      "/dev/nvme0n1p2 / ext4 rw 0 0\n"
      "server:/export /data nfs4 rw 0 0\n"
      "sshfs#me@host:/x /home/me/my\\040photos fuse.sshfs rw 0 0\n"
      "tmpfs /data tmpfs rw 0 0\n");
  ASSERT_EQ(mounts.size(), 4u);
  EXPECT_EQ(mounts[2].mount_point, "/home/me/my photos");
  EXPECT_EQ(find_mount(mounts, "/home/me/my photos/a")->type, "fuse.sshfs");
  EXPECT_EQ(find_mount(mounts, "/data2/x")->type, "ext4");  // /data is not a parent of /data2
  EXPECT_EQ(find_mount(mounts, "/data/x")->type, "tmpfs");  // mounted over the nfs one
  EXPECT_FALSE(find_mount({}, "/x").has_value());
  EXPECT_TRUE(is_slow_filesystem("fuse.sshfs"));
  EXPECT_TRUE(is_slow_filesystem("virtiofs"));
  EXPECT_FALSE(is_slow_filesystem("xfs"));
  EXPECT_EQ(filesystem_type_name(0xEF53), "ext4");
  EXPECT_EQ(filesystem_type_name(0x01021997), "9p");
  EXPECT_EQ(filesystem_type_name(0x1234), "0x1234");
}

TEST(DoctorData, SlowReadsWarnAndFastReadsAreOk) {
  ReadMeasurement slow;
  slow.sequential = {200, 200 * 120'000ull, 1.0};
  slow.random = {100, 100 * 120'000ull, 1.0};  // 100 images/s shuffled
  const CheckResult low = evaluate_read_throughput(slow);
  EXPECT_EQ(low.status, Status::kWarn);
  EXPECT_TRUE(contains(low.evidence, "could feed about 100 images/s")) << low.evidence;
  EXPECT_TRUE(contains(low.evidence, "120 KB")) << low.evidence;
  EXPECT_TRUE(contains(low.advice, "local SSD")) << low.advice;

  ReadMeasurement fast;
  fast.sequential = {4000, 4000 * 120'000ull, 1.0};
  fast.random = {3000, 3000 * 120'000ull, 1.0};
  const CheckResult high = evaluate_read_throughput(fast);
  EXPECT_EQ(high.status, Status::kOk) << high.evidence;
  EXPECT_TRUE(contains(high.evidence, "3000 images/s")) << high.evidence;
  EXPECT_TRUE(contains(high.evidence, "420.0 MB/s")) << high.evidence;

  fast.failed = 2;
  EXPECT_EQ(evaluate_read_throughput(fast).status, Status::kWarn);
  EXPECT_EQ(evaluate_read_throughput(ReadMeasurement{}).status, Status::kFail);
}

TEST(DoctorData, MeasuringARealFolderGivesSaneNumbers) {
  testing::TempDir dir;
  const fs::path data = make_image_folder(dir / "data", 10, 10'000);
  const auto files = list_image_files(data, 1000);
  ASSERT_EQ(files.size(), 20u);
  EXPECT_TRUE(std::is_sorted(files.begin(), files.end()));

  const ReadMeasurement all = measure_read_throughput(files);
  EXPECT_EQ(all.failed, 0u);
  EXPECT_EQ(all.sequential.files + all.random.files, 20u);
  EXPECT_EQ(all.sequential.bytes + all.random.bytes, 200'000u);
  EXPECT_GT(all.sequential.seconds, 0.0);
  EXPECT_EQ(evaluate_read_throughput(all).status, Status::kOk) << evaluate_read_throughput(all).evidence;

  // Half the byte budget goes to reading in order, the rest to shuffled reads.
  const ReadMeasurement capped = measure_read_throughput(files, {2.0, 50'000});
  EXPECT_EQ(capped.sequential.files, 3u);
  EXPECT_GT(capped.random.files, 0u);
  EXPECT_LT(capped.sequential.files + capped.random.files, 20u);
}

}  // namespace
}  // namespace trainbench::doctor
