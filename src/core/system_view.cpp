#include "core/system_view.h"

#include <fstream>
#include <sstream>

extern char** environ;

namespace trainbench::core {

SystemView SystemView::current() {
  SystemView view;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string text(*entry);
    const auto equals = text.find('=');
    if (equals == std::string::npos) continue;
    view.environment.emplace(text.substr(0, equals), text.substr(equals + 1));
  }
  return view;
}

std::filesystem::path SystemView::path(const std::string& absolute) const {
  std::string relative = absolute;
  while (!relative.empty() && relative.front() == '/') relative.erase(relative.begin());
  return root / relative;
}

std::optional<std::string> SystemView::read_file(const std::string& absolute) const {
  // /proc and /sys files report size 0, so read until the stream ends rather
  // than by the size the file system claims.
  std::ifstream in(path(absolute), std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream contents;
  contents << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return contents.str();
}

std::optional<std::string> SystemView::env(const std::string& name) const {
  const auto found = environment.find(name);
  if (found == environment.end()) return std::nullopt;
  return found->second;
}

}  // namespace trainbench::core
