#pragma once
// Small text helpers that messages across the layers share.
#include <string>
#include <vector>

namespace trainbench::core {

// "a, b, c" (or with another separator); "" for no parts.
inline std::string join(const std::vector<std::string>& parts, const std::string& separator = ", ") {
  std::string text;
  for (std::size_t i = 0; i < parts.size(); ++i) text += (i == 0 ? "" : separator) + parts[i];
  return text;
}

}  // namespace trainbench::core
