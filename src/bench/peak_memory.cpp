#include "bench/peak_memory.h"

#include <fstream>
#include <sstream>

#if defined(TRAINBENCH_WITH_CUDA)
#include <c10/cuda/CUDACachingAllocator.h>
#endif

namespace trainbench::bench {
namespace {

std::string read_text(const char* path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Writing "5" to clear_refs resets the peak resident set (VmHWM) to the
// current one; refused on kernels before 4.0 and in some sandboxes.
bool reset_peak_rss() {
  std::ofstream out("/proc/self/clear_refs");
  out << "5";
  out.flush();
  return static_cast<bool>(out);
}

}  // namespace

std::optional<std::int64_t> parse_peak_rss_bytes(const std::string& proc_status) {
  std::istringstream lines(proc_status);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("VmHWM:", 0) != 0) continue;
    std::istringstream fields(line.substr(6));
    long long kilobytes = -1;
    std::string unit;
    if (fields >> kilobytes >> unit && kilobytes >= 0 && unit == "kB") return kilobytes * 1024;
  }
  return std::nullopt;
}

PeakMemoryMeter::PeakMemoryMeter(const torch::Device& device) : device_(device) {
  if (device.is_cpu()) {
    source_ = reset_peak_rss() ? "process-rss" : "process-rss-since-start";
  } else if (device.is_cuda()) {
#if defined(TRAINBENCH_WITH_CUDA)
    c10::cuda::CUDACachingAllocator::resetPeakStats(device.index());
    source_ = "cuda-allocator";
#endif
  }
}

std::optional<std::int64_t> PeakMemoryMeter::peak_bytes() const {
  if (device_.is_cpu()) return parse_peak_rss_bytes(read_text("/proc/self/status"));
#if defined(TRAINBENCH_WITH_CUDA)
  if (device_.is_cuda()) {
    const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(device_.index());
    // Index 0 is StatType::AGGREGATE (all pools) in every LibTorch version;
    // the enum itself moved namespaces in 2.x.
    return stats.allocated_bytes[0].peak;
  }
#endif
  return std::nullopt;
}

void release_cached_memory([[maybe_unused]] const torch::Device& device) {
#if defined(TRAINBENCH_WITH_CUDA)
  if (device.is_cuda()) c10::cuda::CUDACachingAllocator::emptyCache();
#endif
}

}  // namespace trainbench::bench
