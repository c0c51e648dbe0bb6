#include "doctor/doctor.h"

#include <algorithm>

#include "doctor/data_checks.h"
#include "doctor/device_checks.h"
#include "doctor/host_checks.h"

namespace trainbench::doctor {
namespace {

void append(std::vector<CheckResult>& to, std::vector<CheckResult> from) {
  to.insert(to.end(), std::make_move_iterator(from.begin()), std::make_move_iterator(from.end()));
}

// Order of groups in the ok part of the report: the order checks first name them.
std::vector<std::string> groups_in_order(const std::vector<CheckResult>& results) {
  std::vector<std::string> groups;
  for (const CheckResult& r : results) {
    if (std::find(groups.begin(), groups.end(), r.group) == groups.end()) groups.push_back(r.group);
  }
  return groups;
}

std::string line(const CheckResult& r) {
  std::string label = to_string(r.status);
  label.resize(6, ' ');
  return label + r.group + "/" + r.name + ": " + r.evidence + "\n";
}

}  // namespace

std::vector<CheckResult> run_doctor(const core::SystemView& view, const DoctorOptions& options) {
  std::vector<CheckResult> results;
  // Threads first: they report LibTorch's defaults, read before the BLAS
  // probe in check_build runs anything on its pools.
  append(results, check_threads(view));
  append(results, check_build(view));
  append(results, check_environment(view, options.runs_dir));
  append(results, check_devices(view));
  if (!options.data.empty()) append(results, check_data_folder(view, options.data));
  return results;
}

nlohmann::ordered_json to_json(const std::vector<CheckResult>& results) {
  int counts[3] = {0, 0, 0};
  nlohmann::ordered_json checks = nlohmann::ordered_json::array();
  for (const CheckResult& r : results) {
    ++counts[static_cast<int>(r.status)];
    checks.push_back({{"group", r.group}, {"name", r.name}, {"status", to_string(r.status)},
                      {"evidence", r.evidence}, {"advice", r.advice}});
  }
  nlohmann::ordered_json out;
  out["summary"] = {{"ok", counts[0]}, {"warn", counts[1]}, {"fail", counts[2]}};
  out["checks"] = std::move(checks);
  return out;
}

std::string format_report(const std::vector<CheckResult>& results) {
  std::string text;
  int counts[3] = {0, 0, 0};
  for (const CheckResult& r : results) ++counts[static_cast<int>(r.status)];
  for (Status problem : {Status::kFail, Status::kWarn}) {
    for (const CheckResult& r : results) {
      if (r.status != problem) continue;
      text += line(r);
      if (!r.advice.empty()) text += "      -> " + r.advice + "\n";
    }
  }
  for (const std::string& group : groups_in_order(results)) {
    for (const CheckResult& r : results) {
      if (r.status == Status::kOk && r.group == group) text += line(r);
    }
  }
  text += std::to_string(counts[2]) + " failed, " + std::to_string(counts[1]) + " warnings, " +
          std::to_string(counts[0]) + " ok\n";
  return text;
}

bool any_failed(const std::vector<CheckResult>& results) {
  return std::any_of(results.begin(), results.end(), [](const CheckResult& r) { return r.status == Status::kFail; });
}

}  // namespace trainbench::doctor
