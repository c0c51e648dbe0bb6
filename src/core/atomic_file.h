#pragma once
// Replacing a file so that a reader, a crash or a full disk never leaves half
// of it: write a temporary file beside it, then rename it into place.
#include <cstddef>
#include <filesystem>
#include <string>

namespace trainbench::core {

// Throws trainbench::Error naming the path when the write or rename fails
// (the previous file, if any, is then unchanged).
void write_file_atomically(const std::filesystem::path& path, const void* data, std::size_t size);
inline void write_file_atomically(const std::filesystem::path& path, const std::string& contents) {
  write_file_atomically(path, contents.data(), contents.size());
}

}  // namespace trainbench::core
