#pragma once
// Reading a whole file that should hold an image, and saying in a user's words
// why it cannot be read. Data folders collect broken and looping symbolic
// links, files without read permission and named pipes; each must become a
// reason for that one file, never an exception that stops a scan, a crash, or
// (for a pipe) a read that waits forever.
#include <cstdint>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

namespace trainbench::data {

// Reads the whole regular file at `path` into *bytes. Returns "" on success,
// otherwise why not, without the path: "broken symbolic link (to 'x.jpg')",
// "symbolic link loop", "permission denied", "not a regular file (a named
// pipe)", "file does not exist", "file is 3.2 GB, more than ...". A file
// larger than max_bytes is refused before anything is read.
std::string read_whole_file(const std::filesystem::path& path, std::vector<std::uint8_t>* bytes,
                            std::uint64_t max_bytes = std::numeric_limits<std::uint64_t>::max());

}  // namespace trainbench::data
