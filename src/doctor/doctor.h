#pragma once
// `trainbench doctor`: every check in one list, and the two ways to print it.
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "doctor/check.h"

namespace trainbench::doctor {

struct DoctorOptions {
  std::filesystem::path data;  // a data folder to check; empty: none
  std::filesystem::path runs_dir = "runs";
};

// Threads, build, environment, devices, then the data folder when given.
std::vector<CheckResult> run_doctor(const core::SystemView& view, const DoctorOptions& options);

// {"summary": {"ok": n, "warn": n, "fail": n}, "checks": [{"group", "name",
// "status", "evidence", "advice"}, ...]} with the checks in run order.
nlohmann::ordered_json to_json(const std::vector<CheckResult>& results);

// Problems first (fail, then warn) with their advice indented below, then the
// ok lines grouped by group; a count line at the end.
std::string format_report(const std::vector<CheckResult>& results);

// Whether any check failed (the command's exit code is 1 then).
bool any_failed(const std::vector<CheckResult>& results);

}  // namespace trainbench::doctor
