#pragma once
// Peak memory of one bench test: the device allocator's peak on GPUs (what a
// bigger batch would run out of), the process's peak resident set on CPUs.
#include <torch/types.h>

#include <cstdint>
#include <optional>
#include <string>

namespace trainbench::bench {

class PeakMemoryMeter {
 public:
  // Resets the peak where the platform allows: CUDA's allocator statistics,
  // or Linux's VmHWM through /proc/self/clear_refs (since Linux 4.0).
  explicit PeakMemoryMeter(const torch::Device& device);

  // Bytes at the peak since construction (since process start on CPU when
  // the reset was refused: `source` then says so); nullopt when unknown
  // (XPU and MPS: not measured yet).
  std::optional<std::int64_t> peak_bytes() const;

  // "cuda-allocator", "process-rss", "process-rss-since-start", or "".
  const std::string& source() const { return source_; }

 private:
  torch::Device device_;
  std::string source_;
};

// Frees the device allocator's cached blocks (CUDA), so a retry after an
// out-of-memory error starts from an empty cache. Nothing elsewhere.
void release_cached_memory(const torch::Device& device);

// VmHWM from the text of /proc/self/status, in bytes; nullopt when absent.
std::optional<std::int64_t> parse_peak_rss_bytes(const std::string& proc_status);

}  // namespace trainbench::bench
