#include "data/file_read.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <system_error>

namespace trainbench::data {
namespace {

// Closes a file descriptor on every return path.
struct FileDescriptor {
  explicit FileDescriptor(int value) : fd(value) {}
  ~FileDescriptor() {
    if (fd >= 0) ::close(fd);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int fd;
};

// strerror's text starting in lower case, to read well after "path: ".
std::string system_reason(int error) {
  std::string text = std::strerror(error);
  if (!text.empty() && text[0] >= 'A' && text[0] <= 'Z') text[0] = static_cast<char>(text[0] - 'A' + 'a');
  return text;
}

std::string why_open_failed(const std::filesystem::path& path, int error) {
  switch (error) {
    case ELOOP:
      return "symbolic link loop";
    case EACCES:
    case EPERM:
      return "permission denied";
    case ENOENT: {
      // open() follows links, so a link whose target is gone reads as "no
      // such file" although the link itself is right there.
      struct stat link {};
      if (::lstat(path.c_str(), &link) == 0 && S_ISLNK(link.st_mode)) {
        std::error_code ignored;
        const std::filesystem::path target = std::filesystem::read_symlink(path, ignored);
        return "broken symbolic link (to '" + target.string() + "', which does not exist)";
      }
      return "file does not exist (removed while reading?)";
    }
    default:
      return system_reason(error);
  }
}

std::string file_kind(mode_t mode) {
  if (S_ISDIR(mode)) return "a folder";
  if (S_ISFIFO(mode)) return "a named pipe";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  return "not a plain file";
}

std::string megabytes(std::uint64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f MB", static_cast<double>(bytes) / 1e6);
  return text;
}

std::string read_failed(int error, std::vector<std::uint8_t>* bytes) {
  bytes->clear();
  return "read error: " + system_reason(error);
}

}  // namespace

std::string read_whole_file(const std::filesystem::path& path, std::vector<std::uint8_t>* bytes,
                            std::uint64_t max_bytes) {
  bytes->clear();
  // O_NONBLOCK: opening a named pipe must not wait for a writer (it is refused
  // below); on a regular file the flag changes nothing.
  const FileDescriptor file(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (file.fd < 0) return why_open_failed(path, errno);
  struct stat status {};
  if (::fstat(file.fd, &status) != 0) return system_reason(errno);
  if (!S_ISREG(status.st_mode)) return "not a regular file (" + file_kind(status.st_mode) + ")";
  const auto size = static_cast<std::uint64_t>(status.st_size);
  if (size > max_bytes) {
    return "file is " + megabytes(size) + ", more than an image within --max-image-pixels can be (" +
           megabytes(max_bytes) + ")";
  }
  bytes->resize(static_cast<std::size_t>(size));
  std::size_t done = 0;
  while (done < bytes->size()) {
    const ssize_t n = ::read(file.fd, bytes->data() + done, bytes->size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return read_failed(errno, bytes);
    if (n == 0) break;  // the file shrank meanwhile: what is there now is the file
    done += static_cast<std::size_t>(n);
  }
  bytes->resize(done);
  // A file that grew meanwhile is read to its end, through a small buffer so
  // that the usual case (nothing more) costs one read and no copy.
  std::uint8_t more[4096];
  for (;;) {
    const ssize_t n = ::read(file.fd, more, sizeof more);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return read_failed(errno, bytes);
    if (n == 0) break;
    if (bytes->size() + static_cast<std::size_t>(n) > max_bytes) {
      bytes->clear();
      return "file is more than " + megabytes(max_bytes) + ", more than an image within --max-image-pixels can be";
    }
    bytes->insert(bytes->end(), more, more + n);
  }
  return {};
}

}  // namespace trainbench::data
