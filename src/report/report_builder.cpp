#include "report/report_builder.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>
#include <set>

#include "bench/compare_inputs.h"
#include "bench/compare.h"
#include "bench/compare_rules.h"
#include "bench/same_work.h"
#include "bench/reference_figures.h"
#include "core/error.h"
#include "core/text.h"
#include "report/run_series.h"
#include "report/svg_chart.h"
#include "telemetry/phase_summary.h"

namespace trainbench::report {
namespace {

// ---- formatting ----

std::string fixed(double value, int decimals) {
  if (!std::isfinite(value)) return "n/a";
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

// Three significant figures or whole numbers, as a table of rates reads best.
std::string figure(double value) {
  if (!std::isfinite(value)) return "n/a";
  const double magnitude = std::fabs(value);
  return fixed(value, magnitude >= 100 ? 0 : magnitude >= 10 ? 1 : magnitude >= 1 ? 2 : 3);
}

std::string text_of(const nlohmann::json& value) {
  if (value.is_null()) return "";
  if (value.is_string()) return value.get<std::string>();
  if (value.is_boolean()) return value.get<bool>() ? "yes" : "no";
  if (value.is_number_float()) {
    char text[32];
    std::snprintf(text, sizeof text, "%g", value.get<double>());  // settings as given: 0.01, 1e-05
    return text;
  }
  return value.dump();
}

std::string safe_name(const std::string& text) {
  std::string out;
  for (char c : text) out += std::isalnum(static_cast<unsigned char>(c)) ? c : '-';
  return out;
}

// ---- a run's sections ----

Table key_value_table(const std::vector<std::pair<std::string, std::string>>& pairs) {
  Table table{{"setting", "value"}, {}, {}};
  for (const auto& [key, value] : pairs) {
    if (!value.empty()) table.rows.push_back({key, value});
  }
  return table;
}

// Every setting of the run as its config.json field table names it (the
// ones that say how it was set up), then where it ran.
Table settings_table(const train::RunRecord& run) {
  std::vector<std::pair<std::string, std::string>> pairs;
  if (run.config) {
    const nlohmann::ordered_json config = train::to_json(*run.config);
    // config.json keeps what was asked ("auto"); the summary what it resolved to.
    const nlohmann::ordered_json resolved = run.summary ? train::to_json(*run.summary) : nlohmann::ordered_json();
    for (const char* key : {"model", "data", "val_data", "image_size", "batch_size", "epochs", "max_steps", "lr",
                            "weight_decay", "seed", "device", "amp", "channels_last", "augment", "pretrained",
                            "workers", "threads"}) {
      std::string value = text_of(config[key]);
      if (resolved.contains(key) && text_of(resolved[key]) != value) {
        value = text_of(resolved[key]) + (value.empty() ? "" : " (asked: " + value + ")");
      }
      pairs.emplace_back(key, value);
    }
  }
  if (run.provenance) {
    const core::Provenance& p = *run.provenance;
    for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{
             {"device_name", p.device_name}, {"driver_version", p.driver_version}, {"runtime_version", p.runtime_version},
             {"cpu_model", p.cpu_model}, {"os", p.os}, {"kernel", p.kernel}, {"libtorch_version", p.libtorch_version},
             {"trainbench_version", p.trainbench_version}, {"git_commit", p.git_commit},
             {"timestamp_utc", p.timestamp_utc}}) {
      pairs.emplace_back(key, value);
    }
    if (p.wsl) pairs.emplace_back("wsl", "yes");
    if (p.container) pairs.emplace_back("container", "yes");
  } else if (run.summary) {
    pairs.emplace_back("device_name", run.summary->device_name);
  }
  pairs.emplace_back("run folder", run.folder.string());
  return key_value_table(pairs);
}

Table results_table(const train::RunSummary& summary) {
  Table table{{"figure", "value"}, {}, {false, true}};
  const auto add = [&](const std::string& name, const std::string& value) { table.rows.push_back({name, value}); };
  add("train images/s (all passes)", figure(summary.train_images_per_sec));
  add("train images/s (first epoch)", figure(summary.first_epoch_images_per_sec));
  add("data wait", fixed(100.0 * summary.data_wait_fraction, 1) + "%");
  add("validation accuracy", fixed(summary.val_accuracy, 4));
  add("validation loss", fixed(summary.val_loss, 4));
  add("best validation loss (epoch)",
      fixed(summary.best_val_loss, 4) + " (" + std::to_string(summary.best_epoch) + ")");
  add("steps / epochs", std::to_string(summary.steps) + " / " + std::to_string(summary.epochs));
  add("wall time", fixed(summary.wall_seconds, 1) + " s");
  if (summary.skipped_files > 0) add("files skipped", std::to_string(summary.skipped_files));
  if (summary.interrupted) add("interrupted", "yes: the run was stopped before its end");
  return table;
}

Table epochs_table(const train::RunMetrics& metrics) {
  struct Epoch {
    std::optional<train::EpochRecord> train;
    std::optional<train::EvalRecord> eval;
  };
  std::map<int, Epoch> epochs;
  for (const train::EpochRecord& record : metrics.epochs()) epochs[record.epoch].train = record;
  for (const train::EvalRecord& record : metrics.evaluations()) epochs[record.epoch].eval = record;
  Table table{{"epoch", "train loss", "train accuracy", "val loss", "val accuracy", "train images/s", "data wait",
               "eval images/s"},
              {},
              {true, true, true, true, true, true, true, true}};
  for (const auto& [epoch, pair] : epochs) {
    const double seconds = pair.train ? pair.train->seconds : NAN;
    const double eval_seconds = pair.eval ? pair.eval->seconds : NAN;
    const double wait = pair.train && pair.train->data_wait_seconds ? *pair.train->data_wait_seconds : NAN;
    table.rows.push_back({std::to_string(epoch), fixed(pair.train ? pair.train->loss : NAN, 4),
                          fixed(pair.train ? pair.train->accuracy : NAN, 4), fixed(pair.eval ? pair.eval->loss : NAN, 4),
                          fixed(pair.eval ? pair.eval->accuracy : NAN, 4),
                          figure(pair.train ? static_cast<double>(pair.train->images) / seconds : NAN),
                          fixed(100.0 * wait / seconds, 1) + "%",
                          figure(pair.eval ? static_cast<double>(pair.eval->images) / eval_seconds : NAN)});
  }
  return table;
}

Chart chart(const std::string& name, const std::string& caption, const LineChartSpec& spec) {
  return {name, caption, line_chart_svg(spec)};
}

Series series(const std::string& name, std::vector<Point> points, std::string color = "", bool dashed = false,
              bool markers = false) {
  Series out;
  out.name = name;
  out.points = std::move(points);
  out.color = std::move(color);
  out.dashed = dashed;
  out.markers = markers;
  return out;
}

void add_curves(const ReportRun& run, const RunSeries& curves, const std::string& id, Section* section) {
  LineChartSpec loss;
  loss.title = "Loss";
  loss.x_label = "optimizer step";
  loss.y_label = "cross-entropy";
  loss.series = {series("train (per step)", curves.step_loss, "#b9c7d8"),
                 series("train (mean of " + std::to_string(curves.window) + " steps)", curves.step_loss_smoothed,
                        palette_color(0)),
                 series("validation (end of epoch)", curves.eval_loss_epoch, palette_color(1), false, true)};
  section->blocks.push_back(chart("loss-" + id, "Training loss per step and validation loss after each epoch.", loss));

  LineChartSpec accuracy;
  accuracy.title = "Accuracy";
  accuracy.x_label = "epoch";
  accuracy.y_label = "accuracy";
  accuracy.y_max = 1.0;
  accuracy.series = {series("train (pass mean)", curves.train_accuracy_epoch, palette_color(0), false, true),
                     series("validation", curves.eval_accuracy_epoch, palette_color(1), false, true)};
  section->blocks.push_back(chart("accuracy-" + id, "Accuracy per epoch.", accuracy));

  LineChartSpec lr;
  lr.title = "Learning rate (OneCycle)";
  lr.x_label = "optimizer step";
  lr.y_label = "learning rate";
  lr.series = {series("lr", curves.learning_rate, palette_color(2))};
  section->blocks.push_back(chart("lr-" + id, "The learning rate each step used.", lr));

  LineChartSpec throughput;
  throughput.title = "Training throughput over time";
  throughput.x_label = "seconds since the run started";
  throughput.y_label = "images/s";
  throughput.x_min = 0.0;
  throughput.x_max = curves.end_seconds;
  throughput.bands = curves.passes;
  throughput.series = {series("images/s (" + std::to_string(curves.window) + "-step window)", curves.throughput,
                              palette_color(0))};
  const double summary_rate = run.record.summary ? run.record.summary->train_images_per_sec : NAN;
  if (std::isfinite(summary_rate) && curves.end_seconds > 0) {
    throughput.series.push_back(
        series("run mean", {{0.0, summary_rate}, {curves.end_seconds, summary_rate}}, "#777777", true));
  }
  section->blocks.push_back(chart("throughput-" + id,
                                  "Images per second over trailing windows of training steps; the shaded stretches "
                                  "are the first (cold) training pass and the evaluation passes.",
                                  throughput));

  LineChartSpec wait;
  wait.title = "Share of time waiting for data";
  wait.x_label = "seconds since the run started";
  wait.y_label = "% of step time";
  wait.x_min = 0.0;
  wait.x_max = curves.end_seconds;
  wait.y_max = 100.0;
  wait.bands = curves.passes;
  wait.series = {series("data wait", curves.data_wait_share, palette_color(3))};
  section->blocks.push_back(chart("data-wait-" + id,
                                  "How much of each window the training loop spent waiting for the loader: high "
                                  "means the input pipeline, not the device, sets the pace.",
                                  wait));
}

// ---- telemetry ----

using Getter = std::optional<double> (*)(const telemetry::TelemetrySample&, std::size_t gpu);

struct Lane {
  std::string name;
  std::string title;
  std::string unit;
  std::vector<std::pair<std::string, Getter>> figures;
  double scale = 1.0;
  std::optional<double> y_max = std::nullopt;
};

std::optional<double> gpu_figure(const telemetry::TelemetrySample& sample, std::size_t gpu,
                                 std::optional<double> telemetry::GpuSample::*member) {
  if (gpu >= sample.gpus.size()) return std::nullopt;
  return sample.gpus[gpu].*member;
}

std::vector<Lane> lanes() {
  using S = telemetry::TelemetrySample;
  using G = telemetry::GpuSample;
  std::vector<Lane> out;
  out.push_back({"cpu", "CPU", "%",
                 {{"this process (100 = one core)", [](const S& s, std::size_t) { return s.process_cpu_percent; }},
                  {"whole machine (% of all cores)", [](const S& s, std::size_t) { return s.system_cpu_percent; }}}});
  out.push_back({"rss", "Resident memory of this process", "GiB",
                 {{"RSS", [](const S& s, std::size_t) { return s.process_rss_bytes; }}}, 1.0 / 1073741824.0});
  out.push_back({"read", "Bytes read from storage", "MB/s",
                 {{"read", [](const S& s, std::size_t) { return s.read_bytes_per_sec; }}}, 1e-6});
  out.push_back({"gpu-busy", "GPU activity", "%",
                 {{"kernels running", [](const S& s, std::size_t g) { return gpu_figure(s, g, &G::utilization_percent); }},
                  {"memory controller busy",
                   [](const S& s, std::size_t g) { return gpu_figure(s, g, &G::memory_activity_percent); }}},
                 1.0, 100.0});
  out.push_back({"gpu-memory", "GPU memory used", "GiB",
                 {{"used", [](const S& s, std::size_t g) { return gpu_figure(s, g, &G::memory_used_bytes); }}},
                 1.0 / 1073741824.0});
  out.push_back({"gpu-power", "GPU power", "W",
                 {{"power", [](const S& s, std::size_t g) { return gpu_figure(s, g, &G::power_watts); }}}});
  out.push_back({"gpu-clocks", "GPU clocks", "MHz",
                 {{"SM / graphics", [](const S& s, std::size_t g) { return gpu_figure(s, g, &G::sm_clock_mhz); }},
                  {"memory", [](const S& s, std::size_t g) { return gpu_figure(s, g, &G::memory_clock_mhz); }}}});
  out.push_back({"gpu-temperature", "GPU temperature", "°C",
                 {{"temperature", [](const S& s, std::size_t g) { return gpu_figure(s, g, &G::temperature_celsius); }}}});
  return out;
}

void add_telemetry(const ReportRun& run, const RunSeries& curves, const std::string& id, Section* section) {
  if (run.telemetry.empty()) {
    section->blocks.push_back(Paragraph{"No telemetry was recorded for this run (--no-telemetry, or a trainbench "
                                        "from before telemetry).", true});
    return;
  }
  // Per-phase means: what the machine did while training, evaluating, saving.
  Table phases{{"phase", "samples", "process CPU %", "machine CPU %", "peak RSS GiB", "read MB/s", "GPU busy %",
                "GPU memory busy %", "GPU W"},
               {},
               {false, true, true, true, true, true, true, true, true}};
  const auto cell = [](const std::optional<double>& value, double scale = 1.0) {
    return value ? figure(*value * scale) : std::string("n/a");
  };
  for (const telemetry::PhaseAverages& phase : telemetry::average_by_phase(run.telemetry)) {
    const telemetry::GpuSample* gpu = phase.mean.gpus.empty() ? nullptr : &phase.mean.gpus.front();
    phases.rows.push_back({phase.phase, std::to_string(phase.samples), cell(phase.mean.process_cpu_percent),
                           cell(phase.mean.system_cpu_percent), cell(phase.process_rss_peak_bytes, 1.0 / 1073741824.0),
                           cell(phase.mean.read_bytes_per_sec, 1e-6), gpu ? cell(gpu->utilization_percent) : "n/a",
                           gpu ? cell(gpu->memory_activity_percent) : "n/a", gpu ? cell(gpu->power_watts) : "n/a"});
  }
  section->blocks.push_back(Paragraph{"Means per phase of the run, over " + std::to_string(run.telemetry.size()) +
                                      " samples."});
  section->blocks.push_back(phases);

  const double end = std::max(curves.end_seconds, run.telemetry.back().seconds);
  std::size_t gpu_count = 0;
  for (const telemetry::TelemetrySample& sample : run.telemetry) gpu_count = std::max(gpu_count, sample.gpus.size());
  for (const Lane& lane : lanes()) {
    const bool per_gpu = lane.name.rfind("gpu", 0) == 0;
    for (std::size_t gpu = 0; gpu < (per_gpu ? gpu_count : 1); ++gpu) {
      LineChartSpec spec;
      spec.title = lane.title;
      if (per_gpu) {
        const std::string& name = run.telemetry.back().gpus.size() > gpu ? run.telemetry.back().gpus[gpu].name : "";
        spec.title += " — GPU " + std::to_string(gpu) + (name.empty() ? "" : " (" + name + ")");
      }
      spec.x_label = "seconds since the run started";
      spec.y_label = lane.unit;
      spec.x_min = 0.0;
      spec.x_max = end;
      spec.y_max = lane.y_max;
      spec.height = 160;
      spec.bands = curves.passes;
      bool any = false;
      for (std::size_t f = 0; f < lane.figures.size(); ++f) {
        std::vector<Point> points;
        for (const telemetry::TelemetrySample& sample : run.telemetry) {
          const std::optional<double> value = lane.figures[f].second(sample, gpu);
          points.push_back({sample.seconds, value ? *value * lane.scale : NAN});
          any = any || value.has_value();
        }
        spec.series.push_back(series(lane.figures[f].first, std::move(points), palette_color(f)));
      }
      if (!any) continue;  // a source this machine lacks: no empty lane
      section->blocks.push_back(chart("telemetry-" + lane.name + (per_gpu ? std::to_string(gpu) : "") + "-" + id,
                                      "", spec));
    }
  }
}

Section run_section(const ReportRun& run, std::size_t index) {
  const train::RunRecord& record = run.record;
  Section section{"Run " + record.label, {}};
  const std::string id = std::to_string(index + 1) + "-" + safe_name(record.label);
  if (!record.summary) {
    section.blocks.push_back(Paragraph{"This run has no summary.json: it is still running, or it was killed. The "
                                       "curves show what its metrics hold so far.", true});
  }
  section.blocks.push_back(settings_table(record));
  if (record.summary) section.blocks.push_back(results_table(*record.summary));
  const RunSeries curves = run_series(record.metrics);
  add_curves(run, curves, id, &section);
  section.blocks.push_back(epochs_table(record.metrics));
  add_telemetry(run, curves, id, &section);
  return section;
}

// ---- several runs, bench rows, references ----

// A bar's note against the first bar: the ratio and its verdict between the
// same work (bench/same_work.h), only what differs otherwise.
std::string ratio_annotation(double value, double first, const std::string& first_label, const bench::WorkMatch& work) {
  if (!work.same_work()) {
    return "different work: " + bench::describe_differences(work.of_role(bench::SettingRole::kWork), first_label, "this");
  }
  if (!(first > 0) || !std::isfinite(value)) return "";
  const double ratio = value / first;
  return fixed(ratio, 2) + "x · " + bench::throughput_verdict(ratio, first_label);
}

// Each side against the first under compare's one rule (bench/same_work.h):
// a verdict only between the same work, else what differs.
Section comparison_section(const ReportInput& input) {
  Section section{"Throughput compared", {}};
  BarChartSpec bars;
  bars.title = "Steady-state training throughput";
  bars.value_label = "images/s";
  Table table{{"run", "images/s", "ratio to the first", "verdict", "what"}, {}, {false, true, true}};
  std::optional<bench::TrainingSide> first;
  const auto add = [&](const bench::TrainingSide& side, bool reference) {
    const double value = side.train_images_per_sec.value;
    if (!first) {
      first = side;
      bars.bars.push_back({side.label, value, "= 1.00x (the first)", "", reference});
      table.rows.push_back({side.label, figure(value), "1.00", "", side.description});
      return;
    }
    const bench::ComparedFigure f = bench::compare_training_runs(*first, side).figures.front();
    const std::string verdict =
        f.same_work ? f.verdict
                    : "different work, no verdict: " +
                          bench::describe_differences(bench::match_settings(first->settings, side.settings)
                                                          .of_role(bench::SettingRole::kWork),
                                                      first->label, side.label);
    const std::string ratio = f.ratio ? fixed(*f.ratio, 2) : "-";
    bars.bars.push_back({side.label, value, (f.ratio ? ratio + "x · " : std::string()) + verdict, "", reference});
    table.rows.push_back({side.label, figure(value), ratio, verdict, side.description});
  };
  for (const ReportRun& run : input.runs) {
    if (run.record.summary) add(bench::training_side_from_record(run.record), false);
  }
  for (const std::string& name : input.references) add(bench::find_reference(name).side, true);
  section.blocks.push_back(Chart{"throughput-compared", "Each bar's ratio to the first, where it did the same work; "
                                 "hatched bars are published figures, not measurements.", bar_chart_svg(bars)});
  section.blocks.push_back(table);
  if (!input.references.empty()) {
    section.blocks.push_back(Paragraph{std::string("Reference rows: ") + bench::kPublishedSource + ". " +
                                       "They are for resnet18d at 288 px, batch 32, on HaGRID; a run of other "
                                       "settings gets no verdict against them.", true});
    for (const std::string& name : input.references) {
      const bench::ReferenceFigures& reference = bench::find_reference(name);
      for (const std::string& note : reference.side.notes) {
        section.blocks.push_back(Paragraph{reference.side.label + ": " + note, true});
      }
    }
  }
  return section;
}

std::string bench_row_label(const store::BenchRow& row) {
  return row.mode + " " + row.model + " " + row.device + " " + row.amp + (row.channels_last ? " CL" : "") + " b" +
         std::to_string(row.batch_size) + " " + std::to_string(row.image_size) + "px" +
         (row.input == "real" ? " real/" + std::to_string(row.workers) + "w" : "");
}

// Across models images/s do not compare (a ViT-B image is 20 times a
// MobileNet's work) but achieved TFLOP/s does: what a device profile
// (`bench --profile`) is read by. Only when the rows span several models.
std::optional<Chart> tflops_chart(const std::vector<store::BenchRow>& rows) {
  std::set<std::string> models;
  for (const store::BenchRow& row : rows) {
    if (row.status == "ok") models.insert(row.model);
  }
  if (models.size() < 2) return std::nullopt;
  BarChartSpec spec;
  spec.title = "Achieved TFLOP/s per test";
  spec.value_label = "TFLOP/s";
  for (const store::BenchRow& row : rows) {
    if (row.status != "ok") continue;
    const std::string peak =
        row.peak_memory_bytes ? "peak " + fixed(static_cast<double>(*row.peak_memory_bytes) / 1048576.0, 0) + " MiB"
                              : "";
    spec.bars.push_back({bench_row_label(row), row.achieved_tflops, peak, "", false});
  }
  return Chart{"bench-tflops",
               "Achieved TFLOP/s of each test (counted FLOPs per image x images/s): the rate that compares across "
               "models, with each test's peak memory.",
               bar_chart_svg(spec)};
}

Section bench_section(const ReportInput& input) {
  Section section{"Bench", {}};
  section.blocks.push_back(Paragraph{std::to_string(input.bench_rows.size()) + " rows from " + input.bench_source +
                                     ". Throughput is the mean over timed windows (± their standard deviation)."});
  BarChartSpec bars;
  bars.title = "Throughput per test";
  bars.value_label = "images/s";
  Table table{{"test", "images/s", "± sd", "ratio", "cold step s", "peak MiB", "TFLOP/s", "GPU busy %", "device"},
              {},
              {false, true, true, true, true, true, true, true, false}};
  const store::BenchRow* first = nullptr;
  for (const store::BenchRow& row : input.bench_rows) {
    const std::string label = bench_row_label(row);
    if (row.status != "ok") {
      table.rows.push_back({label, "failed", "", "", "", "", "", "", row.error});
      continue;
    }
    const bool is_first = first == nullptr;
    if (is_first) first = &row;
    const bench::WorkMatch work =
        bench::match_settings(bench::bench_row_settings(*first), bench::bench_row_settings(row));
    bars.bars.push_back({label, row.images_per_sec,
                         is_first ? "= 1.00x (the first)"
                                  : ratio_annotation(row.images_per_sec, first->images_per_sec, "the first", work),
                         "", false});
    table.rows.push_back(
        {label, figure(row.images_per_sec), figure(row.images_per_sec_std),
         work.same_work() ? fixed(row.images_per_sec / first->images_per_sec, 2) : "-", fixed(row.cold_step_seconds, 2),
         row.peak_memory_bytes ? fixed(static_cast<double>(*row.peak_memory_bytes) / 1048576.0, 0) : "n/a",
         fixed(row.achieved_tflops, 3), row.gpu_utilization_percent ? figure(*row.gpu_utilization_percent) : "n/a",
         row.provenance.device_name});
  }
  for (const std::string& name : input.references) {
    const bench::ReferenceFigures& reference = bench::find_reference(name);
    const double value = reference.side.train_images_per_sec.value;
    std::string note;
    if (first) {
      note = ratio_annotation(value, first->images_per_sec, "the first",
                              bench::match_settings(bench::bench_row_settings(*first), reference.side.settings));
    }
    bars.bars.push_back({reference.side.label, value, note, "", true});
  }
  section.blocks.push_back(Chart{"bench-throughput", "Images per second of each test, with its ratio to the first.",
                                 bar_chart_svg(bars)});
  if (std::optional<Chart> chart = tflops_chart(input.bench_rows)) section.blocks.push_back(*chart);
  section.blocks.push_back(table);
  return section;
}

std::string run_overview(const ReportRun& run) {
  const train::RunRecord& record = run.record;
  if (!record.summary) return record.label + ": no summary yet (running or killed).";
  const train::RunSummary& s = *record.summary;
  return record.label + ": " + s.model + " on " + s.device + " (" + s.device_name + "), amp " + s.amp + ", batch " +
         std::to_string(s.batch_size) + " at " + std::to_string(s.image_size) + " px: " + figure(s.train_images_per_sec) +
         " train images/s (first epoch " + figure(s.first_epoch_images_per_sec) + "), data wait " +
         fixed(100.0 * s.data_wait_fraction, 1) + "%, validation accuracy " + fixed(s.val_accuracy, 4) + " after " +
         std::to_string(s.epochs) + " epochs.";
}

}  // namespace

Document build_report(const ReportInput& input) {
  if (input.runs.empty() && input.bench_rows.empty()) {
    throw UsageError("nothing to report: give run folders, --bench FILE or --db-filter");
  }
  for (const std::string& name : input.references) (void)bench::find_reference(name);  // unknown: UsageError

  Document document;
  document.title = input.runs.size() == 1 && input.bench_rows.empty() ? "trainbench report: " + input.runs[0].record.label
                                                                       : "trainbench report";
  document.subtitle = "Made by trainbench " TRAINBENCH_VERSION +
                      (input.generated_at.empty() ? std::string() : " at " + input.generated_at);
  if (!input.runs.empty()) {
    Section overview{"Overview", {}};
    for (const ReportRun& run : input.runs) overview.blocks.push_back(Paragraph{run_overview(run)});
    document.sections.push_back(overview);
  }
  const std::size_t finished = static_cast<std::size_t>(
      std::count_if(input.runs.begin(), input.runs.end(), [](const ReportRun& run) { return run.record.summary.has_value(); }));
  if (finished > 1 || (finished >= 1 && !input.references.empty() && input.bench_rows.empty())) {
    document.sections.push_back(comparison_section(input));
  }
  if (!input.bench_rows.empty()) document.sections.push_back(bench_section(input));
  for (std::size_t i = 0; i < input.runs.size(); ++i) document.sections.push_back(run_section(input.runs[i], i));
  return document;
}

}  // namespace trainbench::report
