#include "data/skipped_files.h"

#include <algorithm>

namespace trainbench::data {

void SkippedFiles::add(const std::string& path, const std::string& reason) {
  std::lock_guard<std::mutex> lock(mutex_);
  const bool known = std::any_of(files_.begin(), files_.end(), [&](const SkippedFile& f) { return f.path == path; });
  if (!known) files_.push_back({path, reason});
}

std::size_t SkippedFiles::count() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return files_.size();
}

std::vector<SkippedFile> SkippedFiles::first(std::size_t limit) const {
  std::vector<SkippedFile> sorted;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    sorted = files_;
  }
  std::sort(sorted.begin(), sorted.end(), [](const SkippedFile& a, const SkippedFile& b) { return a.path < b.path; });
  sorted.resize(std::min(limit, sorted.size()));
  return sorted;
}

}  // namespace trainbench::data
