#include "core/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/error.h"

namespace trainbench::core {
namespace fs = std::filesystem;
namespace {

// Closes the descriptor and, unless released, removes the temporary file.
class TemporaryFile {
 public:
  explicit TemporaryFile(fs::path path) : path_(std::move(path)) {
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  }
  ~TemporaryFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!kept_) ::unlink(path_.c_str());
  }
  TemporaryFile(const TemporaryFile&) = delete;
  TemporaryFile& operator=(const TemporaryFile&) = delete;

  int fd() const { return fd_; }
  // Closes it, keeping the file (it has been renamed into place).
  void keep() { kept_ = true; }
  // close() can report a delayed write error (NFS, a full disk): checked.
  bool close() {
    const int fd = fd_;
    fd_ = -1;
    return ::close(fd) == 0;
  }

 private:
  fs::path path_;
  int fd_ = -1;
  bool kept_ = false;
};

[[noreturn]] void fail(const std::string& what, const fs::path& path, int error_number) {
  throw Error("cannot " + what + " " + path.string() + ": " + std::strerror(error_number) +
              (error_number == ENOSPC || error_number == EDQUOT || error_number == EFBIG
                   ? " (the previous file, if any, is unchanged)"
                   : ""));
}

bool write_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t written = ::write(fd, data, size);
    if (written < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data += written;
    size -= static_cast<std::size_t>(written);
  }
  return true;
}

}  // namespace

void write_file_atomically(const fs::path& path, const void* data, std::size_t size) {
  // The process id keeps two writers of one path (two runs sharing a folder
  // by mistake) from writing into each other's temporary file.
  const fs::path temporary = path.string() + ".tmp" + std::to_string(::getpid());
  TemporaryFile file(temporary);
  if (file.fd() < 0) fail("write", temporary, errno);
  if (!write_all(file.fd(), static_cast<const char*>(data), size)) fail("write", path, errno);
  if (::fsync(file.fd()) != 0) fail("write", path, errno);
  if (!file.close()) fail("write", path, errno);
  if (::rename(temporary.c_str(), path.c_str()) != 0) fail("replace", path, errno);
  file.keep();
  // The rename is durable only once the folder's entry is on disk.
  const fs::path folder = path.has_parent_path() ? path.parent_path() : fs::path(".");
  const int folder_fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (folder_fd >= 0) {
    ::fsync(folder_fd);
    ::close(folder_fd);
  }
}

}  // namespace trainbench::core
