#pragma once
// The files a run could not use, with the reason, shared by every loader of
// the run. A bad file is skipped and recorded; it never stops training.
#include <cstddef>
#include <mutex>
#include <string>
#include <vector>

namespace trainbench::data {

struct SkippedFile {
  std::string path;
  std::string reason;
};

class SkippedFiles {
 public:
  // Records a file once, however many epochs it fails in. Thread-safe.
  void add(const std::string& path, const std::string& reason);
  std::size_t count() const;
  // Up to `limit` files, sorted by path so that a report does not depend on
  // which worker thread met a bad file first.
  std::vector<SkippedFile> first(std::size_t limit) const;

 private:
  mutable std::mutex mutex_;
  std::vector<SkippedFile> files_;
};

}  // namespace trainbench::data
