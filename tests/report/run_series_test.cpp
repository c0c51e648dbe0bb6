#include "report/run_series.h"

#include <gtest/gtest.h>

#include <cmath>

namespace trainbench::report {
namespace {

using Json = nlohmann::json;

// The lines as metrics.jsonl holds them, read through the run record's reader.
train::RunMetrics typed(const std::vector<Json>& lines) {
  train::RunMetrics metrics;
  for (const Json& line : lines) metrics.records.push_back(*train::metrics_record_from_json(line));
  return metrics;
}

// Two epochs of 4 steps, 10 images each; steps take 0.5 s after a 2 s cold
// first step; each pass waits 0.1 s per step; evaluation takes 1 s.
std::vector<Json> two_epochs(bool with_run_seconds) {
  std::vector<Json> records;
  double now = 0.0;
  int step = 0;
  for (int epoch = 1; epoch <= 2; ++epoch) {
    const double pass_start = now;
    for (int n = 0; n < 4; ++n) {
      now += (epoch == 1 && n == 0) ? 2.0 : 0.5;
      ++step;
      Json record = {{"type", "train_step"}, {"epoch", epoch}, {"step", step}, {"loss", 2.0 - 0.1 * step},
                     {"lr", 0.001 * step}, {"images", 10}, {"data_wait_seconds", 0.1},
                     {"elapsed_seconds", now - pass_start}};
      if (with_run_seconds) record["run_seconds"] = now;
      records.push_back(record);
    }
    Json epoch_record = {{"type", "train_epoch"}, {"epoch", epoch}, {"loss", 1.5}, {"accuracy", 0.5 + 0.2 * epoch},
                         {"images", 40}, {"seconds", now - pass_start}, {"data_wait_seconds", 0.4}};
    if (with_run_seconds) epoch_record["run_seconds"] = now;
    records.push_back(epoch_record);
    now += 1.0;
    Json eval = {{"type", "eval"}, {"epoch", epoch}, {"loss", 1.2}, {"accuracy", 0.6 + 0.1 * epoch}, {"images", 20},
                 {"seconds", 1.0}};
    if (with_run_seconds) eval["run_seconds"] = now;
    records.push_back(eval);
  }
  return records;
}

void expect_two_epochs(const RunSeries& s) {
  ASSERT_EQ(s.step_loss.size(), 8u);
  EXPECT_DOUBLE_EQ(s.step_loss[7].x, 8.0);
  EXPECT_DOUBLE_EQ(s.step_loss[7].y, 1.2);
  EXPECT_DOUBLE_EQ(s.learning_rate[2].y, 0.003);
  EXPECT_EQ(s.window, 1);  // 8 steps: no smoothing
  EXPECT_DOUBLE_EQ(s.step_loss_smoothed[3].y, s.step_loss[3].y);
  ASSERT_EQ(s.eval_accuracy_epoch.size(), 2u);
  EXPECT_DOUBLE_EQ(s.eval_accuracy_epoch[1].x, 2.0);
  EXPECT_DOUBLE_EQ(s.eval_accuracy_epoch[1].y, 0.8);
  EXPECT_DOUBLE_EQ(s.train_accuracy_epoch[0].y, 0.7);
  EXPECT_DOUBLE_EQ(s.eval_loss_epoch[0].x, 4.0);  // at the epoch's last step

  // Epoch 1 ends at 3.5 s, eval to 4.5 s, epoch 2 to 6.5 s, eval to 7.5 s.
  EXPECT_DOUBLE_EQ(s.end_seconds, 7.5);
  ASSERT_EQ(s.passes.size(), 3u);
  EXPECT_EQ(s.passes[0].label, "first pass (cold)");
  EXPECT_DOUBLE_EQ(s.passes[0].x_begin, 0.0);
  EXPECT_DOUBLE_EQ(s.passes[0].x_end, 3.5);
  EXPECT_EQ(s.passes[1].label, "eval");
  EXPECT_DOUBLE_EQ(s.passes[1].x_begin, 3.5);
  EXPECT_DOUBLE_EQ(s.passes[2].x_end, 7.5);

  // 9 points: 4 per pass and one NaN between the passes.
  ASSERT_EQ(s.throughput.size(), 9u);
  EXPECT_DOUBLE_EQ(s.throughput[0].x, 2.0);
  EXPECT_DOUBLE_EQ(s.throughput[0].y, 5.0);    // the cold step: 10 images in 2 s
  EXPECT_DOUBLE_EQ(s.throughput[1].y, 20.0);   // 10 images in 0.5 s
  EXPECT_TRUE(std::isnan(s.throughput[4].y));  // the break between passes
  EXPECT_DOUBLE_EQ(s.throughput[5].x, 5.0);
  EXPECT_DOUBLE_EQ(s.throughput[5].y, 20.0);   // epoch 2 starts warm
  EXPECT_DOUBLE_EQ(s.data_wait_share[0].y, 5.0);   // 0.1 of 2 s
  EXPECT_DOUBLE_EQ(s.data_wait_share[1].y, 20.0);  // 0.1 of 0.5 s
}

TEST(RunSeries, CurvesAndPassesOfARun) { expect_two_epochs(run_series(typed(two_epochs(true)))); }

TEST(RunSeries, RunsWithoutRunSecondsGetTheSameTimeAxisRebuilt) { expect_two_epochs(run_series(typed(two_epochs(false)))); }

TEST(RunSeries, LongRunsAreSmoothedOverATrailingWindow) {
  std::vector<Json> records;
  for (int step = 1; step <= 1000; ++step) {
    records.push_back({{"type", "train_step"}, {"epoch", 1}, {"step", step}, {"loss", step % 2 ? 1.0 : 3.0},
                       {"images", 4}, {"data_wait_seconds", 0.0}, {"elapsed_seconds", 0.25 * step},
                       {"run_seconds", 1.0 + 0.25 * step}});
  }
  const RunSeries s = run_series(typed(records));
  EXPECT_EQ(s.window, 10);
  EXPECT_DOUBLE_EQ(s.step_loss_smoothed.back().y, 2.0);  // alternating 1 and 3
  EXPECT_DOUBLE_EQ(s.throughput.back().y, 16.0);         // 40 images over 2.5 s
  EXPECT_DOUBLE_EQ(s.throughput.front().y, 16.0);        // pass began at 1.0 s: 4 images in 0.25 s
}

TEST(RunSeries, NoMetricsGiveEmptyCurves) {
  const RunSeries s = run_series({});
  EXPECT_TRUE(s.step_loss.empty());
  EXPECT_TRUE(s.throughput.empty());
  EXPECT_TRUE(s.passes.empty());
  EXPECT_EQ(s.end_seconds, 0.0);
}

}  // namespace
}  // namespace trainbench::report
