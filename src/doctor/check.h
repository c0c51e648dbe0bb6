// The shared contract of `trainbench doctor`: what one check reports, and the
// view of the machine that every check reads through. Checks never touch the
// real /proc, /sys or environ directly, so tests can point them at a fake tree.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>

namespace trainbench::doctor {

enum class Status { kOk, kWarn, kFail };

// One finding: `evidence` says what was measured or read (one line), `advice`
// says what to do about it (one line, may be empty when status is kOk).
struct CheckResult {
  std::string group;
  std::string name;
  Status status = Status::kOk;
  std::string evidence;
  std::string advice;
};

std::string to_string(Status status);  // "ok", "warn", "fail"

// Where checks read the machine: a root prefix for /proc, /sys, /dev, /etc, /mnt
// (tests point it at a fake tree in a temp dir) and the environment (tests pass a map).
struct SystemView {
  std::filesystem::path root = "/";
  std::map<std::string, std::string> environment;  // filled from environ by SystemView::current()
  static SystemView current();
  std::filesystem::path path(const std::string& absolute) const;  // root / absolute without its leading '/'
  std::optional<std::string> read_file(const std::string& absolute) const;  // whole file, nullopt if unreadable
  std::optional<std::string> env(const std::string& name) const;
};

}  // namespace trainbench::doctor
