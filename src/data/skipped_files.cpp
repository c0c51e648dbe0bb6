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
  std::lock_guard<std::mutex> lock(mutex_);
  return {files_.begin(), files_.begin() + static_cast<std::ptrdiff_t>(std::min(limit, files_.size()))};
}

}  // namespace trainbench::data
