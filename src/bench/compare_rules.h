#pragma once
// The rules `compare` judges a difference by, and the words it says it in.
// Kept apart from the loading and pairing so each rule is one small function
// with its own test.
//
// Throughput (images/s): a difference is real when
//   |mean_B - mean_A| > 2 * sqrt(se_A^2 + se_B^2),   se = sd / sqrt(n)
// (Welch-style, about a 95% two-sided test; n = repetitions of a bench row or
// the steady-state epochs of a training run). With fewer than two samples on
// a side the spread is unknown and `compare` says so instead of guessing.
//
// Accuracy: with different seeds, the final validation accuracy of a network
// varies by about the binomial standard error of the evaluation set,
// sqrt(p(1-p)/n_val) (Jordan 2023, "On the variance of neural network
// training with respect to test sets and distributions": seed-to-seed
// variation of test accuracy is close to what sampling the test set alone
// gives). So two runs differ by more than seed-to-seed noise when
// |acc_B - acc_A| > 2 * sqrt(p_A(1-p_A)/n_A + p_B(1-p_B)/n_B).
//
// Loss: a mean cross-entropy's spread cannot be derived from the summary (it
// is dominated by the few confident mistakes, whose number is itself noisy),
// so a documented rule of thumb stands in: a relative difference above 2% of
// the two losses' mean counts as beyond noise.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace trainbench::bench {

// Inside this band of B/A the two are "within 10%" of each other.
constexpr double kWithinBand = 0.10;
// Differences beyond this many combined standard errors count as real.
constexpr double kSpreadMultiple = 2.0;
// The loss's relative tolerance (see the header comment).
constexpr double kLossRelativeTolerance = 0.02;

// A figure and what is known of its noise.
struct Estimate {
  double value = 0.0;
  std::optional<double> standard_error;  // of `value`; unset: spread unknown
  std::string spread_note;               // how the spread was obtained ("sd 3.1 over 5 repetitions")
};

// Mean and sample standard deviation of n values (what a bench row stores):
// standard error sd/sqrt(n), unknown for n < 2.
Estimate estimate_from_mean_sd(double mean, double sd, int samples, const std::string& what = "repetitions");
// The same from the values themselves.
Estimate estimate_from_samples(const std::vector<double>& samples, const std::string& what = "repetitions");
// A published low-high range: the midpoint, with half the range taken as its
// standard error (conservative: three samples span about 1.7 sd, so the
// standard error of their mean is nearer a third of the range).
Estimate estimate_from_range(double low, double high);
// A single number without spread.
Estimate exact_estimate(double value, const std::string& note = "");

enum class Significance { kBeyond, kWithin, kUnknown };

// "yes", "no", "spread unknown".
std::string to_string(Significance significance);

// The throughput rule above.
Significance difference_beyond_spread(const Estimate& a, const Estimate& b);

// ratio = B/A: "within 10% of A", "34% slower than A", "25% faster than A",
// and from a factor 2 on either way "2.5x faster than A", "21x slower than A".
std::string throughput_verdict(double ratio, const std::string& a_label);

// The result of judging a quality figure (accuracy or loss) against noise.
struct QualityJudgement {
  Significance significance = Significance::kUnknown;
  double difference = 0.0;  // B - A
  double threshold = 0.0;   // the noise band |difference| is held against (0 when unknown)
  std::string verdict;      // one phrase, naming A
};

// The accuracy rule above; val_images 0 (unknown) gives kUnknown.
QualityJudgement judge_accuracy(double accuracy_a, std::int64_t val_images_a, double accuracy_b,
                                std::int64_t val_images_b, const std::string& a_label);
// The loss rule above.
QualityJudgement judge_loss(double loss_a, double loss_b, const std::string& a_label);

}  // namespace trainbench::bench
