#include "data/image_folder.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <optional>
#include <system_error>
#include <utility>

#include "core/error.h"
#include "core/random.h"

namespace trainbench::data {
namespace fs = std::filesystem;
namespace {

constexpr const char* kHidden = "hidden (the name starts with '.')";

bool is_hidden(const fs::path& path) {
  const std::string name = path.filename().string();
  return !name.empty() && name[0] == '.';
}

// A folder's entries, sorted, or why it cannot be listed.
struct Listing {
  std::vector<fs::path> entries;
  std::string error;
};

Listing list_folder(const fs::path& folder) {
  Listing listing;
  std::error_code error;
  for (fs::directory_iterator it(folder, error), end; !error && it != end; it.increment(error)) {
    listing.entries.push_back(it->path());
  }
  if (error) {
    listing.error = error.message();
    if (!listing.error.empty()) listing.error[0] = static_cast<char>(std::tolower(listing.error[0]));
  }
  std::sort(listing.entries.begin(), listing.entries.end());
  return listing;
}

// Follows links; false (never an exception) for a broken or looping link.
bool is_folder_no_throw(const fs::path& path) {
  std::error_code error;
  return fs::is_directory(path, error);
}

// A folder's identity whatever the path (or link) that reaches it.
using FolderId = std::pair<dev_t, ino_t>;

std::optional<FolderId> folder_id(const fs::path& folder) {
  struct stat status {};
  if (::stat(folder.c_str(), &status) != 0) return std::nullopt;
  return FolderId{status.st_dev, status.st_ino};
}

// Every image-named file under a class folder (recursively, like ImageFolder).
// `ancestors` holds the folders from the root down to this one: a link back
// to one of them would make the scan endless, so it is not followed.
void collect_images(const fs::path& folder, int label, std::vector<FolderId>* ancestors, ImageFolder* out) {
  const Listing listing = list_folder(folder);
  if (!listing.error.empty()) {
    out->ignored.push_back({folder, "folder cannot be listed (" + listing.error + "); its files are not used"});
    return;
  }
  for (const fs::path& entry : listing.entries) {
    if (is_hidden(entry)) {
      out->ignored.push_back({entry, kHidden});
    } else if (is_folder_no_throw(entry)) {
      const std::optional<FolderId> id = folder_id(entry);
      if (id && std::find(ancestors->begin(), ancestors->end(), *id) != ancestors->end()) {
        out->ignored.push_back({entry, "symbolic link to a folder that contains it (a loop); not followed"});
        continue;
      }
      if (id) ancestors->push_back(*id);
      collect_images(entry, label, ancestors, out);
      if (id) ancestors->pop_back();
    } else if (has_image_extension(entry)) {
      out->samples.push_back({entry, label});
    } else {
      out->ignored.push_back({entry, "not an image file name (.jpg, .jpeg or .png)"});
    }
  }
}

// The root's listing, which unlike a sub-folder's must succeed.
std::vector<fs::path> root_entries(const fs::path& root) {
  Listing listing = list_folder(root);
  if (!listing.error.empty()) throw DataError("cannot list data folder " + root.string() + ": " + listing.error);
  return std::move(listing.entries);
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
  for (const fs::path& entry : root_entries(root)) {
    if (!is_hidden(entry) && is_folder_no_throw(entry)) classes.push_back(entry.filename().string());
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
  ImageFolder folder{root, classes, {}, {}};
  std::vector<FolderId> ancestors;
  if (const std::optional<FolderId> id = folder_id(root)) ancestors.push_back(*id);
  if (ancestors.empty()) throw DataError("cannot read data folder " + root.string());
  for (const fs::path& entry : root_entries(root)) {
    if (is_hidden(entry)) {
      folder.ignored.push_back({entry, kHidden});
      continue;
    }
    if (!is_folder_no_throw(entry)) {
      folder.ignored.push_back({entry, "not inside a class folder"});
      continue;
    }
    const std::string name = entry.filename().string();
    const auto it = std::find(classes.begin(), classes.end(), name);
    if (it == classes.end()) {
      throw DataError("folder '" + name + "' in " + root.string() + " is not one of the " +
                      std::to_string(classes.size()) + " classes this model knows");
    }
    const std::optional<FolderId> id = folder_id(entry);
    if (id && *id == ancestors.front()) {
      folder.ignored.push_back({entry, "symbolic link to the data folder itself (a loop); not followed"});
      continue;
    }
    if (id) ancestors.push_back(*id);
    collect_images(entry, static_cast<int>(it - classes.begin()), &ancestors, &folder);
    if (id) ancestors.pop_back();
  }
  std::stable_sort(folder.samples.begin(), folder.samples.end(),
                   [](const Sample& a, const Sample& b) { return a.label < b.label; });
  std::sort(folder.ignored.begin(), folder.ignored.end(),
            [](const IgnoredEntry& a, const IgnoredEntry& b) { return a.path < b.path; });
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
