// libFuzzer target: weights::parse_safetensors on arbitrary bytes.
// Anything malformed must end in trainbench::Error (ModelError); any other
// exception, a crash or a sanitizer report is a finding. A file the reader
// accepts must also survive a round trip through our writer: what
// serialize_safetensors writes, parse_safetensors reads back unchanged.
#include <torch/torch.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <cstdio>

#include "core/error.h"
#include "weights/safetensors.h"

namespace {

using trainbench::weights::SafetensorsContents;

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz_safetensors: invariant broken: %s\n", what);
    std::abort();
  }
}

bool same_bytes(const torch::Tensor& a, const torch::Tensor& b) {
  if (a.scalar_type() != b.scalar_type() || a.sizes() != b.sizes() || a.nbytes() != b.nbytes()) return false;
  return a.nbytes() == 0 || std::memcmp(a.data_ptr(), b.data_ptr(), a.nbytes()) == 0;
}

void check_contents(const SafetensorsContents& contents) {
  for (const auto& [name, tensor] : contents.tensors) {
    check(tensor.defined(), "tensor undefined");
    check(tensor.device().is_cpu(), "tensor not on the CPU");
    check(tensor.is_contiguous(), "tensor not contiguous");
    // Touch every byte, so reading past what the tensor owns shows up under ASan.
    volatile std::uint8_t sink = 0;
    const auto* bytes = static_cast<const std::uint8_t*>(tensor.data_ptr());
    for (std::size_t i = 0; i < tensor.nbytes(); ++i) sink = sink ^ bytes[i];
    (void)name;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  SafetensorsContents contents;
  try {
    contents = trainbench::weights::parse_safetensors(data, size, "fuzz.safetensors");
  } catch (const trainbench::Error& e) {
    if (std::getenv("FUZZ_VERBOSE")) std::fprintf(stderr, "refused: %s\n", e.what());
    return 0;  // refused with a message: the expected outcome for nearly every input
  }
  if (std::getenv("FUZZ_VERBOSE")) std::fprintf(stderr, "accepted: %zu tensors\n", contents.tensors.size());
  check_contents(contents);

  std::vector<std::uint8_t> written;
  try {
    written = trainbench::weights::serialize_safetensors(contents.tensors, contents.metadata);
  } catch (const trainbench::Error&) {
    return 0;  // the writer refuses some names the reader accepts (an empty name)
  }
  SafetensorsContents again;
  try {
    again = trainbench::weights::parse_safetensors(written.data(), written.size(), "round-trip.safetensors");
  } catch (const trainbench::Error& e) {
    std::fprintf(stderr, "fuzz_safetensors: our own output is refused: %s\n", e.what());
    std::abort();
  }
  check(again.metadata == contents.metadata, "metadata changed in the round trip");
  check(again.tensors.size() == contents.tensors.size(), "tensor count changed in the round trip");
  for (std::size_t i = 0; i < again.tensors.size(); ++i) {
    check(again.tensors[i].first == contents.tensors[i].first, "tensor name or order changed in the round trip");
    check(same_bytes(again.tensors[i].second, contents.tensors[i].second), "tensor changed in the round trip");
  }
  return 0;
}
