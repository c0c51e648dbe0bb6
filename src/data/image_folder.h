#pragma once
// The image-folder data set: root/<class>/<image>, classes are the sorted
// sub-folder names (torchvision's ImageFolder convention).
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace trainbench::data {

struct Sample {
  std::filesystem::path path;
  int label = 0;
};

// A file or folder the scan passes over on purpose, and why: a hidden file, a
// name that is not an image's, a file outside the class folders. Not an
// error (`data verify` lists them apart from the bad files).
struct IgnoredEntry {
  std::filesystem::path path;
  std::string reason;
};

struct ImageFolder {
  std::filesystem::path root;
  std::vector<std::string> classes;   // sorted; label i is classes[i]
  std::vector<Sample> samples;        // sorted by class, then by file name
  std::vector<IgnoredEntry> ignored;  // sorted by path
};

// True for the file names we try to decode (.jpg/.jpeg/.png, any case).
// Hidden files (leading '.') are never images.
bool has_image_extension(const std::filesystem::path& path);

// Scans root. Throws DataError before any training starts when root is
// missing, has no class folders, has no images, or has only one class.
// Every image-named entry below a class folder becomes a sample, whether or
// not it can be read (a broken link, a file without permission): the loader
// reports those with their reason. A symbolic link back to a folder being
// scanned is not followed, and a sub-folder that cannot be listed is ignored
// with its reason, so the scan neither loops nor stops on them.
ImageFolder scan_image_folder(const std::filesystem::path& root);

// Scans root keeping the class list given (e.g. a trained model's). Folders
// whose name is not a known class are an error naming them.
ImageFolder scan_image_folder_with_classes(const std::filesystem::path& root, const std::vector<std::string>& classes);

struct Split {
  std::vector<Sample> train;
  std::vector<Sample> validation;
};

// A seeded random split: floor((1 - fraction) * n) training samples, the rest
// validation (the workload's 153,735 images give 138,361 / 15,374).
Split split_samples(const std::vector<Sample>& samples, double validation_fraction, std::uint64_t seed);

}  // namespace trainbench::data
