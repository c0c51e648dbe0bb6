#pragma once
// The Intel GPU telemetry source: frequency, temperature, power and (where
// the kernel lets this process count it) render-engine utilisation of Intel
// GPUs driven by i915 or xe, read from sysfs and the driver's perf PMU.
// Intel has no NVML-like library that every machine has, so this reads what
// the kernel drivers expose.
#include <functional>
#include <optional>
#include <string>

#include "telemetry/telemetry_sample.h"

namespace trainbench::telemetry {

// Finds the Intel GPUs under <sysfs_root>/class/drm (cardN nodes whose PCI
// vendor is 0x8086 and whose driver is i915 or xe). The source is null, with
// a reason, when there is none. Per card and sample it reads the actual GPU
// frequency, the temperature and the power (from the energy counter between
// two samples, so empty on the first); utilisation comes from the driver's
// perf PMU (rcs0-busy) when perf_event_open is allowed (CAP_PERFMON or a low
// enough kernel.perf_event_paranoid) and stays empty otherwise.
// `clock_seconds` is the monotonic clock in seconds that rates divide by
// (default std::chrono::steady_clock); tests inject one for exact rates.
OpenedSource open_intel_gpu_source(const std::string& sysfs_root = "/sys");
OpenedSource open_intel_gpu_source(const std::string& sysfs_root, std::function<double()> clock_seconds);

// The config value of a perf event description from sysfs
// (<pmu>/events/<event>, e.g. "config=0x2\n"). Nullopt when the text holds
// anything else, such as other terms this source would not know how to set.
std::optional<unsigned long long> parse_perf_event_config(const std::string& event_text);

}  // namespace trainbench::telemetry
