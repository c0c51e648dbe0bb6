#pragma once
// The NVIDIA telemetry source: utilisation, memory, power, clocks,
// temperature and throttle reasons of every NVIDIA GPU, read through NVML
// (libnvidia-ml, part of the driver), which is loaded at run time so that
// trainbench builds and runs on machines without an NVIDIA driver.
#include <string>
#include <vector>

#include "telemetry/telemetry_sample.h"

namespace trainbench::telemetry {

// Loads `library` (a name the dynamic loader searches for, or a path) and
// starts NVML. The source is null, with a reason, when the library cannot be
// loaded, lacks the NVML entry points, NVML fails to start, or it sees no
// GPU. Figures NVML cannot give for a GPU (a missing entry point in an old
// driver, a call the GPU does not support) stay empty.
OpenedSource open_nvml_source(const std::string& library = "libnvidia-ml.so.1");

// Names of the bits set in NVML's clocks throttle reason mask, lowest bit
// first ("gpu_idle", "sw_power_cap", ...); a bit NVML did not define when
// this was written reads "unknown_0x<bit>".
std::vector<std::string> decode_throttle_reasons(unsigned long long mask);

}  // namespace trainbench::telemetry
