#pragma once
// Where code reads the machine: a root prefix for /proc, /sys, /dev, /etc,
// /mnt (tests point it at a fake tree in a temp dir) and the environment
// (tests pass a map). `doctor` and provenance read through it and never touch
// the real files directly, so every reader can be tested on a made-up machine.
#include <filesystem>
#include <map>
#include <optional>
#include <string>

namespace trainbench::core {

struct SystemView {
  std::filesystem::path root = "/";
  std::map<std::string, std::string> environment;  // filled from environ by SystemView::current()
  static SystemView current();
  std::filesystem::path path(const std::string& absolute) const;  // root / absolute without its leading '/'
  std::optional<std::string> read_file(const std::string& absolute) const;  // whole file, nullopt if unreadable
  std::optional<std::string> env(const std::string& name) const;
};

}  // namespace trainbench::core
