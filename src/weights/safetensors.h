#pragma once
// safetensors (the format timm and the Hugging Face hub ship weights in): an 8-byte little-endian
// header length N, N bytes of JSON header, then raw little-endian tensor data. The header maps each
// tensor name to {"dtype", "shape", "data_offsets": [begin, end]} (offsets relative to the data
// area) plus an optional "__metadata__" object of strings. Our own reader and writer, because
// Debian ships neither the Rust library nor the Python package; the reader validates as strictly
// as the reference implementation, since weights files come from anywhere.
#include <torch/types.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace trainbench::weights {

struct SafetensorsContents {
  std::vector<std::pair<std::string, torch::Tensor>> tensors;  // in file (data offset) order, CPU, contiguous, owning their memory
  std::map<std::string, std::string> metadata;                 // the header's "__metadata__" (string -> string)
};

// Throws trainbench::ModelError (src/core/error.h) naming the file and what is wrong for anything
// malformed; never crashes and never reads out of bounds.
SafetensorsContents read_safetensors(const std::filesystem::path& path);

// Same checks on a buffer in memory (what read_safetensors uses on the mapped file; the fuzz tests use it).
SafetensorsContents parse_safetensors(const std::uint8_t* data, std::size_t size, const std::string& name_for_errors);

// Writes atomically (temporary file + rename). Tensors may be on any device, any layout (written as
// contiguous CPU data); names must be unique and non-empty. Throws ModelError on an unsupported dtype.
void write_safetensors(const std::filesystem::path& path,
                       const std::vector<std::pair<std::string, torch::Tensor>>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

// Bytes of the file write_safetensors would produce (used by it; handy in tests).
std::vector<std::uint8_t> serialize_safetensors(const std::vector<std::pair<std::string, torch::Tensor>>& tensors,
                                                const std::map<std::string, std::string>& metadata = {});

}  // namespace trainbench::weights
