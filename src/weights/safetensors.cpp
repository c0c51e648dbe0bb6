#include "weights/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <torch/torch.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>

#include "core/atomic_file.h"
#include "core/error.h"

namespace trainbench::weights {
namespace fs = std::filesystem;
namespace {

// The format stores little-endian data and we copy it byte for byte.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "safetensors I/O copies raw bytes: little-endian hosts only");

// The reference implementation's limit; it keeps a hostile length from making us allocate or parse gigabytes.
constexpr std::uint64_t kMaxHeaderSize = 100'000'000;
// A real header nests three deep; the limit keeps a hostile "[[[[..." from
// building (and recursively destroying) a deep JSON tree.
constexpr int kMaxJsonDepth = 64;
constexpr std::size_t kLengthPrefix = 8;

struct Dtype {
  const char* name;
  torch::ScalarType type;
  std::size_t itemsize;
};

constexpr Dtype kDtypes[] = {
    {"F64", torch::kFloat64, 8}, {"F32", torch::kFloat32, 4}, {"F16", torch::kFloat16, 2}, {"BF16", torch::kBFloat16, 2},
    {"I64", torch::kInt64, 8},   {"I32", torch::kInt32, 4},   {"I16", torch::kInt16, 2},   {"I8", torch::kInt8, 1},
    {"U8", torch::kUInt8, 1},    {"BOOL", torch::kBool, 1},
};

const Dtype* dtype_by_name(const std::string& name) {
  for (const Dtype& dtype : kDtypes) {
    if (name == dtype.name) return &dtype;
  }
  return nullptr;
}

const Dtype* dtype_by_type(torch::ScalarType type) {
  for (const Dtype& dtype : kDtypes) {
    if (type == dtype.type) return &dtype;
  }
  return nullptr;
}

std::string supported_dtype_names() {
  std::string names;
  for (const Dtype& dtype : kDtypes) names += std::string(names.empty() ? "" : ", ") + dtype.name;
  return names;
}

// Names and values in messages come from untrusted files: quoted, escaped to
// ASCII and cut short, so a message is always one printable line.
std::string quoted(const std::string& text) {
  std::string json = nlohmann::json(text).dump(-1, ' ', /*ensure_ascii=*/true, nlohmann::json::error_handler_t::replace);
  if (json.size() > 120) json = json.substr(0, 100) + "...\"";
  return json;
}

std::string printable(const std::string& text) {
  std::string out = text.substr(0, 300);
  for (char& c : out) {
    if (c < 0x20 || c > 0x7e) c = '?';
  }
  return out;
}

std::string json_kind(const nlohmann::json& value) {
  if (value.is_number_float()) return "a non-integer number";
  if (value.is_number_integer() && !value.is_number_unsigned()) return "a negative number";
  if (value.is_array() || value.is_object()) return std::string("an ") + value.type_name();
  if (value.is_null()) return "null";
  return std::string("a ") + value.type_name();
}

std::string shape_text(const std::vector<std::uint64_t>& shape) {
  std::string text = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

// One header entry, checked on its own before the entries are checked against each other.
struct Entry {
  std::string name;
  const Dtype* dtype = nullptr;
  std::vector<std::int64_t> shape;
  std::uint64_t begin = 0;
  std::uint64_t end = 0;
};

class Parser {
 public:
  Parser(const std::uint8_t* data, std::size_t size, const std::string& file) : data_(data), size_(size), file_(file) {}

  SafetensorsContents parse() {
    if (size_ < kLengthPrefix) {
      fail("the file is " + std::to_string(size_) + " bytes, too short for the 8-byte header length");
    }
    std::uint64_t header_size = 0;
    for (std::size_t i = 0; i < kLengthPrefix; ++i) header_size |= std::uint64_t{data_[i]} << (8 * i);
    if (header_size > kMaxHeaderSize) {
      fail("header length " + std::to_string(header_size) + " exceeds the limit of " + std::to_string(kMaxHeaderSize) +
           " bytes");
    }
    // Both sides are below 2^64 here (header_size <= 1e8), so the sum cannot wrap.
    if (kLengthPrefix + header_size > size_) {
      fail("header length " + std::to_string(header_size) + " runs past the end of the file (" +
           std::to_string(size_) + " bytes)");
    }
    const char* header = reinterpret_cast<const char*>(data_ + kLengthPrefix);
    const nlohmann::json index = parse_header(header, header + header_size);
    data_start_ = kLengthPrefix + header_size;
    data_size_ = size_ - data_start_;

    SafetensorsContents contents;
    std::vector<Entry> entries;
    for (const auto& [name, value] : index.items()) {
      if (name == "__metadata__") {
        contents.metadata = parse_metadata(value);
      } else {
        entries.push_back(parse_entry(name, value));
      }
    }
    check_coverage(entries);
    contents.tensors.reserve(entries.size());
    for (const Entry& entry : entries) contents.tensors.emplace_back(entry.name, copy_out(entry));
    return contents;
  }

 private:
  [[noreturn]] void fail(const std::string& problem) const { throw ModelError(file_ + ": " + problem); }
  [[noreturn]] void fail(const std::string& tensor, const std::string& problem) const {
    throw ModelError(file_ + ": tensor " + quoted(tensor) + ": " + problem);
  }

  nlohmann::json parse_header(const char* begin, const char* end) const {
    // nlohmann::json keeps the last of duplicate keys without a word; a file
    // whose two readers could disagree on a tensor is rejected instead. The
    // callback sees every key with its object open, one key set per open object.
    std::vector<std::set<std::string>> open_objects;
    const auto callback = [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
      using Event = nlohmann::json::parse_event_t;
      if (event == Event::object_start || event == Event::array_start) {
        if (depth >= kMaxJsonDepth) fail("header nests deeper than " + std::to_string(kMaxJsonDepth) + " levels");
        if (event == Event::object_start) open_objects.emplace_back();
      } else if (event == Event::object_end) {
        open_objects.pop_back();
      } else if (event == Event::key) {
        const std::string& key = parsed.get_ref<const std::string&>();
        if (!open_objects.back().insert(key).second) {
          if (depth == 1) fail("duplicate tensor name " + quoted(key) + " in the header");
          fail("duplicate key " + quoted(key) + " in the header");
        }
      }
      return true;
    };
    nlohmann::json index;
    try {
      index = nlohmann::json::parse(begin, end, callback);
    } catch (const nlohmann::json::exception& e) {
      fail("header is not valid JSON: " + printable(e.what()));
    }
    if (!index.is_object()) fail(std::string("header is ") + json_kind(index) + ", not a JSON object");
    // The reference implementation insists on this too (no leading whitespace).
    if (begin == end || *begin != '{') fail("header must start with '{'");
    return index;
  }

  std::map<std::string, std::string> parse_metadata(const nlohmann::json& value) const {
    if (!value.is_object()) fail("\"__metadata__\" is " + json_kind(value) + ", not an object of strings");
    std::map<std::string, std::string> metadata;
    for (const auto& [key, item] : value.items()) {
      if (!item.is_string()) {
        fail("\"__metadata__\" value of " + quoted(key) + " is " + json_kind(item) + ", not a string");
      }
      metadata.emplace(key, item.get<std::string>());
    }
    return metadata;
  }

  Entry parse_entry(const std::string& name, const nlohmann::json& value) const {
    if (!value.is_object()) fail(name, "entry is " + json_kind(value) + ", not an object");
    Entry entry;
    entry.name = name;

    const auto dtype = value.find("dtype");
    if (dtype == value.end()) fail(name, "no \"dtype\"");
    if (!dtype->is_string()) fail(name, "\"dtype\" is " + json_kind(*dtype) + ", not a string");
    entry.dtype = dtype_by_name(dtype->get<std::string>());
    if (!entry.dtype) {
      fail(name, "unsupported dtype " + quoted(dtype->get<std::string>()) + " (supported: " + supported_dtype_names() + ")");
    }

    const auto shape = value.find("shape");
    if (shape == value.end()) fail(name, "no \"shape\"");
    if (!shape->is_array()) fail(name, "\"shape\" is " + json_kind(*shape) + ", not an array");
    std::vector<std::uint64_t> dims;
    for (const nlohmann::json& dim : *shape) {
      if (dim.is_number_integer() && !dim.is_number_unsigned()) {
        fail(name, "negative dimension " + std::to_string(dim.get<std::int64_t>()) + " in \"shape\"");
      }
      if (!dim.is_number_unsigned()) fail(name, "a dimension in \"shape\" is " + json_kind(dim) + ", not an integer");
      dims.push_back(dim.get<std::uint64_t>());
    }
    std::uint64_t count = 1;
    for (const std::uint64_t dim : dims) {
      if (dim != 0 && count > std::numeric_limits<std::uint64_t>::max() / dim) {
        fail(name, "shape " + shape_text(dims) + " overflows a 64-bit element count");
      }
      count *= dim;
    }
    if (count > std::numeric_limits<std::uint64_t>::max() / entry.dtype->itemsize) {
      fail(name, "shape " + shape_text(dims) + " overflows a 64-bit byte count");
    }
    const std::uint64_t byte_count = count * entry.dtype->itemsize;
    for (const std::uint64_t dim : dims) {
      // Only reachable with an empty tensor (count 0), as a larger tensor could not fit the file.
      if (dim > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        fail(name, "dimension " + std::to_string(dim) + " is too large for a tensor");
      }
      entry.shape.push_back(static_cast<std::int64_t>(dim));
    }

    const auto offsets = value.find("data_offsets");
    if (offsets == value.end()) fail(name, "no \"data_offsets\"");
    if (!offsets->is_array() || offsets->size() != 2 || !(*offsets)[0].is_number_unsigned() ||
        !(*offsets)[1].is_number_unsigned()) {
      fail(name, "\"data_offsets\" must be [begin, end] with unsigned integers, not " + printable(offsets->dump()));
    }
    entry.begin = (*offsets)[0].get<std::uint64_t>();
    entry.end = (*offsets)[1].get<std::uint64_t>();
    const std::string offsets_text = "data_offsets [" + std::to_string(entry.begin) + ", " + std::to_string(entry.end) + "]";
    if (entry.begin > entry.end) fail(name, offsets_text + ": begin is after end");
    if (entry.end - entry.begin != byte_count) {
      fail(name, offsets_text + " hold " + std::to_string(entry.end - entry.begin) + " bytes but " + entry.dtype->name +
                     " " + shape_text(dims) + " needs " + std::to_string(byte_count));
    }
    if (entry.end > data_size_) {
      fail(name, offsets_text + " run past the end of the data (" + std::to_string(data_size_) + " bytes)");
    }
    return entry;
  }

  // As the reference implementation: the tensors, in offset order, tile the
  // data area exactly. A gap could hide data, an overlap lets two tensors
  // alias, trailing bytes mean a truncated or padded-by-mistake file.
  void check_coverage(std::vector<Entry>& entries) const {
    std::stable_sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
      return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
    });
    std::uint64_t covered = 0;
    const Entry* previous = nullptr;
    for (const Entry& entry : entries) {
      if (entry.begin > covered) {
        fail(entry.name, "gap of " + std::to_string(entry.begin - covered) + " bytes before its data at " +
                             std::to_string(entry.begin) + " (the data before ends at " + std::to_string(covered) + ")");
      }
      if (entry.begin < covered) {
        fail(entry.name, "its data at [" + std::to_string(entry.begin) + ", " + std::to_string(entry.end) +
                             ") overlaps tensor " + quoted(previous->name) + " at [" + std::to_string(previous->begin) +
                             ", " + std::to_string(previous->end) + ")");
      }
      covered = entry.end;
      previous = &entry;
    }
    if (covered != data_size_) {
      fail("the last " + std::to_string(data_size_ - covered) + " of " + std::to_string(data_size_) +
           " data bytes belong to no tensor");
    }
  }

  torch::Tensor copy_out(const Entry& entry) const {
    torch::Tensor tensor = torch::empty(entry.shape, torch::TensorOptions().dtype(entry.dtype->type));
    const std::size_t bytes = entry.end - entry.begin;
    if (bytes == 0) return tensor;
    const std::uint8_t* source = data_ + data_start_ + entry.begin;
    // A bool byte other than 0 or 1 is undefined behaviour in C++ (and so in LibTorch's kernels).
    if (entry.dtype->type == torch::kBool) {
      const auto bad = std::find_if(source, source + bytes, [](std::uint8_t b) { return b > 1; });
      if (bad != source + bytes) {
        fail(entry.name, "BOOL byte " + std::to_string(*bad) + " at data offset " +
                             std::to_string(entry.begin + static_cast<std::uint64_t>(bad - source)) + " is not 0 or 1");
      }
    }
    std::memcpy(tensor.data_ptr(), source, bytes);
    return tensor;
  }

  const std::uint8_t* data_;
  std::size_t size_;
  const std::string& file_;
  std::uint64_t data_start_ = 0;
  std::uint64_t data_size_ = 0;
};

// The file's bytes, mapped read-only where the kernel allows, else read into
// memory (empty files cannot be mapped; some file systems do not map at all).
class FileBytes {
 public:
  explicit FileBytes(const fs::path& path) {
    const Descriptor file{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
    if (file.fd < 0) throw ModelError("cannot open " + path.string() + ": " + std::strerror(errno));
    struct stat info {};
    if (::fstat(file.fd, &info) != 0) throw ModelError("cannot stat " + path.string() + ": " + std::strerror(errno));
    if (!S_ISREG(info.st_mode)) throw ModelError(path.string() + " is not a regular file");
    size_ = static_cast<std::size_t>(info.st_size);
    if (size_ > 0) {
      void* mapped = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, file.fd, 0);
      if (mapped != MAP_FAILED) {  // the mapping outlives the descriptor
        mapping_ = mapped;
        data_ = static_cast<const std::uint8_t*>(mapped);
        return;
      }
    }
    buffer_.resize(size_);
    std::size_t done = 0;
    while (done < buffer_.size()) {
      const ssize_t n = ::read(file.fd, buffer_.data() + done, buffer_.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw ModelError("cannot read " + path.string() + ": " + std::strerror(errno));
      if (n == 0) break;  // shrank since fstat: parse what is there
      done += static_cast<std::size_t>(n);
    }
    buffer_.resize(done);
    size_ = done;
    data_ = buffer_.data();
  }
  ~FileBytes() {
    if (mapping_) ::munmap(mapping_, size_);
  }
  FileBytes(const FileBytes&) = delete;
  FileBytes& operator=(const FileBytes&) = delete;

  const std::uint8_t* data() const { return data_; }
  std::size_t size() const { return size_; }

 private:
  struct Descriptor {
    int fd;
    ~Descriptor() {
      if (fd >= 0) ::close(fd);
    }
  };

  void* mapping_ = nullptr;
  const std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
  std::vector<std::uint8_t> buffer_;
};

}  // namespace

SafetensorsContents parse_safetensors(const std::uint8_t* data, std::size_t size, const std::string& name_for_errors) {
  return Parser(data, size, name_for_errors).parse();
}

SafetensorsContents read_safetensors(const fs::path& path) {
  const FileBytes file(path);
  return parse_safetensors(file.data(), file.size(), path.string());
}

std::vector<std::uint8_t> serialize_safetensors(const std::vector<std::pair<std::string, torch::Tensor>>& tensors,
                                                const std::map<std::string, std::string>& metadata) {
  // ordered_json: the header lists the tensors in the caller's order, as their data follows.
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::set<std::string> names;
  std::uint64_t offset = 0;
  for (const auto& [name, tensor] : tensors) {
    if (name.empty()) throw ModelError("cannot write a tensor with an empty name to safetensors");
    if (name == "__metadata__") throw ModelError("cannot write a tensor named \"__metadata__\" to safetensors");
    if (!names.insert(name).second) throw ModelError("duplicate tensor name " + quoted(name) + " for safetensors");
    if (!tensor.defined()) throw ModelError("tensor " + quoted(name) + " is undefined");
    const Dtype* dtype = dtype_by_type(tensor.scalar_type());
    if (!dtype) {
      throw ModelError("tensor " + quoted(name) + " has dtype " + std::string(c10::toString(tensor.scalar_type())) +
                       ", which safetensors writing does not support (supported: " + supported_dtype_names() + ")");
    }
    const std::uint64_t bytes = static_cast<std::uint64_t>(tensor.numel()) * dtype->itemsize;
    header[name] = {{"dtype", dtype->name}, {"shape", tensor.sizes().vec()}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string text;
  try {
    text = header.dump();
  } catch (const nlohmann::json::type_error& e) {
    throw ModelError("safetensors tensor names and metadata must be valid UTF-8: " + printable(e.what()));
  }
  // Spaces up to a multiple of 8, as the Rust writer pads, so the data starts 8-byte aligned.
  text.append((8 - text.size() % 8) % 8, ' ');

  std::vector<std::uint8_t> bytes(kLengthPrefix + text.size() + offset);
  const std::uint64_t header_size = text.size();
  for (std::size_t i = 0; i < kLengthPrefix; ++i) bytes[i] = static_cast<std::uint8_t>(header_size >> (8 * i));
  std::memcpy(bytes.data() + kLengthPrefix, text.data(), text.size());
  // One tensor at a time to the CPU, so a model on the GPU is never copied whole.
  std::uint8_t* out = bytes.data() + kLengthPrefix + text.size();
  for (const auto& [name, tensor] : tensors) {
    torch::Tensor cpu = tensor.detach();
    if (cpu.layout() != torch::kStrided) cpu = cpu.to_dense();
    cpu = cpu.to(torch::kCPU).contiguous();
    const std::size_t size = cpu.nbytes();
    if (size > 0) std::memcpy(out, cpu.data_ptr(), size);
    out += size;
  }
  return bytes;
}

void write_safetensors(const fs::path& path, const std::vector<std::pair<std::string, torch::Tensor>>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  const std::vector<std::uint8_t> bytes = serialize_safetensors(tensors, metadata);
  core::write_file_atomically(path, bytes.data(), bytes.size());
}

}  // namespace trainbench::weights
