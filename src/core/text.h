#pragma once
// Small text helpers that messages across the layers share.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

namespace trainbench::core {

// "a, b, c" (or with another separator); "" for no parts.
inline std::string join(const std::vector<std::string>& parts, const std::string& separator = ", ") {
  std::string text;
  for (std::size_t i = 0; i < parts.size(); ++i) text += (i == 0 ? "" : separator) + parts[i];
  return text;
}

// ASCII lowercase: for matching flags, file-system names and error texts.
inline std::string lowercase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// Without leading and trailing spaces, tabs and line ends.
inline std::string trim(const std::string& text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

// `value` through a printf pattern with one double ("%.1f x"), for figures in messages.
inline std::string format(const char* pattern, double value) {
  char text[96];
  std::snprintf(text, sizeof text, pattern, value);
  return text;
}

// A share as a whole percentage: 0.437 -> "44%".
inline std::string percent(double share) { return format("%.0f%%", share * 100.0); }

// A duration as minutes:seconds, rounded to the second: 95.4 -> "1:35".
inline std::string minutes_seconds(double seconds) {
  char text[32];
  const long whole = std::lround(seconds);
  std::snprintf(text, sizeof text, "%ld:%02ld", whole / 60, whole % 60);
  return text;
}

}  // namespace trainbench::core
