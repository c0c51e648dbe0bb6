#pragma once
// What the telemetry source tests share: files written into fake /proc and
// /sys trees, and a check that a message says what it should.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace trainbench::telemetry {

inline void write_file(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

// Whether `text` holds `part`, printing both when not.
inline ::testing::AssertionResult Contains(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\"" << text << "\" does not contain \"" << part << "\"";
}

}  // namespace trainbench::telemetry
