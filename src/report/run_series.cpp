#include "report/run_series.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

namespace trainbench::report {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr const char* kFirstPassColor = "#fde9c9";
constexpr const char* kEvalColor = "#e3e9f2";

// About 100 windows over the run: smooth enough to read, short enough to
// show a slow stretch; 1 for short runs.
int window_for(std::size_t steps) { return static_cast<int>(std::clamp<std::size_t>(steps / 100, 1, 50)); }

struct StepTime {
  double end;   // seconds since the run started, at the step's end
  double wait;  // seconds it waited for its batch
  double images;
  bool pass_start;
  double pass_begin;  // when its pass began
};

}  // namespace

RunSeries run_series(const train::RunMetrics& metrics) {
  RunSeries series;
  std::vector<StepTime> times;
  series.window = window_for(metrics.steps().size());

  // Time rebuilt for old runs: the offset of the current pass.
  double offset = 0.0;
  double pass_start_time = 0.0;
  bool new_pass = true;
  double last_step = 0.0;
  std::vector<double> recent_losses;
  for (const train::MetricsRecord& record : metrics.records) {
    if (const auto* step_record = std::get_if<train::StepRecord>(&record)) {
      const train::StepRecord& r = *step_record;
      const double step = static_cast<double>(r.step);
      const double elapsed = r.elapsed_seconds.value_or(0.0);
      const double end = r.run_seconds.value_or(offset + elapsed);
      if (new_pass) pass_start_time = end - elapsed;
      series.step_loss.push_back({step, r.loss});
      recent_losses.push_back(r.loss);
      if (recent_losses.size() > static_cast<std::size_t>(series.window)) recent_losses.erase(recent_losses.begin());
      double sum = 0.0;
      for (double value : recent_losses) sum += value;
      series.step_loss_smoothed.push_back({step, sum / static_cast<double>(recent_losses.size())});
      series.learning_rate.push_back({step, r.lr});
      times.push_back({end, r.data_wait_seconds, static_cast<double>(r.images), new_pass, pass_start_time});
      new_pass = false;
      last_step = step;
      series.end_seconds = std::max(series.end_seconds, end);
    } else if (const auto* epoch_record = std::get_if<train::EpochRecord>(&record)) {
      const train::EpochRecord& r = *epoch_record;
      const double end = r.run_seconds.value_or(offset + r.seconds);
      series.train_loss_epoch.push_back({last_step, r.loss});
      series.train_accuracy_epoch.push_back({static_cast<double>(r.epoch), r.accuracy});
      if (r.epoch == 1) series.passes.push_back({end - r.seconds, end, "first pass (cold)", kFirstPassColor});
      offset = end;
      new_pass = true;
      series.end_seconds = std::max(series.end_seconds, end);
    } else {
      const train::EvalRecord& r = std::get<train::EvalRecord>(record);
      const double end = r.run_seconds.value_or(offset + r.seconds);
      series.eval_loss_epoch.push_back({last_step, r.loss});
      series.eval_accuracy_epoch.push_back({static_cast<double>(r.epoch), r.accuracy});
      series.passes.push_back({end - r.seconds, end, "eval", kEvalColor});
      offset = end;
      series.end_seconds = std::max(series.end_seconds, end);
    }
  }

  // Throughput and wait share over trailing windows, restarted at each pass
  // (a window never spans an evaluation).
  std::size_t begin = 0;
  for (std::size_t i = 0; i < times.size(); ++i) {
    if (times[i].pass_start) {
      if (i > 0) {
        series.throughput.push_back({kNaN, kNaN});
        series.data_wait_share.push_back({kNaN, kNaN});
      }
      begin = i;
    }
    const std::size_t first = std::max(begin, i + 1 >= static_cast<std::size_t>(series.window) ? i + 1 - series.window : 0);
    // The window's start: the end of the step before it, or for a pass's
    // first steps the time the pass began, so the cold start shows.
    const double start = first > begin ? times[first - 1].end : times[i].pass_begin;
    double images = 0.0, wait = 0.0;
    for (std::size_t k = first; k <= i; ++k) {
      images += times[k].images;
      wait += times[k].wait;
    }
    const double seconds = times[i].end - start;
    if (seconds <= 0) continue;
    series.throughput.push_back({times[i].end, images / seconds});
    series.data_wait_share.push_back({times[i].end, 100.0 * wait / seconds});
  }
  return series;
}

}  // namespace trainbench::report
