#include "bench/compare.h"

#include <cmath>
#include <cstdio>
#include <set>

#include "bench/normalised_estimate.h"
#include "core/text.h"

namespace trainbench::bench {
using store::BenchRow;
using store::bench_key_columns;
using store::to_row;
using core::Row;

namespace {

using core::percent;

// A first pass slower than this share of the steady rate gets a note: the
// workload's Arc card ran its first pass at 40% of its later speed.
constexpr double kSlowFirstPassShare = 0.67;

Estimate bench_estimate(const BenchRow& row) {
  if (!row.images_per_sec_samples.empty()) {
    Estimate e = estimate_from_samples(row.images_per_sec_samples);
    e.value = row.images_per_sec;  // the row's own mean, as printed by `bench`
    return e;
  }
  return estimate_from_mean_sd(row.images_per_sec, row.images_per_sec_std, row.repetitions);
}

std::string failed_text(const BenchRow& row, bool include_device) {
  return describe_bench_test(row, include_device) + " (failed: " + row.error + ")";
}

// The devices a side ran on.
std::set<std::string> devices_of(const BenchSide& side) {
  std::set<std::string> devices;
  for (const BenchRow& row : side.rows) devices.insert(row.device);
  return devices;
}

bool devices_overlap(const std::set<std::string>& a, const std::set<std::string>& b) {
  for (const std::string& device : a) {
    if (b.count(device)) return true;
  }
  return false;
}

void add_first_pass_note(const TrainingSide& side, std::vector<std::string>* notes) {
  if (!side.first_epoch_images_per_sec || side.train_images_per_sec.value <= 0) return;
  const double share = side.first_epoch_images_per_sec->value / side.train_images_per_sec.value;
  if (share < kSlowFirstPassShare) {
    notes->push_back(side.label + "'s first epoch ran at " + percent(share) +
                     " of its steady rate (warm-up, kernel selection, caches): look at the steady state for the "
                     "machine's speed");
  }
}

void add_side_notes(const TrainingSide& side, std::vector<std::string>* notes) {
  for (const std::string& note : side.notes) notes->push_back(side.label + ": " + note);
}

// A figure between different work: its values stand, without ratio, verdict
// or a judgement of the spread.
void withhold_verdict(ComparedFigure* figure) {
  figure->same_work = false;
  figure->ratio.reset();
  figure->difference.reset();
  figure->verdict.clear();
  figure->significance = Significance::kUnknown;
}

// B's rate at A's model and image size, by FLOPs per image; "" when either
// side's model or size is unknown or cannot be counted.
std::string normalised_verdict(const TrainingSide& a, const TrainingSide& b, const Estimate& a_rate, double b_rate,
                               bool training) {
  try {  // a setting of another type, or an unknown model name: no estimate rather than a wrong one
    const std::string model_a = a.settings.value("model", std::string());
    const std::string model_b = b.settings.value("model", std::string());
    const int size_a = a.settings.value("image_size", 0), size_b = b.settings.value("image_size", 0);
    if (model_a.empty() || model_b.empty() || size_a <= 0 || size_b <= 0 || b_rate <= 0) return "";
    const NormalisedRate rate = normalise_rate(b_rate, model_b, size_b, model_a, size_a, training);
    return "estimate at " + a.label + "'s work: " + describe_normalised(rate, model_b, size_b) + ", " +
           throughput_verdict(a_rate.value > 0 ? rate.images_per_sec / a_rate.value : 0.0, a.label);
  } catch (const std::exception&) {
    return "";
  }
}

// A throughput figure under the same-work rule: between different work no
// verdict; with options.normalise, B's rate estimated at A's work by FLOPs and
// that estimate's verdict, labelled as one.
ComparedFigure rate_figure(const std::string& name, const Estimate& a_rate, const Estimate& b_rate, const TrainingSide& a,
                           const TrainingSide& b, bool same_work, const CompareOptions& options, bool training) {
  ComparedFigure figure = compare_throughput(name, a_rate, b_rate, a.label);
  if (same_work) return figure;
  withhold_verdict(&figure);
  if (options.normalise) figure.estimate = normalised_verdict(a, b, a_rate, b_rate.value, training);
  return figure;
}

Comparison start_comparison(const std::string& a_label, const std::string& a_description, const std::string& b_label,
                            const std::string& b_description) {
  Comparison comparison;
  comparison.a_label = a_label;
  comparison.b_label = b_label;
  comparison.a_description = a_description;
  comparison.b_description = b_description;
  return comparison;
}

}  // namespace

ComparedFigure compare_throughput(const std::string& name, const Estimate& a, const Estimate& b,
                                  const std::string& a_label) {
  ComparedFigure figure;
  figure.name = name;
  figure.kind = FigureKind::kThroughput;
  figure.a = a;
  figure.b = b;
  if (a.value > 0) figure.ratio = b.value / a.value;
  figure.verdict = throughput_verdict(figure.ratio.value_or(0.0), a_label);
  figure.significance = difference_beyond_spread(a, b);
  return figure;
}

ComparedFigure compare_duration(const std::string& name, const Estimate& a, const Estimate& b,
                                const std::string& a_label) {
  ComparedFigure figure = compare_throughput(name, a, b, a_label);
  figure.kind = FigureKind::kDuration;
  figure.ratio.reset();
  if (b.value > 0) figure.ratio = a.value / b.value;  // the speed ratio: B took longer -> below 1
  figure.verdict = throughput_verdict(figure.ratio.value_or(0.0), a_label);
  return figure;
}

nlohmann::json bench_test_key(const BenchRow& row, bool ignore_device) {
  const Row full = to_row(row);
  nlohmann::json key = nlohmann::json::array();
  for (const std::string& column : bench_key_columns()) {
    if (ignore_device && column == "device") continue;
    key.push_back(full.contains(column) ? nlohmann::json(full[column]) : nlohmann::json());
  }
  return key;
}

std::string describe_bench_test(const BenchRow& row, bool include_device) {
  std::string text = row.mode + " " + row.model + " b" + std::to_string(row.requested_batch_size) +
                     (row.batch_size != row.requested_batch_size ? " (ran b" + std::to_string(row.batch_size) + ")" : "") +
                     " " + std::to_string(row.image_size) + "px amp=" + row.amp + " " +
                     (row.channels_last ? "channels-last" : "contiguous") + " " + row.input;
  if (row.input == "real") text += " workers=" + std::to_string(row.workers);
  if (include_device) text += " on " + row.device;
  return text;
}

Comparison compare_benches(const BenchSide& a, const BenchSide& b) {
  Comparison comparison = start_comparison(a.label, a.description, b.label, b.description);
  const std::set<std::string> devices_a = devices_of(a), devices_b = devices_of(b);
  const bool ignore_device = !devices_overlap(devices_a, devices_b);
  if (ignore_device && !devices_a.empty() && !devices_b.empty()) {
    comparison.notes.push_back(a.label + " ran on " + core::join({devices_a.begin(), devices_a.end()}) + ", " +
                               b.label + " on " + core::join({devices_b.begin(), devices_b.end()}) +
                               ": tests are paired ignoring the device");
  }

  std::vector<bool> used(b.rows.size(), false);
  for (std::size_t j = 0; j < b.rows.size(); ++j) {
    if (b.rows[j].status != "ok") {
      used[j] = true;
      comparison.unpaired_b.push_back(failed_text(b.rows[j], !ignore_device));
    }
  }
  for (const BenchRow& row_a : a.rows) {
    if (row_a.status != "ok") {
      comparison.unpaired_a.push_back(failed_text(row_a, !ignore_device));
      continue;
    }
    const nlohmann::json key = bench_test_key(row_a, ignore_device);
    std::size_t match = b.rows.size();
    for (std::size_t j = 0; j < b.rows.size() && match == b.rows.size(); ++j) {
      if (!used[j] && bench_test_key(b.rows[j], ignore_device) == key) match = j;
    }
    if (match == b.rows.size()) {
      comparison.unpaired_a.push_back(describe_bench_test(row_a, !ignore_device));
      continue;
    }
    used[match] = true;
    comparison.figures.push_back(compare_throughput(describe_bench_test(row_a, !ignore_device), bench_estimate(row_a),
                                                    bench_estimate(b.rows[match]), a.label));
  }
  for (std::size_t j = 0; j < b.rows.size(); ++j) {
    if (!used[j]) comparison.unpaired_b.push_back(describe_bench_test(b.rows[j], !ignore_device));
  }
  if (comparison.figures.empty()) {
    comparison.notes.push_back("no test ran on both sides: compare benches of the same matrix (same models, batch "
                               "sizes, image sizes, precision, layout and input)");
  }
  return comparison;
}

Comparison compare_training_runs(const TrainingSide& a, const TrainingSide& b, const CompareOptions& options) {
  Comparison comparison = start_comparison(a.label, a.description, b.label, b.description);
  comparison.work = match_settings(a.settings, b.settings);
  const bool same_work = comparison.work.same_work();
  const bool same_recipe = comparison.work.same_recipe();
  std::vector<ComparedFigure>& figures = comparison.figures;
  figures.push_back(rate_figure("train images/s (steady state)", a.train_images_per_sec, b.train_images_per_sec, a, b,
                                same_work, options, true));
  if (a.first_epoch_images_per_sec && b.first_epoch_images_per_sec) {
    figures.push_back(rate_figure("train images/s (first epoch)", *a.first_epoch_images_per_sec,
                                  *b.first_epoch_images_per_sec, a, b, same_work, options, true));
  }
  if (a.eval_images_per_sec && b.eval_images_per_sec) {
    figures.push_back(
        rate_figure("eval images/s", *a.eval_images_per_sec, *b.eval_images_per_sec, a, b, same_work, options, false));
  }
  if (a.passes_seconds && b.passes_seconds && same_work) {
    const bool same_amount = a.epochs == b.epochs && (a.train_images == 0 || b.train_images == 0 ||
                                                      a.train_images == b.train_images);
    if (same_amount) {
      figures.push_back(compare_duration("time of all passes (s)", *a.passes_seconds, *b.passes_seconds, a.label));
    } else {
      comparison.notes.push_back("total time not compared: the runs did different amounts of work (" + a.label + ": " +
                                 std::to_string(a.epochs) + " epochs of " + std::to_string(a.train_images) +
                                 " images, " + b.label + ": " + std::to_string(b.epochs) + " epochs of " +
                                 std::to_string(b.train_images) + ")");
    }
  }
  if (a.val_accuracy && b.val_accuracy) {
    const QualityJudgement judgement = judge_accuracy(*a.val_accuracy, a.val_images, *b.val_accuracy, b.val_images, a.label);
    ComparedFigure figure;
    figure.name = "final val accuracy";
    figure.kind = FigureKind::kAccuracy;
    figure.a = exact_estimate(*a.val_accuracy, "n_val " + std::to_string(a.val_images));
    figure.b = exact_estimate(*b.val_accuracy, "n_val " + std::to_string(b.val_images));
    figure.difference = judgement.difference;
    figure.verdict = judgement.verdict;
    figure.significance = judgement.significance;
    if (!same_recipe) withhold_verdict(&figure);
    figures.push_back(figure);
  }
  if (a.val_loss && b.val_loss) {
    const QualityJudgement judgement = judge_loss(*a.val_loss, *b.val_loss, a.label);
    ComparedFigure figure;
    figure.name = "final val loss";
    figure.kind = FigureKind::kLoss;
    figure.a = exact_estimate(*a.val_loss);
    figure.b = exact_estimate(*b.val_loss);
    figure.difference = judgement.difference;
    figure.verdict = judgement.verdict;
    figure.significance = judgement.significance;
    if (!same_recipe) withhold_verdict(&figure);
    figures.push_back(figure);
  }

  std::vector<std::string>& notes = comparison.notes;
  const WorkMatch& work = comparison.work;
  if (!same_work) {
    notes.push_back("different work, so no faster/slower verdict: " +
                    describe_differences(work.of_role(SettingRole::kWork), a.label, b.label) +
                    (options.normalise ? " (the estimates divide FLOP/s achieved by FLOPs per image: an estimate, "
                                         "not a measurement)"
                                       : " (`compare --normalise` adds a FLOP-normalised estimate, labelled as one)"));
  }
  if (same_work && !same_recipe) {
    notes.push_back("different recipe or data, so no verdict on accuracy or loss: " +
                    describe_differences(work.of_role(SettingRole::kRecipe), a.label, b.label));
  }
  const std::vector<SettingDifference> how = work.of_role(SettingRole::kExecution);
  if (!how.empty()) notes.push_back("ran differently: " + describe_differences(how, a.label, b.label));
  if (a.seed && b.seed) {
    if (*a.seed == *b.seed) {
      notes.push_back("both runs used seed " + std::to_string(*a.seed) +
                      ": differences in loss and accuracy come from the machine, precision or software, not from "
                      "the seed");
    } else {
      notes.push_back("the runs used different seeds (" + std::to_string(*a.seed) + ", " + std::to_string(*b.seed) +
                      "): loss and accuracy differ by seed-to-seed noise as well");
    }
  }
  add_first_pass_note(a, &notes);
  add_first_pass_note(b, &notes);
  add_side_notes(a, &notes);
  add_side_notes(b, &notes);
  return comparison;
}

nlohmann::ordered_json bench_row_settings(const BenchRow& row) {
  return {{"mode", row.mode},
          {"model", row.model},
          {"image_size", row.image_size},
          {"batch_size", row.requested_batch_size},
          {"amp", row.amp},
          {"channels_last", row.channels_last},
          {"device", row.device}};
}

Comparison compare_reference_with_bench(const TrainingSide& reference, const BenchSide& b,
                                        const CompareOptions& options) {
  Comparison comparison = start_comparison(reference.label, reference.description, b.label, b.description);
  for (const BenchRow& row : b.rows) {
    if (row.status != "ok") {
      comparison.unpaired_b.push_back(failed_text(row, true));
      continue;
    }
    const bool train = row.mode == "train";
    if (!train && !reference.eval_images_per_sec) {
      comparison.unpaired_b.push_back(describe_bench_test(row, true) + " (no published evaluation rate)");
      continue;
    }
    const Estimate& published = train ? reference.train_images_per_sec : *reference.eval_images_per_sec;
    TrainingSide measured;
    measured.label = b.label;
    measured.settings = bench_row_settings(row);
    const WorkMatch match = match_settings(reference.settings, measured.settings);
    for (const SettingDifference& difference : match.differences) {
      bool known = false;
      for (const SettingDifference& seen : comparison.work.differences) known = known || seen.name == difference.name;
      if (!known) comparison.work.differences.push_back(difference);
    }
    comparison.figures.push_back(rate_figure(describe_bench_test(row, true) + (train ? " vs train pass" : " vs eval pass"),
                                             published, bench_estimate(row), reference, measured, match.same_work(),
                                             options, train));
  }
  if (!comparison.work.same_work()) {
    comparison.notes.push_back(
        "rows of other work than the published figures' get no verdict: " +
        describe_differences(comparison.work.of_role(SettingRole::kWork), reference.label, b.label) +
        (options.normalise ? " (their estimates divide FLOP/s achieved by FLOPs per image: estimates, not measurements)"
                           : " (`compare --normalise` adds a FLOP-normalised estimate, labelled as one)"));
  }
  comparison.notes.push_back("bench rows time steady-state steps (synthetic input leaves out the data path); the "
                             "published rates are whole passes over real data");
  add_side_notes(reference, &comparison.notes);
  return comparison;
}

}  // namespace trainbench::bench
