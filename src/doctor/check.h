// The shared contract of `trainbench doctor`: what one check reports, and the
// view of the machine that every check reads through (core/system_view.h).
// Checks never touch the real /proc, /sys or environ directly, so tests can
// point them at a fake tree.
#pragma once

#include <string>

#include "core/system_view.h"

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

}  // namespace trainbench::doctor
