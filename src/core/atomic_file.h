#pragma once
// Replacing a file so that a reader, a crash, a power cut or a full disk never
// leaves half of it: write a temporary file beside it, flush and fsync it,
// rename it over the old one, then fsync the folder so the rename itself is
// on disk. At every moment the path holds either the old file or the new one.
#include <cstddef>
#include <filesystem>
#include <string>

namespace trainbench::core {

// Throws trainbench::Error naming the path and the system's reason ("No space
// left on device") when any step fails; the previous file, if any, is then
// unchanged and the temporary file removed.
void write_file_atomically(const std::filesystem::path& path, const void* data, std::size_t size);
inline void write_file_atomically(const std::filesystem::path& path, const std::string& contents) {
  write_file_atomically(path, contents.data(), contents.size());
}

}  // namespace trainbench::core
