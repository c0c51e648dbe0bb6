#include "bench/standing.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "bench/bench_runner.h"
#include "core/precision.h"
#include "core/torch_compat.h"

namespace trainbench::bench {
namespace {

TEST(StepsForBudget, FewStepsOnASlowDeviceManyOnAFastOne) {
  EXPECT_EQ(steps_for_budget(30.0, 3, 2.5), 4);      // a 2-core CPU at the cards' work: 2.5 s a step
  EXPECT_EQ(steps_for_budget(30.0, 3, 0.045), 223);  // a GPU: 45 ms a step
  EXPECT_EQ(steps_for_budget(1.0, 3, 2.5), 2);       // never fewer than 2 a window
  EXPECT_EQ(steps_for_budget(30.0, 3, 1e-7), 10000); // nor more than 10,000
}

TEST(StandingPrecision, TheCardsPrecisionOrTheClosestThisDeviceRunsNatively) {
  const torch::Device cpu(torch::kCPU);
  const std::vector<core::AmpMode> native = core::native_amp_modes(cpu);
  ASSERT_FALSE(native.empty());
  EXPECT_EQ(native.front(), core::AmpMode::kOff);
  const bool bf16 = std::find(native.begin(), native.end(), core::AmpMode::kBf16) != native.end();
  EXPECT_EQ(standing_precision(core::AmpMode::kBf16, cpu), bf16 ? core::AmpMode::kBf16 : core::AmpMode::kOff);
  if (compat::kTorchMajor < 2) {
    // LibTorch 1.13 has no fp16 autocast on CPUs: the Titan's fp16 becomes bf16 where it is native, else fp32.
    EXPECT_EQ(standing_precision(core::AmpMode::kFp16, cpu), bf16 ? core::AmpMode::kBf16 : core::AmpMode::kOff);
  }
  EXPECT_EQ(standing_precision(core::AmpMode::kOff, cpu), core::AmpMode::kOff);
}

store::BenchRow measured_row(double images_per_sec) {
  store::BenchRow row;
  row.model = kCardModel;
  row.device = "cpu";
  row.amp = "off";
  row.image_size = kCardImageSize;
  row.batch_size = row.requested_batch_size = kCardBatchSize;
  row.repetitions = 3;
  row.steps = 4;
  row.images_per_sec = images_per_sec;
  row.images_per_sec_samples = {images_per_sec - 0.1, images_per_sec, images_per_sec + 0.1};
  return row;
}

TEST(FormatStanding, EachCardAgainstTheMeasurementWithThePrecisionSaid) {
  Standing standing;
  standing.device = "cpu";
  standing.measurements = {measured_row(7.7)};
  for (const ReferenceFigures& card : reference_figures()) {
    BenchSide here{"this machine", "", standing.measurements};
    const core::AmpMode amp = core::parse_amp_mode(card.side.settings.value("amp", std::string("off")));
    standing.cards.push_back(
        {&card, amp, core::AmpMode::kOff, compare_reference_with_bench(card.side, here).figures.front()});
  }
  const std::string text = format_standing(standing, "tb");
  EXPECT_NE(text.find("  Titan RTX, fp16 AMP, native Ubuntu: 707 images/s there, 7.7 ±0.1 here (at fp32: this device "
                      "has no fast fp16): 92x slower than Titan RTX (published)\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("  measured: 3 windows of 4 steps at amp off, contiguous; alone: tb bench --model resnet18d "
                      "--img-size 288 -b 32 --amp off --device cpu\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("faster"), std::string::npos) << text;
}

TEST(FormatRunStanding, ARunOfTheCardsWorkIsJudgedFromItsOwnRate) {
  TrainingSide run;
  run.label = "run";
  run.train_images_per_sec = exact_estimate(650.0);
  run.settings = {{"model", "resnet18d"}, {"image_size", 288}, {"batch_size", 32}, {"amp", "fp16"}};
  const std::string text = format_run_standing(run, nullptr, "tb");
  EXPECT_NE(text.find("  Titan RTX, fp16 AMP, native Ubuntu: 707 images/s there, 650 here (this run): within 10% of "
                      "Titan RTX (published)\n"),
            std::string::npos)
      << text;
}

TEST(FormatRunStanding, ARunOfOtherWorkGetsAnEstimateAndNoVerdict) {
  TrainingSide run;
  run.label = "run";
  run.train_images_per_sec = exact_estimate(900.0);
  run.settings = {{"model", "resnet18"}, {"image_size", 28}, {"batch_size", 512}, {"amp", "off"}};
  const std::string text = format_run_standing(run, nullptr, "tb");
  EXPECT_NE(text.find("no verdict: this run did other work than the cards"), std::string::npos) << text;
  EXPECT_NE(text.find("(estimate: FLOP-normalised from "), std::string::npos) << text;
  EXPECT_EQ(text.find("slower than"), std::string::npos) << text;
  EXPECT_EQ(text.find("faster than"), std::string::npos) << text;
}

}  // namespace
}  // namespace trainbench::bench
