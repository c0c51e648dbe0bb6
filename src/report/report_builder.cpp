#include "report/report_builder.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include "bench/compare_inputs.h"
#include "bench/compare_rules.h"
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

double number_or_nan(const nlohmann::json& object, const char* key) {
  if (!object.is_object()) return NAN;
  const auto found = object.find(key);
  return found != object.end() && found->is_number() ? found->get<double>() : NAN;
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

Table settings_table(const ReportRun& run) {
  std::vector<std::pair<std::string, std::string>> pairs;
  if (run.config.is_object()) {
    for (const char* key : {"model", "data", "val_data", "img_size", "batch_size", "epochs", "max_steps", "lr",
                            "weight_decay", "seed", "device", "amp", "channels_last", "augment", "pretrained",
                            "workers", "threads"}) {
      if (run.config.contains(key)) pairs.emplace_back(key, text_of(run.config[key]));
    }
  }
  if (run.provenance.is_object()) {
    for (const char* key : {"device_name", "driver_version", "runtime_version", "cpu_model", "os", "kernel",
                            "libtorch_version", "trainbench_version", "git_commit", "timestamp_utc"}) {
      if (run.provenance.contains(key)) pairs.emplace_back(key, text_of(run.provenance[key]));
    }
    if (run.provenance.value("wsl", false)) pairs.emplace_back("wsl", "yes");
    if (run.provenance.value("container", false)) pairs.emplace_back("container", "yes");
  } else if (run.summary.is_object()) {
    pairs.emplace_back("device_name", text_of(run.summary["device_name"]));
  }
  pairs.emplace_back("run folder", run.folder.string());
  return key_value_table(pairs);
}

Table results_table(const nlohmann::json& summary) {
  Table table{{"figure", "value"}, {}, {false, true}};
  const auto add = [&](const std::string& name, const std::string& value) { table.rows.push_back({name, value}); };
  add("train images/s (all passes)", figure(number_or_nan(summary, "train_images_per_sec")));
  add("train images/s (first epoch)", figure(number_or_nan(summary, "first_epoch_images_per_sec")));
  add("data wait", fixed(100.0 * number_or_nan(summary, "data_wait_fraction"), 1) + "%");
  add("validation accuracy", fixed(number_or_nan(summary, "val_accuracy"), 4));
  add("validation loss", fixed(number_or_nan(summary, "val_loss"), 4));
  add("best validation loss (epoch)", fixed(number_or_nan(summary, "best_val_loss"), 4) + " (" +
                                          text_of(summary.value("best_epoch", nlohmann::json())) + ")");
  add("steps / epochs", text_of(summary.value("steps", nlohmann::json())) + " / " +
                            text_of(summary.value("epochs", nlohmann::json())));
  add("wall time", fixed(number_or_nan(summary, "wall_seconds"), 1) + " s");
  if (summary.value("skipped_files", 0) > 0) add("files skipped", text_of(summary["skipped_files"]));
  if (summary.value("interrupted", false)) add("interrupted", "yes: the run was stopped before its end");
  return table;
}

Table epochs_table(const std::vector<nlohmann::json>& metrics) {
  struct Epoch {
    nlohmann::json train, eval;
  };
  std::map<int, Epoch> epochs;
  for (const nlohmann::json& record : metrics) {
    const std::string type = record.value("type", "");
    if (type == "train_epoch") epochs[record.value("epoch", 0)].train = record;
    if (type == "eval") epochs[record.value("epoch", 0)].eval = record;
  }
  Table table{{"epoch", "train loss", "train accuracy", "val loss", "val accuracy", "train images/s", "data wait",
               "eval images/s"},
              {},
              {true, true, true, true, true, true, true, true}};
  for (const auto& [epoch, pair] : epochs) {
    const double seconds = number_or_nan(pair.train, "seconds");
    const double eval_seconds = number_or_nan(pair.eval, "seconds");
    table.rows.push_back({std::to_string(epoch), fixed(number_or_nan(pair.train, "loss"), 4),
                          fixed(number_or_nan(pair.train, "accuracy"), 4), fixed(number_or_nan(pair.eval, "loss"), 4),
                          fixed(number_or_nan(pair.eval, "accuracy"), 4),
                          figure(number_or_nan(pair.train, "images") / seconds),
                          fixed(100.0 * number_or_nan(pair.train, "data_wait_seconds") / seconds, 1) + "%",
                          figure(number_or_nan(pair.eval, "images") / eval_seconds)});
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
  const double summary_rate = number_or_nan(run.summary, "train_images_per_sec");
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
  Section section{"Run " + run.label, {}};
  const std::string id = std::to_string(index + 1) + "-" + safe_name(run.label);
  if (run.summary.is_null()) {
    section.blocks.push_back(Paragraph{"This run has no summary.json: it is still running, or it was killed. The "
                                       "curves show what its metrics hold so far.", true});
  }
  section.blocks.push_back(settings_table(run));
  if (!run.summary.is_null()) section.blocks.push_back(results_table(run.summary));
  const RunSeries curves = run_series(run.metrics);
  add_curves(run, curves, id, &section);
  section.blocks.push_back(epochs_table(run.metrics));
  add_telemetry(run, curves, id, &section);
  return section;
}

// ---- several runs, bench rows, references ----

std::string ratio_annotation(double value, double first, const std::string& first_label, bool is_first) {
  if (is_first) return "= 1.00x (the first)";
  if (!(first > 0) || !std::isfinite(value)) return "";
  const double ratio = value / first;
  return fixed(ratio, 2) + "x · " + bench::throughput_verdict(ratio, first_label);
}

Section comparison_section(const ReportInput& input) {
  Section section{"Throughput compared", {}};
  BarChartSpec bars;
  bars.title = "Steady-state training throughput";
  bars.value_label = "images/s";
  Table table{{"run", "images/s", "ratio to the first", "verdict", "what"}, {}, {false, true, true}};
  std::string first_label;
  double first = NAN;
  const auto add = [&](const bench::TrainingSide& side, bool reference) {
    const double value = side.train_images_per_sec.value;
    const bool is_first = first_label.empty();
    if (is_first) {
      first_label = side.label;
      first = value;
    }
    bars.bars.push_back({side.label, value, ratio_annotation(value, first, first_label, is_first), "", reference});
    table.rows.push_back({side.label, figure(value), is_first ? "1.00" : fixed(value / first, 2),
                          is_first ? "" : bench::throughput_verdict(value / first, first_label), side.description});
  };
  for (const ReportRun& run : input.runs) {
    if (run.summary.is_null()) continue;
    add(bench::training_side_from_files(run.label, run.summary, run.config, run.metrics), false);
  }
  for (const std::string& name : input.references) add(bench::find_reference(name).side, true);
  section.blocks.push_back(Chart{"throughput-compared", "Each bar's ratio to the first; hatched bars are published "
                                 "figures, not measurements.", bar_chart_svg(bars)});
  section.blocks.push_back(table);
  if (!input.references.empty()) {
    section.blocks.push_back(Paragraph{std::string("Reference rows: ") + bench::kPublishedSource + ". " +
                                       "They are for resnet18d at 288 px, batch 32, on HaGRID; a run of other "
                                       "settings or data is not the same work.", true});
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
    bars.bars.push_back({label, row.images_per_sec,
                         ratio_annotation(row.images_per_sec, first->images_per_sec, "the first", is_first), "", false});
    table.rows.push_back(
        {label, figure(row.images_per_sec), figure(row.images_per_sec_std), fixed(row.images_per_sec / first->images_per_sec, 2),
         fixed(row.cold_step_seconds, 2),
         row.peak_memory_bytes ? fixed(static_cast<double>(*row.peak_memory_bytes) / 1048576.0, 0) : "n/a",
         fixed(row.achieved_tflops, 3), row.gpu_utilization_percent ? figure(*row.gpu_utilization_percent) : "n/a",
         row.provenance.device_name});
  }
  for (const std::string& name : input.references) {
    const bench::ReferenceFigures& reference = bench::find_reference(name);
    const double value = reference.side.train_images_per_sec.value;
    bars.bars.push_back({reference.side.label, value,
                         first ? ratio_annotation(value, first->images_per_sec, "the first", false) : "", "", true});
  }
  section.blocks.push_back(Chart{"bench-throughput", "Images per second of each test, with its ratio to the first.",
                                 bar_chart_svg(bars)});
  section.blocks.push_back(table);
  return section;
}

std::string run_overview(const ReportRun& run) {
  const nlohmann::json& s = run.summary;
  if (!s.is_object()) return run.label + ": no summary yet (running or killed).";
  return run.label + ": " + s.value("model", "?") + " on " + s.value("device", "?") + " (" + s.value("device_name", "?") +
         "), amp " + s.value("amp", "?") + ", batch " + text_of(s.value("batch_size", nlohmann::json())) + " at " +
         text_of(s.value("img_size", nlohmann::json())) + " px: " + figure(number_or_nan(s, "train_images_per_sec")) +
         " train images/s (first epoch " + figure(number_or_nan(s, "first_epoch_images_per_sec")) + "), data wait " +
         fixed(100.0 * number_or_nan(s, "data_wait_fraction"), 1) + "%, validation accuracy " +
         fixed(number_or_nan(s, "val_accuracy"), 4) + " after " + text_of(s.value("epochs", nlohmann::json())) +
         " epochs.";
}

}  // namespace

Document build_report(const ReportInput& input) {
  if (input.runs.empty() && input.bench_rows.empty()) {
    throw UsageError("nothing to report: give run folders, --bench FILE or --db-filter");
  }
  for (const std::string& name : input.references) (void)bench::find_reference(name);  // unknown: UsageError

  Document document;
  document.title = input.runs.size() == 1 && input.bench_rows.empty() ? "trainbench report: " + input.runs[0].label
                                                                       : "trainbench report";
  document.subtitle = "Made by trainbench " TRAINBENCH_VERSION +
                      (input.generated_at.empty() ? std::string() : " at " + input.generated_at);
  if (!input.runs.empty()) {
    Section overview{"Overview", {}};
    for (const ReportRun& run : input.runs) overview.blocks.push_back(Paragraph{run_overview(run)});
    document.sections.push_back(overview);
  }
  const std::size_t finished = static_cast<std::size_t>(
      std::count_if(input.runs.begin(), input.runs.end(), [](const ReportRun& run) { return !run.summary.is_null(); }));
  if (finished > 1 || (finished >= 1 && !input.references.empty() && input.bench_rows.empty())) {
    document.sections.push_back(comparison_section(input));
  }
  if (!input.bench_rows.empty()) document.sections.push_back(bench_section(input));
  for (std::size_t i = 0; i < input.runs.size(); ++i) document.sections.push_back(run_section(input.runs[i], i));
  return document;
}

}  // namespace trainbench::report
