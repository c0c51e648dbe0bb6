#include "cli/after_training.h"

#include <cstdio>

#include "bench/compare.h"
#include "bench/compare_inputs.h"
#include "bench/reference_figures.h"
#include "core/atomic_file.h"
#include "core/provenance.h"
#include "report/html_report.h"
#include "report/report_builder.h"

namespace trainbench::cli {
namespace {

std::string format_rate(double images_per_sec) {
  char text[32];
  std::snprintf(text, sizeof text, images_per_sec >= 100 ? "%.0f" : "%.1f", images_per_sec);
  return text;
}

// "resnet18d at 288 px, batch 32, amp fp16": the settings that decide a rate.
std::string describe_work(const nlohmann::ordered_json& settings) {
  auto text_of = [&](const char* key) {
    if (!settings.contains(key)) return std::string("?");
    const auto& value = settings[key];
    return value.is_string() ? value.get<std::string>() : value.dump();
  };
  return text_of("model") + " at " + text_of("img_size") + " px, batch " + text_of("batch_size") + ", amp " +
         text_of("amp");
}

}  // namespace

std::string format_reference_standing(const std::filesystem::path& run_dir) {
  const bench::TrainingSide run = bench::load_run_folder(run_dir);
  if (run.train_images_per_sec.value <= 0.0) return "";
  std::string lines;
  bool settings_differ = false;
  for (const bench::ReferenceFigures& reference : bench::reference_figures()) {
    const bench::Comparison comparison = bench::compare_training_runs(reference.side, run);
    for (const bench::ComparedFigure& figure : comparison.figures) {
      if (figure.kind != bench::FigureKind::kThroughput) continue;
      // The first throughput figure is the steady training rate.
      lines += "  " + reference.conditions + ": " + format_rate(figure.a.value) + " images/s there, " +
               format_rate(figure.b.value) + " here: " + figure.verdict + "\n";
      break;
    }
    for (const std::string& note : comparison.notes) {
      if (note.rfind("settings differ", 0) == 0) settings_differ = true;
    }
  }
  std::string text = "Against the workload's published cards (" + std::string(bench::kPublishedSource) + "):\n";
  if (settings_differ) {
    // The rates are of different work: say so before the verdicts, and which.
    const bench::TrainingSide& card = bench::reference_figures().front().side;
    text += "  Not like for like: the cards trained " + describe_work(card.settings) + ",\n  this run " +
            describe_work(run.settings) + " (`bench` below measures this machine at the cards' settings):\n";
  }
  return text + lines;
}

std::filesystem::path write_run_report(const std::filesystem::path& run_dir) {
  report::ReportInput input;
  input.runs.push_back(report::load_report_run(run_dir));
  input.references = {"titan-rtx"};
  input.generated_at = core::utc_timestamp_now();
  const std::filesystem::path output = run_dir / "report.html";
  core::write_file_atomically(output, report::render_html(report::build_report(input)));
  return output;
}

std::string format_next_commands(const std::string& program) {
  return "Next:\n"
         "  " + program + " train --data YOUR_FOLDER --output runs/mine   # your own images, one sub-folder per class\n"
         "  " + program + " bench --model resnet18d --img-size 288 -b 32   # this machine at the workload's settings\n"
         "  " + program + " doctor                                         # what, if anything, slows this machine\n";
}

}  // namespace trainbench::cli
