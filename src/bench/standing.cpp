#include "bench/standing.h"

#include <cstdio>
#include <map>

#include "bench/bench_runner.h"
#include "bench/normalised_estimate.h"
#include "core/device.h"
#include "core/text.h"

namespace trainbench::bench {
namespace {

core::AmpMode card_precision(const ReferenceFigures& card) {
  return core::parse_amp_mode(card.side.settings.value("amp", std::string("off")));
}

std::string rate_text(double images_per_sec) {
  return core::format(images_per_sec >= 100 ? "%.0f" : "%.1f", images_per_sec);
}

BenchCase card_case(const torch::Device& device, core::AmpMode amp) {
  BenchCase test;
  test.model = kCardModel;
  test.device = core::device_id(device);
  test.image_size = kCardImageSize;
  test.batch_size = kCardBatchSize;
  test.amp = core::to_string(amp);
  test.channels_last = "auto";  // the layout this device trains fastest in
  test.input = "synthetic";
  test.mode = "train";
  return test;
}

std::string bench_command(const std::string& program, const store::BenchRow& row) {
  return program + " bench --model " + kCardModel + " --img-size " + std::to_string(kCardImageSize) + " -b " +
         std::to_string(kCardBatchSize) + " --amp " + row.amp + " --device " + row.device;
}

}  // namespace

core::AmpMode standing_precision(core::AmpMode card_amp, const torch::Device& device) {
  return core::closest_native_amp_mode(card_amp, device);
}

Standing measure_standing(const torch::Device& device, train::ProgressBoard& board, const StandingOptions& options) {
  Standing standing;
  standing.device = core::device_id(device);
  BenchOptions bench_options;
  bench_options.repetitions = options.repetitions;
  bench_options.warmup_steps = options.warmup_steps;
  bench_options.timed_seconds = options.timed_seconds;
  BenchRunner runner(bench_options, board);

  std::map<core::AmpMode, std::size_t> measured;  // precision -> index in measurements
  for (const ReferenceFigures& card : reference_figures()) {
    const core::AmpMode amp = standing_precision(card_precision(card), device);
    if (!measured.count(amp)) {
      measured[amp] = standing.measurements.size();
      standing.measurements.push_back(runner.run(card_case(device, amp)));
    }
    const store::BenchRow& row = standing.measurements[measured[amp]];
    if (row.status != "ok") continue;
    BenchSide here;
    here.label = "this machine";
    here.rows = {row};
    const Comparison comparison = compare_reference_with_bench(card.side, here);
    if (comparison.figures.empty()) continue;
    standing.cards.push_back({&card, card_precision(card), amp, comparison.figures.front()});
  }
  return standing;
}

std::string format_standing(const Standing& standing, const std::string& program) {
  std::string text = "Against the workload's published cards (" + std::string(kPublishedSource) +
                     "), the cards' own work measured here: " + kCardModel + ", " + std::to_string(kCardImageSize) +
                     " px, batch " + std::to_string(kCardBatchSize) + ", training steps on " + standing.device +
                     " (synthetic input, warm-up excluded):\n";
  for (const CardStanding& card : standing.cards) {
    const ComparedFigure& f = card.figure;
    std::string line = "  " + card.card->conditions + ": " + rate_text(f.a.value) + " images/s there, " +
                       rate_text(f.b.value) +
                       (f.b.standard_error ? " ±" + rate_text(*f.b.standard_error) : std::string()) + " here";
    if (card.measured_amp != card.card_amp) {
      line += " (at " + std::string(card.measured_amp == core::AmpMode::kOff ? "fp32" : core::to_string(card.measured_amp)) +
              ": this device has no fast " + core::to_string(card.card_amp) + ")";
    }
    text += line + ": " + f.verdict + "\n";
  }
  for (const store::BenchRow& row : standing.measurements) {
    if (row.status != "ok") {
      text += "  not measured at amp " + row.amp + ": " + row.error + "\n";
      continue;
    }
    text += "  measured: " + std::to_string(row.repetitions) + " windows of " + std::to_string(row.steps) +
            " steps at amp " + row.amp + (row.channels_last ? ", channels-last" : ", contiguous") +
            "; alone: " + bench_command(program, row) + "\n";
  }
  return text;
}

std::string format_run_standing(const TrainingSide& run, const Standing* measured, const std::string& program) {
  if (run.train_images_per_sec.value <= 0) return "";
  const std::string model = run.settings.value("model", std::string());
  const int image_size = run.settings.value("image_size", 0);
  const std::string estimate = standing_estimate(run.train_images_per_sec.value, model, image_size);
  if (measured) {
    std::string text = format_standing(*measured, program);
    const ReferenceFigures& first = reference_figures().front();
    if (match_settings(first.side.settings, run.settings).same_work() || estimate.empty()) return text;
    const std::string run_amp = run.settings.value("amp", std::string("off"));
    for (const store::BenchRow& row : measured->measurements) {
      if (row.status != "ok") continue;
      const NormalisedRate rate =
          normalise_rate(run.train_images_per_sec.value, model, image_size, kCardModel, kCardImageSize);
      text += "  this run's FLOP/s (" + model + " at " + std::to_string(image_size) + " px, amp " + run_amp +
              ") gave an estimate of " + rate_text(rate.images_per_sec) + " images/s at the cards' work, " +
              core::percent(rate.images_per_sec / row.images_per_sec) + " of the " + rate_text(row.images_per_sec) +
              " measured at amp " + row.amp + ": how far a FLOP-normalised estimate lands here\n";
    }
    return text;
  }
  std::string text = "Against the workload's published cards (" + std::string(kPublishedSource) + "):\n";
  std::vector<std::string> lines;
  for (const ReferenceFigures& card : reference_figures()) {
    const Comparison comparison = compare_training_runs(card.side, run);
    if (!comparison.work.same_work()) {
      text += "  no verdict: this run did other work than the cards (" +
              describe_differences(comparison.work.of_role(SettingRole::kWork), "cards", "this run") + ")\n";
      if (!estimate.empty()) text += "  " + estimate;
      text += "  measure the cards' work here: " + program + " bench --model " + kCardModel + " --img-size " +
              std::to_string(kCardImageSize) + " -b " + std::to_string(kCardBatchSize) +
              " (or train --standing, which does it after the run)\n";
      return text;
    }
    const ComparedFigure& f = comparison.figures.front();  // the steady training rate
    text += "  " + card.conditions + ": " + rate_text(f.a.value) + " images/s there, " + rate_text(f.b.value) +
            " here (this run): " + f.verdict + "\n";
  }
  return text;
}

std::string standing_estimate(double images_per_sec, const std::string& model, int image_size) {
  if (images_per_sec <= 0) return "";
  try {
    const NormalisedRate rate = normalise_rate(images_per_sec, model, image_size, kCardModel, kCardImageSize);
    return "At the cards' work (" + std::string(kCardModel) + ", " + std::to_string(kCardImageSize) +
           " px) this machine would do " + describe_normalised(rate, model, image_size) + "\n";
  } catch (const std::exception&) {
    return "";
  }
}

}  // namespace trainbench::bench
