#include "bench/standing.h"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>

#include "bench/compare_inputs.h"
#include "bench/normalised_estimate.h"
#include "core/device.h"
#include "core/error.h"
#include "core/text.h"

namespace trainbench::bench {
namespace {

core::AmpMode card_precision(const ReferenceFigures& card) {
  return core::parse_amp_mode(card.side.settings.value("amp", std::string("off")));
}

std::string rate_text(double images_per_sec) {
  return core::format(images_per_sec >= 100 ? "%.0f" : "%.1f", images_per_sec);
}

// Waits for a child process; its exit code, or 128 + the signal that ended it.
int wait_for(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw RunError(std::string("waiting for the bench process failed: ") + std::strerror(errno));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// The cards' work at `amp` on `device`, measured by `program bench` in a fresh
// process: after minutes of training, the same steps measured in the trainer's
// own process ran 15% slower here (29.6 against 35.0 images/s at bf16), and a
// standing must agree with `bench` run alone. Its bars go to stderr.
store::BenchRow measure_in_fresh_process(const std::string& program, const std::string& device, core::AmpMode amp,
                                         const StandingOptions& options) {
  char rows_file[] = "/tmp/trainbench-standing-XXXXXX";
  const int fd = mkstemp(rows_file);
  if (fd < 0) throw RunError("cannot create a file in /tmp for the standing's measurement");
  close(fd);
  struct Remove {
    const char* path;
    ~Remove() { std::remove(path); }
  } remove{rows_file};
  std::vector<std::string> args = {program,
                                   "bench",
                                   "--model", kCardModel,
                                   "--img-size", std::to_string(kCardImageSize),
                                   "-b", std::to_string(kCardBatchSize),
                                   "--amp", core::to_string(amp),
                                   "--channels-last", "auto",  // the layout this device trains fastest in
                                   "--device", device,
                                   "--mode", "train",
                                   "--warmup-steps", std::to_string(options.warmup_steps),
                                   "-r", std::to_string(options.repetitions),
                                   "--seconds", core::format("%g", options.timed_seconds),
                                   "-o", "json",
                                   "--output-file", rows_file,
                                   "--no-db", "--no-telemetry", "--quiet"};
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  // A lone process even when this one is rank 0 of a job: without the
  // variables a launcher's rank is recognised by (dist/launch_environment.h).
  std::vector<char*> envp;
  for (char** variable = environ; *variable; ++variable) {
    const std::string entry = *variable;
    const std::string name = entry.substr(0, entry.find('='));
    if (name != "RANK" && name != "WORLD_SIZE" && name != "SLURM_PROCID") envp.push_back(*variable);
  }
  envp.push_back(nullptr);
  pid_t pid = 0;
  const int error = posix_spawn(&pid, "/proc/self/exe", nullptr, nullptr, argv.data(), envp.data());
  if (error != 0) throw RunError(std::string("cannot start the bench process: ") + std::strerror(error));
  const int code = wait_for(pid);
  if (code >= 128) throw RunError("the bench process was stopped (exit code " + std::to_string(code) + ")");
  const std::vector<store::BenchRow> rows = load_bench_file(rows_file);
  return rows.front();
}

std::string bench_command(const std::string& program, const store::BenchRow& row) {
  return program + " bench --model " + kCardModel + " --img-size " + std::to_string(kCardImageSize) + " -b " +
         std::to_string(kCardBatchSize) + " --amp " + row.amp + " --device " + row.device;
}

}  // namespace

core::AmpMode standing_precision(core::AmpMode card_amp, const torch::Device& device) {
  return core::closest_native_amp_mode(card_amp, device);
}

Standing measure_standing(const torch::Device& device, const std::string& program, const StandingOptions& options) {
  Standing standing;
  standing.device = core::device_id(device);
  std::map<core::AmpMode, std::size_t> measured;  // precision -> index in measurements
  for (const ReferenceFigures& card : reference_figures()) {
    const core::AmpMode amp = standing_precision(card_precision(card), device);
    if (!measured.count(amp)) {
      measured[amp] = standing.measurements.size();
      standing.measurements.push_back(measure_in_fresh_process(program, standing.device, amp, options));
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
    const NormalisedRate rate =
        normalise_rate(run.train_images_per_sec.value, model, image_size, kCardModel, kCardImageSize);
    for (const store::BenchRow& row : measured->measurements) {
      if (row.status != "ok") continue;
      text += "  this run's FLOP/s (" + model + " at " + std::to_string(image_size) + " px, amp " + run_amp +
              ") gave an estimate of " + rate_text(rate.images_per_sec) + " images/s at the cards' work, " +
              core::percent(rate.images_per_sec / row.images_per_sec) + " of the " + rate_text(row.images_per_sec) +
              " measured at amp " + row.amp + ": how far a FLOP-normalised estimate lands here\n";
    }
    return text;
  }
  std::string text = "Against the workload's published cards (" + std::string(kPublishedSource) + "):\n";
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
