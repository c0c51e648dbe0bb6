#pragma once
// The statistics a bench reports: throughput is images over elapsed time (a
// mean of per-step rates would overweight fast steps), summarised over
// repetitions by the mean and the sample standard deviation.
#include <cstdint>
#include <vector>

namespace trainbench::bench {

struct SampleSummary {
  std::size_t count = 0;
  double mean = 0.0;
  double stddev = 0.0;  // sample standard deviation (n - 1); 0 for fewer than two samples
  double min = 0.0;
  double max = 0.0;
};

SampleSummary summarize(const std::vector<double>& samples);

// images / seconds; 0 when no time elapsed.
double throughput(std::int64_t images, double seconds);

}  // namespace trainbench::bench
