#include "bench/statistics.h"

#include <algorithm>
#include <cmath>

namespace trainbench::bench {

SampleSummary summarize(const std::vector<double>& samples) {
  SampleSummary summary;
  summary.count = samples.size();
  if (samples.empty()) return summary;
  double sum = 0.0;
  for (const double value : samples) sum += value;
  summary.mean = sum / static_cast<double>(samples.size());
  if (samples.size() > 1) {
    double squares = 0.0;
    for (const double value : samples) squares += (value - summary.mean) * (value - summary.mean);
    summary.stddev = std::sqrt(squares / static_cast<double>(samples.size() - 1));
  }
  const auto [low, high] = std::minmax_element(samples.begin(), samples.end());
  summary.min = *low;
  summary.max = *high;
  return summary;
}

double throughput(std::int64_t images, double seconds) {
  return seconds > 0.0 ? static_cast<double>(images) / seconds : 0.0;
}

}  // namespace trainbench::bench
