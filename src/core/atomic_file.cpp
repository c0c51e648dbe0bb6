#include "core/atomic_file.h"

#include <cerrno>
#include <cstring>
#include <fstream>

#include "core/error.h"

namespace trainbench::core {
namespace fs = std::filesystem;

void write_file_atomically(const fs::path& path, const void* data, std::size_t size) {
  const fs::path temporary = path.string() + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) throw Error("cannot write " + temporary.string() + ": " + std::strerror(errno));
    out.write(static_cast<const char*>(data), static_cast<std::streamsize>(size));
    out.flush();
    if (!out) {
      out.close();
      std::error_code ignored;
      fs::remove(temporary, ignored);
      throw Error("cannot write " + path.string() + " (disk full?)");
    }
  }
  std::error_code error;
  fs::rename(temporary, path, error);
  if (error) throw Error("cannot replace " + path.string() + ": " + error.message());
}

}  // namespace trainbench::core
