#include "bench/compare_rules.h"

#include <cmath>
#include <cstdio>

#include "bench/statistics.h"
#include "core/text.h"

namespace trainbench::bench {
namespace {

using core::format;

// Ratios are printed to two decimals and typed by hand in tests: 1.1 must read
// as "within 10%" although 1.1 - 1 is a hair above 0.1 in binary.
constexpr double kBoundarySlack = 1e-9;

}  // namespace

Estimate estimate_from_mean_sd(double mean, double sd, int samples, const std::string& what) {
  Estimate estimate;
  estimate.value = mean;
  if (samples >= 2) {
    estimate.standard_error = sd / std::sqrt(static_cast<double>(samples));
    estimate.spread_note = format("sd %.3g", sd) + " over " + std::to_string(samples) + " " + what;
  } else {
    estimate.spread_note = std::to_string(samples) + " " + what + ": spread unknown";
  }
  return estimate;
}

Estimate estimate_from_samples(const std::vector<double>& samples, const std::string& what) {
  const SampleSummary summary = summarize(samples);
  return estimate_from_mean_sd(summary.mean, summary.stddev, static_cast<int>(summary.count), what);
}

Estimate estimate_from_range(double low, double high) {
  Estimate estimate;
  estimate.value = (low + high) / 2.0;
  estimate.standard_error = (high - low) / 2.0;
  estimate.spread_note = format("published range %.4g", low) + format("-%.4g", high);
  return estimate;
}

Estimate exact_estimate(double value, const std::string& note) {
  Estimate estimate;
  estimate.value = value;
  estimate.spread_note = note.empty() ? "spread unknown" : note;
  return estimate;
}

std::string to_string(Significance significance) {
  switch (significance) {
    case Significance::kBeyond: return "yes";
    case Significance::kWithin: return "no";
    case Significance::kUnknown: break;
  }
  return "spread unknown";
}

Significance difference_beyond_spread(const Estimate& a, const Estimate& b) {
  if (!a.standard_error || !b.standard_error) return Significance::kUnknown;
  const double combined = std::sqrt(*a.standard_error * *a.standard_error + *b.standard_error * *b.standard_error);
  return std::fabs(b.value - a.value) > kSpreadMultiple * combined ? Significance::kBeyond : Significance::kWithin;
}

std::string throughput_verdict(double ratio, const std::string& a_label) {
  if (!std::isfinite(ratio) || ratio <= 0.0) return "cannot compare with " + a_label + " (no throughput on one side)";
  if (std::fabs(ratio - 1.0) <= kWithinBand + kBoundarySlack) return "within 10% of " + a_label;
  // From 2x on either way, as a factor: "95% slower" hides a 20x gap.
  const auto factor = [](double x) { return format(x >= 10.0 ? "%.0fx" : "%.1fx", x); };
  if (ratio < 0.5) return factor(1.0 / ratio) + " slower than " + a_label;
  if (ratio < 1.0) return std::to_string(std::lround((1.0 - ratio) * 100.0)) + "% slower than " + a_label;
  if (ratio >= 2.0) return factor(ratio) + " faster than " + a_label;
  return std::to_string(std::lround((ratio - 1.0) * 100.0)) + "% faster than " + a_label;
}

QualityJudgement judge_accuracy(double accuracy_a, std::int64_t val_images_a, double accuracy_b,
                                std::int64_t val_images_b, const std::string& a_label) {
  QualityJudgement judgement;
  judgement.difference = accuracy_b - accuracy_a;
  const std::string points = format("%.2f points ", std::fabs(judgement.difference) * 100.0) +
                             (judgement.difference < 0 ? "lower than " : "higher than ") + a_label;
  if (val_images_a <= 0 || val_images_b <= 0) {
    judgement.verdict = points + "; noise unknown (validation set size missing)";
    return judgement;
  }
  const double variance_a = accuracy_a * (1.0 - accuracy_a) / static_cast<double>(val_images_a);
  const double variance_b = accuracy_b * (1.0 - accuracy_b) / static_cast<double>(val_images_b);
  judgement.threshold = kSpreadMultiple * std::sqrt(variance_a + variance_b);
  const std::string band = format("; noise band ±%.2f points", judgement.threshold * 100.0);
  if (std::fabs(judgement.difference) > judgement.threshold) {
    judgement.significance = Significance::kBeyond;
    judgement.verdict = points + ", more than seed-to-seed noise" + band;
  } else {
    judgement.significance = Significance::kWithin;
    judgement.verdict = "within seed-to-seed noise of " + a_label + band;
  }
  return judgement;
}

QualityJudgement judge_loss(double loss_a, double loss_b, const std::string& a_label) {
  QualityJudgement judgement;
  judgement.difference = loss_b - loss_a;
  const double scale = (std::fabs(loss_a) + std::fabs(loss_b)) / 2.0;
  judgement.threshold = kLossRelativeTolerance * scale;
  const double relative = scale > 0 ? judgement.difference / scale : 0.0;
  if (std::fabs(judgement.difference) > judgement.threshold) {
    judgement.significance = Significance::kBeyond;
    judgement.verdict = format("%.1f%% ", std::fabs(relative) * 100.0) + (relative < 0 ? "lower" : "higher") +
                        " than " + a_label + ", beyond the 2% tolerance";
  } else {
    judgement.significance = Significance::kWithin;
    judgement.verdict = "within 2% of " + a_label;
  }
  return judgement;
}

}  // namespace trainbench::bench
