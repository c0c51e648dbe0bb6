// compare's verdicts: the wording at its boundaries, the spread and noise
// rules with hand-computed numbers, pairing bench rows, training runs from run
// folders written here, and the built-in published reference rows.
#include "bench/compare.h"
#include "bench/same_work.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>

#include "bench/compare_inputs.h"
#include "bench/compare_report.h"
#include "bench/reference_figures.h"
#include "core/error.h"
#include "store/results_store.h"
#include "test_support.h"
#include "train/train_config.h"

namespace trainbench::bench {
using store::BenchRow;
using store::to_row;

namespace {

namespace fs = std::filesystem;
using testing::TempDir;

bool has_note_containing(const Comparison& comparison, const std::string& text) {
  for (const std::string& note : comparison.notes) {
    if (note.find(text) != std::string::npos) return true;
  }
  return false;
}

// ---- verdict wording ----

TEST(CompareVerdict, WithinTenPercentIncludesBothBoundaries) {
  EXPECT_EQ(throughput_verdict(0.9, "A"), "within 10% of A");
  EXPECT_EQ(throughput_verdict(1.1, "A"), "within 10% of A");
  EXPECT_EQ(throughput_verdict(1.0, "A"), "within 10% of A");
  EXPECT_EQ(throughput_verdict(0.95, "Titan RTX (published)"), "within 10% of Titan RTX (published)");
}

TEST(CompareVerdict, JustOutsideTheBandIsSlowerOrFaster) {
  EXPECT_EQ(throughput_verdict(0.899, "A"), "10% slower than A");
  EXPECT_EQ(throughput_verdict(1.101, "A"), "10% faster than A");
}

TEST(CompareVerdict, PercentagesAsTheWorkloadPostPhrasedThem) {
  EXPECT_EQ(throughput_verdict(0.66, "A"), "34% slower than A");
  EXPECT_EQ(throughput_verdict(0.5, "A"), "50% slower than A");
  EXPECT_EQ(throughput_verdict(1.25, "A"), "25% faster than A");
  EXPECT_EQ(throughput_verdict(1.96, "A"), "96% faster than A");
}

TEST(CompareVerdict, TwiceAndMoreReadsAsAMultiple) {
  EXPECT_EQ(throughput_verdict(2.5, "A"), "2.5x faster than A");
  EXPECT_EQ(throughput_verdict(2.0, "A"), "2.0x faster than A");
}

TEST(CompareVerdict, NoThroughputCannotBeCompared) {
  EXPECT_NE(throughput_verdict(0.0, "A").find("cannot compare"), std::string::npos);
}

// ---- the spread rule ----

TEST(CompareSpread, EstimateFromSamplesHasTheStandardErrorOfTheMean) {
  const Estimate e = estimate_from_samples({98.0, 100.0, 102.0});
  EXPECT_DOUBLE_EQ(e.value, 100.0);
  ASSERT_TRUE(e.standard_error);
  EXPECT_NEAR(*e.standard_error, 2.0 / std::sqrt(3.0), 1e-12);  // sd 2 over 3 samples
}

TEST(CompareSpread, DifferenceBeyondTwoCombinedStandardErrorsIsReal) {
  // sd 2 over 5 repetitions on each side: se 0.894 each, combined 1.265, threshold 2.53.
  const Estimate a = estimate_from_mean_sd(100.0, 2.0, 5);
  EXPECT_EQ(difference_beyond_spread(a, estimate_from_mean_sd(103.0, 2.0, 5)), Significance::kBeyond);
  EXPECT_EQ(difference_beyond_spread(a, estimate_from_mean_sd(97.0, 2.0, 5)), Significance::kBeyond);
  EXPECT_EQ(difference_beyond_spread(a, estimate_from_mean_sd(102.0, 2.0, 5)), Significance::kWithin);
  EXPECT_EQ(difference_beyond_spread(a, estimate_from_mean_sd(102.5, 2.0, 5)), Significance::kWithin);
  EXPECT_EQ(difference_beyond_spread(a, estimate_from_mean_sd(102.6, 2.0, 5)), Significance::kBeyond);
}

TEST(CompareSpread, UnequalSpreadsCombineWelchStyle) {
  // se_A = 4/sqrt(4) = 2, se_B = 1/sqrt(4) = 0.5: threshold 2*sqrt(4.25) = 4.123.
  const Estimate a = estimate_from_mean_sd(50.0, 4.0, 4);
  EXPECT_EQ(difference_beyond_spread(a, estimate_from_mean_sd(54.0, 1.0, 4)), Significance::kWithin);
  EXPECT_EQ(difference_beyond_spread(a, estimate_from_mean_sd(54.2, 1.0, 4)), Significance::kBeyond);
}

TEST(CompareSpread, FewerThanTwoSamplesOnASideIsUnknown) {
  const Estimate one_repetition = estimate_from_mean_sd(60.0, 0.0, 1);
  EXPECT_FALSE(one_repetition.standard_error);
  EXPECT_EQ(difference_beyond_spread(estimate_from_mean_sd(100.0, 1.0, 5), one_repetition), Significance::kUnknown);
  EXPECT_EQ(difference_beyond_spread(one_repetition, estimate_from_mean_sd(100.0, 1.0, 5)), Significance::kUnknown);
  EXPECT_EQ(to_string(Significance::kUnknown), "spread unknown");
}

TEST(CompareSpread, PublishedRangeGivesMidpointAndHalfRange) {
  const Estimate e = estimate_from_range(697.6, 716.8);
  EXPECT_NEAR(e.value, 707.2, 1e-9);
  EXPECT_NEAR(*e.standard_error, 9.6, 1e-9);
}

// ---- accuracy and loss against noise ----

TEST(CompareNoise, AccuracyDifferenceAgainstBinomialStandardError) {
  // n 15374 each: 0.995 vs 0.990 -> threshold 2*sqrt(.995*.005/n + .99*.01/n) = 0.00197; diff 0.005.
  const QualityJudgement beyond = judge_accuracy(0.995, 15374, 0.990, 15374, "A");
  EXPECT_EQ(beyond.significance, Significance::kBeyond);
  EXPECT_NEAR(beyond.threshold, 0.001967, 2e-6);
  EXPECT_NEAR(beyond.difference, -0.005, 1e-12);
  EXPECT_NE(beyond.verdict.find("0.50 points lower than A"), std::string::npos) << beyond.verdict;
  // 0.995 vs 0.994: threshold 0.00169, diff 0.001.
  const QualityJudgement within = judge_accuracy(0.995, 15374, 0.994, 15374, "A");
  EXPECT_EQ(within.significance, Significance::kWithin);
  EXPECT_NEAR(within.threshold, 0.001687, 2e-6);
  EXPECT_NE(within.verdict.find("within seed-to-seed noise of A"), std::string::npos) << within.verdict;
}

TEST(CompareNoise, SmallValidationSetsHaveWideNoise) {
  // n 100: 0.90 vs 0.85 -> threshold 2*sqrt(.09/100 + .1275/100) = 0.0933: a 5-point gap is noise.
  EXPECT_EQ(judge_accuracy(0.90, 100, 0.85, 100, "A").significance, Significance::kWithin);
  EXPECT_EQ(judge_accuracy(0.90, 10000, 0.85, 10000, "A").significance, Significance::kBeyond);
}

TEST(CompareNoise, UnknownValidationSizeIsUnknownNoise) {
  const QualityJudgement judgement = judge_accuracy(0.9, 0, 0.8, 1000, "A");
  EXPECT_EQ(judgement.significance, Significance::kUnknown);
  EXPECT_NE(judgement.verdict.find("noise unknown"), std::string::npos);
}

TEST(CompareNoise, LossUsesTheTwoPercentTolerance) {
  EXPECT_EQ(judge_loss(0.100, 0.101, "A").significance, Significance::kWithin);   // 1%
  EXPECT_EQ(judge_loss(0.100, 0.1019, "A").significance, Significance::kWithin);  // 1.9%
  const QualityJudgement higher = judge_loss(0.100, 0.105, "A");                  // 4.9%
  EXPECT_EQ(higher.significance, Significance::kBeyond);
  EXPECT_NE(higher.verdict.find("4.9% higher than A"), std::string::npos) << higher.verdict;
}

// ---- pairing bench rows ----

BenchRow bench_row(const std::string& mode, int batch, const std::string& device, double images_per_sec,
                   std::vector<double> samples) {
  BenchRow row;
  row.mode = mode;
  row.model = "resnet18d";
  row.device = device;
  row.amp = "bf16";
  row.batch_size = batch;
  row.requested_batch_size = batch;
  row.image_size = 288;
  row.repetitions = static_cast<int>(samples.size());
  row.images_per_sec = images_per_sec;
  row.images_per_sec_samples = std::move(samples);
  return row;
}

TEST(CompareBench, PairsByKeyIgnoringDisjointDevicesAndReportsUnpaired) {
  BenchSide a{"a.json", "", {bench_row("train", 32, "cpu", 100.0, {99, 100, 101}),
                             bench_row("infer", 32, "cpu", 300.0, {300, 300, 300}),
                             bench_row("train", 64, "cpu", 110.0, {110, 110})}};
  BenchSide b{"b.json", "", {bench_row("infer", 32, "cuda:0", 303.0, {302, 303, 304}),
                             bench_row("train", 32, "cuda:0", 66.0, {65, 66, 67}),
                             bench_row("train", 128, "cuda:0", 200.0, {200})}};
  const Comparison c = compare_benches(a, b);
  ASSERT_EQ(c.figures.size(), 2u);
  EXPECT_EQ(c.figures[0].name, "train resnet18d b32 288px amp=bf16 contiguous synthetic");
  EXPECT_NEAR(*c.figures[0].ratio, 0.66, 1e-12);
  EXPECT_EQ(c.figures[0].verdict, "34% slower than a.json");
  EXPECT_EQ(c.figures[0].significance, Significance::kBeyond);  // se 0.577 each, threshold 1.63, diff 34
  EXPECT_EQ(c.figures[1].verdict, "within 10% of a.json");
  EXPECT_EQ(c.figures[1].significance, Significance::kBeyond);  // A has no spread (sd 0): threshold 1.15 < 3
  ASSERT_EQ(c.unpaired_a.size(), 1u);
  EXPECT_NE(c.unpaired_a[0].find("b64"), std::string::npos);
  ASSERT_EQ(c.unpaired_b.size(), 1u);
  EXPECT_NE(c.unpaired_b[0].find("b128"), std::string::npos);
  EXPECT_TRUE(has_note_containing(c, "paired ignoring the device"));
}

TEST(CompareBench, SharedDevicesKeepTheDeviceInTheKey) {
  BenchSide a{"a", "", {bench_row("train", 32, "cpu", 100.0, {100, 100})}};
  BenchSide b{"b", "", {bench_row("train", 32, "cuda:0", 150.0, {150, 150}),
                        bench_row("train", 32, "cpu", 104.0, {103, 105})}};
  const Comparison c = compare_benches(a, b);
  ASSERT_EQ(c.figures.size(), 1u);
  EXPECT_NEAR(*c.figures[0].ratio, 1.04, 1e-12);
  EXPECT_EQ(c.figures[0].significance, Significance::kBeyond);  // se 0 and 1.0: threshold 2 < 4
  ASSERT_EQ(c.unpaired_b.size(), 1u);
  EXPECT_NE(c.unpaired_b[0].find("on cuda:0"), std::string::npos);
}

TEST(CompareBench, OneRepetitionIsSpreadUnknownAndFailedRowsAreUnpaired) {
  BenchRow failed = bench_row("infer", 32, "cpu", 0.0, {});
  failed.status = "failed";
  failed.error = "out of memory";
  BenchSide a{"a", "", {bench_row("train", 32, "cpu", 100.0, {100}), failed}};
  BenchSide b{"b", "", {bench_row("train", 32, "cpu", 80.0, {79, 80, 81}), bench_row("infer", 32, "cpu", 50, {50, 50})}};
  const Comparison c = compare_benches(a, b);
  ASSERT_EQ(c.figures.size(), 1u);
  EXPECT_EQ(c.figures[0].verdict, "20% slower than a");
  EXPECT_EQ(c.figures[0].significance, Significance::kUnknown);
  ASSERT_EQ(c.unpaired_a.size(), 1u);
  EXPECT_NE(c.unpaired_a[0].find("failed: out of memory"), std::string::npos);
  EXPECT_EQ(c.unpaired_b.size(), 1u);
}

// ---- training runs from run folders ----

struct RunSpec {
  std::string amp = "fp16";
  std::uint64_t seed = 1234;
  std::vector<double> epoch_seconds;  // 1000 images each
  double val_accuracy = 0.95;
  double val_loss = 0.20;
  std::int64_t val_images = 1000;
  std::string model = "resnet18d";
  int image_size = 288;
};

void write_run(const fs::path& folder, const RunSpec& spec) {
  fs::create_directories(folder);
  const int epochs = static_cast<int>(spec.epoch_seconds.size());
  double total_images = 0, total_seconds = 0;
  std::ofstream metrics(folder / "metrics.jsonl");
  for (int e = 0; e < epochs; ++e) {
    metrics << nlohmann::json({{"type", "train_step"}, {"epoch", e + 1}, {"step", 1}, {"loss", 1.0}, {"images", 32}})
            << "\n";
    metrics << nlohmann::json({{"type", "train_epoch"}, {"epoch", e + 1}, {"images", 1000},
                               {"seconds", spec.epoch_seconds[e]}, {"loss", 0.5}, {"accuracy", 0.8}})
            << "\n";
    metrics << nlohmann::json({{"type", "eval"}, {"epoch", e + 1}, {"images", spec.val_images}, {"seconds", 2.0},
                               {"loss", spec.val_loss}, {"accuracy", spec.val_accuracy}})
            << "\n";
    total_images += 1000;
    total_seconds += spec.epoch_seconds[e];
  }
  const nlohmann::json summary = {{"model", spec.model},
                                  {"device", "cpu"},
                                  {"device_name", "Test CPU"},
                                  {"amp", spec.amp},
                                  {"channels_last", false},
                                  {"augment", "trivial-wide"},
                                  {"pretrained", ""},
                                  {"img_size", spec.image_size},  // summary.json's name until the run record
                                  {"batch_size", 32},
                                  {"epochs", epochs},
                                  {"train_images", 1000},
                                  {"val_images", spec.val_images},
                                  {"val_loss", spec.val_loss},
                                  {"val_accuracy", spec.val_accuracy},
                                  {"train_images_per_sec", total_images / total_seconds},
                                  {"first_epoch_images_per_sec", 1000.0 / spec.epoch_seconds[0]},
                                  {"data_wait_fraction", 0.01},
                                  {"wall_seconds", total_seconds + 10},
                                  {"interrupted", false}};
  std::ofstream(folder / "summary.json") << summary.dump(2);
  train::TrainConfig config;  // a whole config.json, as train writes it
  config.model = spec.model;
  config.seed = spec.seed;
  config.lr = 0.001;
  config.image_size = spec.image_size;
  std::ofstream(folder / "config.json") << train::to_json(config).dump(2);
}

TEST(CompareTraining, SteadyStateFromEpochsAfterTheFirstWithSpread) {
  TempDir dir;
  // A: epochs at 50, 100, 102 images/s; B: 30, 66, 67 (1000 images per epoch).
  write_run(dir / "run-a", {"fp16", 1234, {20.0, 10.0, 1000.0 / 102.0}, 0.95, 0.20});
  write_run(dir / "run-b", {"bf16", 1234, {1000.0 / 30.0, 1000.0 / 66.0, 1000.0 / 67.0}, 0.94, 0.21});
  const TrainingSide a = load_run_folder(dir / "run-a");
  const TrainingSide b = load_run_folder(dir / "run-b");
  EXPECT_EQ(a.label, "run-a");
  EXPECT_NEAR(a.train_images_per_sec.value, 101.0, 1e-9);
  EXPECT_NEAR(*a.train_images_per_sec.standard_error, 1.0, 1e-9);  // sd sqrt(2) over 2 epochs
  EXPECT_NEAR(a.first_epoch_images_per_sec->value, 50.0, 1e-9);
  EXPECT_EQ(a.seed, 1234u);

  const Comparison c = compare_training_runs(a, b);
  ASSERT_GE(c.figures.size(), 5u);
  EXPECT_EQ(c.figures[0].name, "train images/s (steady state)");
  EXPECT_NEAR(*c.figures[0].ratio, 66.5 / 101.0, 1e-9);
  EXPECT_EQ(c.figures[0].verdict, "34% slower than run-a");
  EXPECT_EQ(c.figures[0].significance, Significance::kBeyond);
  EXPECT_EQ(c.figures[1].name, "train images/s (first epoch)");
  EXPECT_EQ(c.figures[1].verdict, "40% slower than run-a");
  EXPECT_EQ(c.figures[1].significance, Significance::kUnknown);

  const ComparedFigure& accuracy = c.figures[c.figures.size() - 2];
  EXPECT_EQ(accuracy.name, "final val accuracy");
  // n 1000: threshold 2*sqrt(.95*.05/1000 + .94*.06/1000) = 0.0204 > 0.01.
  EXPECT_EQ(accuracy.significance, Significance::kWithin);
  const ComparedFigure& loss = c.figures.back();
  EXPECT_EQ(loss.name, "final val loss");
  EXPECT_EQ(loss.significance, Significance::kBeyond);  // 0.20 vs 0.21: 4.9%

  EXPECT_TRUE(has_note_containing(c, "both runs used seed 1234"));
  // Precision is how the work ran, not other work: listed, verdicts kept.
  EXPECT_TRUE(c.work.same_work());
  ASSERT_EQ(c.work.differences.size(), 1u);
  EXPECT_EQ(c.work.differences[0].name, "amp");
  EXPECT_EQ(c.work.differences[0].role, SettingRole::kExecution);
  EXPECT_TRUE(has_note_containing(c, "ran differently: amp (run-a: fp16, run-b: bf16)"));
  EXPECT_FALSE(has_note_containing(c, "different work"));
}

TEST(CompareTraining, AccuracyBeyondNoiseAndDifferentSeeds) {
  TempDir dir;
  write_run(dir / "a", {"bf16", 1, {10.0, 10.0, 10.0}, 0.95, 0.20, 5000});
  write_run(dir / "b", {"bf16", 2, {10.0, 10.0, 10.0}, 0.93, 0.20, 5000});
  const Comparison c = compare_training_runs(load_run_folder(dir / "a"), load_run_folder(dir / "b"));
  EXPECT_EQ(c.figures[0].verdict, "within 10% of a");
  EXPECT_EQ(c.figures[0].significance, Significance::kWithin);  // identical epochs: no difference at all
  const ComparedFigure& accuracy = c.figures[c.figures.size() - 2];
  // n 5000: threshold 2*sqrt(.95*.05/5000 + .93*.07/5000) = 0.0093 < 0.02.
  EXPECT_EQ(accuracy.significance, Significance::kBeyond);
  EXPECT_NE(accuracy.verdict.find("2.00 points lower than a"), std::string::npos) << accuracy.verdict;
  EXPECT_EQ(c.figures.back().significance, Significance::kWithin);
  EXPECT_TRUE(has_note_containing(c, "different seeds (1, 2)"));
  EXPECT_TRUE(c.work.differences.empty());
  EXPECT_FALSE(has_note_containing(c, "ran differently"));
}

TEST(CompareTraining, TwoEpochsLeaveTheSpreadUnknown) {
  TempDir dir;
  write_run(dir / "a", {"off", 1, {10.0, 10.0}});
  write_run(dir / "b", {"off", 1, {20.0, 20.0}});
  const TrainingSide a = load_run_folder(dir / "a");
  EXPECT_FALSE(a.train_images_per_sec.standard_error);
  EXPECT_NEAR(a.train_images_per_sec.value, 100.0, 1e-9);  // summary's train_images_per_sec
  const Comparison c = compare_training_runs(a, load_run_folder(dir / "b"));
  EXPECT_EQ(c.figures[0].verdict, "50% slower than a");
  EXPECT_EQ(c.figures[0].significance, Significance::kUnknown);
}

// ---- inputs ----

TEST(CompareInputs, BenchFilesAsJsonArrayAndJsonl) {
  TempDir dir;
  const BenchRow row = bench_row("train", 32, "cpu", 100.0, {99, 101});
  std::ofstream(dir / "rows.json") << nlohmann::json::array({to_row(row), to_row(row)}).dump(2);
  std::ofstream(dir / "rows.jsonl") << to_row(row).dump() << "\n" << to_row(row).dump() << "\n";
  EXPECT_EQ(load_bench_file(dir / "rows.json").size(), 2u);
  const std::vector<BenchRow> rows = load_bench_file(dir / "rows.jsonl");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_DOUBLE_EQ(rows[1].images_per_sec, 100.0);
  EXPECT_EQ(rows[1].images_per_sec_samples, std::vector<double>({99, 101}));
}

TEST(CompareInputs, AnythingElseIsAUsageErrorListingTheForms) {
  TempDir dir;
  std::ofstream(dir / "notes.txt") << "hello\n";
  std::ofstream(dir / "other.json") << R"({"name": "x"})";
  fs::create_directories(dir / "empty");
  const fs::path database = dir / "none.db";
  try {
    load_compare_input((dir / "missing").string(), database);
    FAIL() << "expected a UsageError";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("train:ID"), std::string::npos) << e.what();
  }
  EXPECT_THROW(load_compare_input((dir / "notes.txt").string(), database), UsageError);
  EXPECT_THROW(load_compare_input((dir / "other.json").string(), database), UsageError);
  EXPECT_THROW(load_compare_input((dir / "empty").string(), database), UsageError);
  EXPECT_THROW(load_compare_input("train:3", database), UsageError);  // no database there
  EXPECT_FALSE(fs::exists(database));                                  // and none was created
}

TEST(CompareInputs, StoredBenchRowAndTrainingRunById) {
  TempDir dir;
  const fs::path database = dir / "results.db";
  write_run(dir / "stored-run", {"bf16", 7, {10.0, 10.0, 1000.0 / 104.0}, 0.9, 0.3});
  std::int64_t bench_id = 0, train_id = 0;
  {
    store::ResultsStore results = store::ResultsStore::open(database);
    bench_id = results.insert_bench(bench_row("train", 32, "cpu", 100.0, {99, 101}));
    store::TrainRecord record;
    record.run_dir = (dir / "stored-run").string();
    std::ifstream summary(dir / "stored-run" / "summary.json"), config(dir / "stored-run" / "config.json");
    record.summary = nlohmann::ordered_json::parse(summary);
    record.config = nlohmann::ordered_json::parse(config);
    train_id = results.insert_train(record);
  }
  const CompareInput bench = load_compare_input("bench:" + std::to_string(bench_id), database);
  ASSERT_EQ(bench.kind, CompareInput::Kind::kBench);
  EXPECT_EQ(bench.bench.label, "bench:" + std::to_string(bench_id));
  ASSERT_EQ(bench.bench.rows.size(), 1u);
  EXPECT_DOUBLE_EQ(bench.bench.rows[0].images_per_sec, 100.0);
  EXPECT_EQ(load_compare_input(std::to_string(bench_id), database).kind, CompareInput::Kind::kBench);

  const CompareInput run = load_compare_input("train:" + std::to_string(train_id), database);
  ASSERT_EQ(run.kind, CompareInput::Kind::kTrainingRun);
  EXPECT_EQ(run.training.seed, 7u);
  // The run folder is still there: the spread comes from its metrics.jsonl (epochs 2-3 at 100 and 104).
  EXPECT_NEAR(run.training.train_images_per_sec.value, 102.0, 1e-9);
  EXPECT_TRUE(run.training.train_images_per_sec.standard_error);
  EXPECT_THROW(load_compare_input("train:999", database), UsageError);
}

// ---- published reference rows ----

TEST(CompareReference, TitanFiguresFromTheWorkloadLabelledAsPublished) {
  const ReferenceFigures& titan = find_reference("titan-rtx");
  EXPECT_TRUE(titan.side.published);
  EXPECT_EQ(titan.side.label, "Titan RTX (published)");
  EXPECT_NE(titan.side.description.find("published figures (blog post, May 2023), not measurements"), std::string::npos);
  EXPECT_NE(titan.side.description.find("fp16 AMP, native Ubuntu"), std::string::npos);
  EXPECT_NEAR(titan.side.train_images_per_sec.value, 707.2, 1e-9);  // 22.1 it/s x 32
  EXPECT_NEAR(*titan.side.train_images_per_sec.standard_error, 9.6, 1e-9);
  EXPECT_NEAR(titan.side.eval_images_per_sec->value, 1680.0, 1e-9);
  EXPECT_NEAR(titan.side.passes_seconds->value, 675.0, 1e-9);
  EXPECT_DOUBLE_EQ(*titan.side.val_accuracy, 0.995);
  EXPECT_EQ(titan.side.val_images, 15374);
  EXPECT_EQ(titan.side.settings["model"], "resnet18d");
}

TEST(CompareReference, ArcFiguresDerivedFromPassTimesAndRelativeStatements) {
  const TrainingSide& arc = find_reference("arc-a770").side;
  EXPECT_NEAR(arc.train_images_per_sec.value, 4324.0 * 32 / 1010.0, 1e-9);         // 16:50
  EXPECT_NEAR(arc.first_epoch_images_per_sec->value, 4324.0 * 32 / 2550.0, 1e-9);  // 42:30
  EXPECT_NE(arc.train_images_per_sec.spread_note.find("derived"), std::string::npos);
  const TrainingSide& blocked = find_reference("arc-a770-blocked-layout").side;
  EXPECT_NEAR(blocked.passes_seconds->value, 675.0 * 1.1, 1e-9);
  EXPECT_NE(blocked.passes_seconds->spread_note.find("approximate"), std::string::npos);
  const TrainingSide& wsl = find_reference("arc-a770-wsl").side;
  EXPECT_NEAR(wsl.train_images_per_sec.value, blocked.train_images_per_sec.value * 0.66, 1e-9);
  EXPECT_EQ(throughput_verdict(wsl.train_images_per_sec.value / blocked.train_images_per_sec.value, "native"),
            "34% slower than native");
  for (const ReferenceFigures& reference : reference_figures()) {
    EXPECT_TRUE(reference.side.published) << reference.name;
    EXPECT_NE(reference.side.description.find("not measurements"), std::string::npos) << reference.name;
    EXPECT_NE(format_reference_list().find(reference.name), std::string::npos) << reference.name;
  }
}

TEST(CompareReference, UnknownNameListsTheKnownOnes) {
  try {
    find_reference("rtx-9090");
    FAIL() << "expected a UsageError";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("titan-rtx"), std::string::npos) << e.what();
  }
}

TEST(CompareReference, RunOfOtherWorkGetsNoVerdictAndSaysWhatDiffers) {
  TempDir dir;
  RunSpec spec{"off", 1234, {10.0, 10.0, 10.0}, 0.99, 0.05, 15374};
  spec.model = "resnet18";
  spec.image_size = 64;
  write_run(dir / "small", spec);
  const Comparison c = compare_training_runs(find_reference("titan-rtx").side, load_run_folder(dir / "small"));
  EXPECT_FALSE(c.work.same_work());
  std::vector<std::string> work;
  for (const SettingDifference& d : c.work.of_role(SettingRole::kWork)) work.push_back(d.name + "=" + d.a + "/" + d.b);
  EXPECT_EQ(work, (std::vector<std::string>{"model=resnet18d/resnet18", "image_size=288/64"}));
  for (const ComparedFigure& figure : c.figures) {
    EXPECT_FALSE(figure.same_work) << figure.name;
    EXPECT_EQ(figure.verdict, "") << figure.name;  // no faster/slower, no higher/lower
    EXPECT_FALSE(figure.ratio) << figure.name;
    EXPECT_EQ(figure.estimate, "") << figure.name;  // not asked for
  }
  EXPECT_NEAR(c.figures[0].b.value, 100.0, 1e-9);  // the figures themselves stand
  EXPECT_TRUE(has_note_containing(c, "different work, so no faster/slower verdict: model (Titan RTX (published): "
                                     "resnet18d, small: resnet18); image_size (Titan RTX (published): 288, small: 64)"));
  const std::string markdown = format_comparison_markdown(c);
  EXPECT_EQ(markdown.find("slower than"), std::string::npos) << markdown;
  EXPECT_EQ(markdown.find("faster than"), std::string::npos) << markdown;
  EXPECT_NE(markdown.find("different work: no verdict"), std::string::npos) << markdown;
}

TEST(CompareReference, NormaliseGivesAnEstimateLabelledAsOne) {
  TempDir dir;
  RunSpec spec{"off", 1234, {10.0, 10.0, 10.0}, 0.99, 0.05, 15374};
  spec.model = "resnet18d";
  spec.image_size = 144;  // a quarter of 288's pixels: about a quarter of the FLOPs per image
  write_run(dir / "small", spec);
  CompareOptions options;
  options.normalise = true;
  const Comparison c = compare_training_runs(find_reference("titan-rtx").side, load_run_folder(dir / "small"), options);
  const ComparedFigure& steady = c.figures[0];
  EXPECT_FALSE(steady.same_work);
  EXPECT_EQ(steady.verdict, "");
  // 100 images/s at 144 px is about 25 at 288 px: far slower than the Titan's 707.
  EXPECT_NE(steady.estimate.find("estimate at Titan RTX (published)'s work: about 2"), std::string::npos)
      << steady.estimate;
  EXPECT_NE(steady.estimate.find("(estimate: FLOP-normalised from "), std::string::npos) << steady.estimate;
  EXPECT_NE(steady.estimate.find("x slower than Titan RTX (published)"), std::string::npos) << steady.estimate;
  EXPECT_TRUE(has_note_containing(c, "an estimate, not a measurement"));
  const nlohmann::ordered_json json = comparison_to_json(c);
  EXPECT_EQ(json["same_work"], false);
  EXPECT_EQ(json["pairs"][0]["same_work"], false);
  EXPECT_EQ(json["pairs"][0]["estimate"], steady.estimate);
  EXPECT_EQ(json["differing_settings"][0]["name"], "image_size");
  EXPECT_EQ(json["differing_settings"][0]["role"], "work");
}

TEST(CompareReference, BenchRowsAgainstTheTrainAndEvalRates) {
  BenchSide b{"h100.json", "", {bench_row("train", 32, "cuda:0", 1414.4, {1414.4, 1414.4}),
                                bench_row("infer", 32, "cuda:0", 1680.0, {1680, 1680})}};
  const Comparison c = compare_reference_with_bench(find_reference("titan-rtx").side, b);
  ASSERT_EQ(c.figures.size(), 2u);
  EXPECT_EQ(c.figures[0].verdict, "2.0x faster than Titan RTX (published)");
  EXPECT_EQ(c.figures[0].significance, Significance::kBeyond);
  EXPECT_EQ(c.figures[1].verdict, "within 10% of Titan RTX (published)");
  EXPECT_EQ(c.figures[1].significance, Significance::kWithin);
}

TEST(CompareReference, BenchRowOfOtherWorkGetsNoVerdict) {
  BenchRow other = bench_row("train", 32, "cpu", 700.0, {700, 700});
  other.image_size = 160;
  BenchSide b{"cpu.json", "", {bench_row("train", 32, "cpu", 35.0, {34, 36}), other}};
  const Comparison c = compare_reference_with_bench(find_reference("titan-rtx").side, b);
  ASSERT_EQ(c.figures.size(), 2u);
  EXPECT_TRUE(c.figures[0].same_work);
  EXPECT_EQ(c.figures[0].verdict, "20x slower than Titan RTX (published)");  // 707.2 / 35
  EXPECT_FALSE(c.figures[1].same_work);  // 160 px: within 10% of the Titan's rate, but not its work
  EXPECT_EQ(c.figures[1].verdict, "");
  EXPECT_TRUE(has_note_containing(c, "rows of other work than the published figures' get no verdict: image_size "
                                     "(Titan RTX (published): 288, cpu.json: 160)"));
}

// ---- the same-work rule ----

TEST(SameWork, RolesOfTheSettings) {
  for (const char* work : {"model", "image_size", "batch_size", "mode"}) {
    EXPECT_EQ(role_of_setting(work), SettingRole::kWork) << work;
  }
  for (const char* recipe : {"epochs", "lr", "weight_decay", "adam_eps", "augment", "max_steps", "train_images"}) {
    EXPECT_EQ(role_of_setting(recipe), SettingRole::kRecipe) << recipe;
  }
  for (const char* how : {"amp", "channels_last", "device", "threads", "something_new"}) {
    EXPECT_EQ(role_of_setting(how), SettingRole::kExecution) << how;
  }
}

TEST(SameWork, OnlySettingsBothSidesKnowCanDiffer) {
  const nlohmann::ordered_json a = {{"model", "resnet18d"}, {"image_size", 288}, {"lr", 0.001}, {"amp", "fp16"}};
  const nlohmann::ordered_json b = {{"model", "resnet18d"}, {"image_size", 288}, {"lr", 0.002}, {"batch_size", 64}};
  const WorkMatch match = match_settings(a, b);
  ASSERT_EQ(match.differences.size(), 1u);  // batch_size and amp are unknown on one side
  EXPECT_EQ(match.differences[0].name, "lr");
  EXPECT_TRUE(match.same_work());
  EXPECT_FALSE(match.same_recipe());
  EXPECT_EQ(describe_differences(match.differences, "A", "B"), "lr (A: 0.001, B: 0.002)");
  EXPECT_FALSE(match_settings(a, {{"image_size", 224}}).same_work());
}

// ---- the report ----

TEST(CompareReport, JsonCarriesRatioVerdictAndBeyondSpread) {
  BenchSide a{"a", "", {bench_row("train", 32, "cpu", 100.0, {100})}};
  BenchSide b{"b", "", {bench_row("train", 32, "cpu", 250.0, {249, 251})}};
  const nlohmann::ordered_json json = comparison_to_json(compare_benches(a, b));
  ASSERT_EQ(json["pairs"].size(), 1u);
  EXPECT_DOUBLE_EQ(json["pairs"][0]["ratio"].get<double>(), 2.5);
  EXPECT_EQ(json["pairs"][0]["verdict"], "2.5x faster than a");
  EXPECT_TRUE(json["pairs"][0]["beyond_spread"].is_null());  // one repetition on A
  EXPECT_EQ(json["a"]["label"], "a");
  const std::string markdown = format_comparison_markdown(compare_benches(a, b));
  EXPECT_NE(markdown.find("| 100.0 | 250.0 ±1.0 | 2.50 | 2.5x faster than a | spread unknown |"), std::string::npos)
      << markdown;
  EXPECT_THROW(parse_compare_format("csv"), UsageError);
}

}  // namespace
}  // namespace trainbench::bench
