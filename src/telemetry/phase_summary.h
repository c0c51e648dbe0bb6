#pragma once
// Telemetry reduced per phase of a run: what summary.json and a bench row say
// about how busy the machine was while it trained, evaluated or warmed up.
#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "telemetry/telemetry_sample.h"

namespace trainbench::telemetry {

// The mean of each figure over the samples of one phase (the samples where
// the figure was read; a figure no sample had stays empty), and the peak
// resident set. GPUs are matched by source and index.
struct PhaseAverages {
  std::string phase;
  int samples = 0;
  TelemetrySample mean;  // its seconds is the phase's first sample time
  std::optional<double> process_rss_peak_bytes;
};

// One entry per phase, in order of first appearance.
std::vector<PhaseAverages> average_by_phase(const std::vector<TelemetrySample>& samples);
// Over the samples whose phase is `phase` only (empty mean, 0 samples when none).
PhaseAverages average_of_phase(const std::vector<TelemetrySample>& samples, const std::string& phase);

// {"train": {"samples": 12, "process_cpu_percent": 190.5, ..., "gpus": [...]}, "eval": {...}}
nlohmann::ordered_json to_json(const std::vector<PhaseAverages>& phases);

}  // namespace trainbench::telemetry
