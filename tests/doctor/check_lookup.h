#pragma once
// What the doctor check tests ask of a list of results, shared by them.
#include <string>
#include <vector>

#include "doctor/check.h"

namespace trainbench::doctor {

// The result of the check called `name`, or null when none ran.
inline const CheckResult* find(const std::vector<CheckResult>& results, const std::string& name) {
  for (const CheckResult& result : results) {
    if (result.name == name) return &result;
  }
  return nullptr;
}

inline bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace trainbench::doctor
