#include "data/image_folder.h"

#include <algorithm>
#include <cmath>
#include <system_error>

#include "core/error.h"
#include "core/random.h"

namespace trainbench::data {
namespace fs = std::filesystem;
namespace {

bool is_hidden(const fs::path& path) {
  const std::string name = path.filename().string();
  return !name.empty() && name[0] == '.';
}

std::vector<fs::path> sorted_entries(const fs::path& folder) {
  std::vector<fs::path> entries;
  std::error_code error;
  // skip_permission_denied: an unreadable sub-folder is not a reason to stop.
  for (fs::directory_iterator it(folder, fs::directory_options::skip_permission_denied, error), end;
       !error && it != end; it.increment(error)) {
    if (!is_hidden(it->path())) entries.push_back(it->path());
  }
  if (error) throw DataError("cannot list " + folder.string() + ": " + error.message());
  std::sort(entries.begin(), entries.end());
  return entries;
}

bool is_folder_no_throw(const fs::path& path) {
  std::error_code error;
  return fs::is_directory(path, error);
}

// Every image-named file under a class folder (recursively, like ImageFolder).
void collect_images(const fs::path& folder, int label, std::vector<Sample>* samples) {
  for (const fs::path& entry : sorted_entries(folder)) {
    if (is_folder_no_throw(entry)) {
      collect_images(entry, label, samples);
    } else if (has_image_extension(entry)) {
      samples->push_back({entry, label});
    }
  }
}

void check_root(const fs::path& root) {
  std::error_code error;
  if (!fs::exists(root, error)) throw DataError("data folder " + root.string() + " does not exist");
  if (!fs::is_directory(root, error)) throw DataError(root.string() + " is not a folder");
}

}  // namespace

bool has_image_extension(const fs::path& path) {
  if (is_hidden(path)) return false;
  std::string extension = path.extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return extension == ".jpg" || extension == ".jpeg" || extension == ".png";
}

ImageFolder scan_image_folder(const fs::path& root) {
  check_root(root);
  std::vector<std::string> classes;
  for (const fs::path& entry : sorted_entries(root)) {
    if (is_folder_no_throw(entry)) classes.push_back(entry.filename().string());
  }
  if (classes.empty()) {
    throw DataError("data folder " + root.string() +
                    " has no class sub-folders; expected one folder per class, e.g. " + root.string() +
                    "/cat/*.jpg (make one with `trainbench data synth --out DIR`)");
  }
  ImageFolder folder = scan_image_folder_with_classes(root, classes);
  if (folder.classes.size() < 2) {
    throw DataError("data folder " + root.string() + " has only one class ('" + folder.classes[0] +
                    "'); a classifier needs at least two class folders");
  }
  return folder;
}

ImageFolder scan_image_folder_with_classes(const fs::path& root, const std::vector<std::string>& classes) {
  check_root(root);
  ImageFolder folder{root, classes, {}};
  for (const fs::path& entry : sorted_entries(root)) {
    if (!is_folder_no_throw(entry)) continue;
    const std::string name = entry.filename().string();
    const auto it = std::find(classes.begin(), classes.end(), name);
    if (it == classes.end()) {
      throw DataError("folder '" + name + "' in " + root.string() + " is not one of the " +
                      std::to_string(classes.size()) + " classes this model knows");
    }
    collect_images(entry, static_cast<int>(it - classes.begin()), &folder.samples);
  }
  std::stable_sort(folder.samples.begin(), folder.samples.end(),
                   [](const Sample& a, const Sample& b) { return a.label < b.label; });
  if (folder.samples.empty()) {
    throw DataError("data folder " + root.string() + " holds no images (.jpg, .jpeg or .png) in its class folders");
  }
  return folder;
}

Split split_samples(const std::vector<Sample>& samples, double validation_fraction, std::uint64_t seed) {
  if (!(validation_fraction > 0.0 && validation_fraction < 1.0)) {
    throw UsageError("--val-split must be between 0 and 1 (exclusive), got " + std::to_string(validation_fraction));
  }
  const auto n = static_cast<std::int64_t>(samples.size());
  const auto train_count = static_cast<std::int64_t>(std::floor((1.0 - validation_fraction) * static_cast<double>(n)));
  if (train_count < 1 || train_count >= n) {
    throw DataError("cannot split " + std::to_string(n) + " images with --val-split " +
                    std::to_string(validation_fraction) + ": both parts need at least one image");
  }
  const std::vector<std::int64_t> order = core::seeded_permutation(n, core::mix_seed(seed, {0x5EED5EED}));
  Split split;
  for (std::int64_t i = 0; i < n; ++i) {
    (i < train_count ? split.train : split.validation).push_back(samples[static_cast<std::size_t>(order[i])]);
  }
  return split;
}

}  // namespace trainbench::data
