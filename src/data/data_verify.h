#pragma once
// `trainbench data verify`: decodes every image a training run would use, as
// the loader does, and reports each file that cannot be used with its reason,
// the files the scan passes over, and the counts per class: before a day of
// training rather than during it.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/image_folder.h"

namespace trainbench::data {

// An image-named file that training would skip.
struct BadFile {
  std::filesystem::path path;
  std::string class_name;
  std::string reason;  // without the path: "JPEG file is truncated (...)"
};

struct ClassCount {
  std::string name;
  std::int64_t ok = 0;
  std::int64_t bad = 0;
};

struct VerifyReport {
  std::filesystem::path root;
  std::uint64_t max_image_pixels = 0;  // the limit the images were checked against
  std::int64_t ok = 0;                 // images that decode
  std::vector<BadFile> bad;            // sorted by path
  std::vector<IgnoredEntry> ignored;   // hidden files, other names: not used, not errors
  std::vector<ClassCount> classes;     // in label order

  // The command's exit code: 1 when any image cannot be used, else 0.
  int exit_code() const { return bad.empty() ? 0 : 1; }
};

// Called with (images checked, images in all), from one thread at a time.
using VerifyProgress = std::function<void(std::int64_t, std::int64_t)>;

// Scans root exactly as training does (scan_image_folder: the same classes and
// files, and the same DataError when root is missing or has no class folders),
// then decodes every image in full in `workers` threads (0: one per available
// core). Bad files never stop it.
VerifyReport verify_image_folder(const std::filesystem::path& root, int workers, const VerifyProgress& progress = {});

// One "path: reason" line per bad file, then the ignored files, the counts per
// class and a summary line.
std::string format_verify_text(const VerifyReport& report);

// {"root", "ok", "bad", "ignored", "max_image_pixels", "classes": [{"name",
// "ok", "bad"}], "bad_files": [{"path", "class", "reason"}], "ignored_files":
// [{"path", "reason"}]}
nlohmann::ordered_json to_json(const VerifyReport& report);

}  // namespace trainbench::data
