#include "bench/compare_report.h"

#include <cmath>
#include <cstdio>

#include "core/error.h"
#include "core/text.h"

namespace trainbench::bench {
namespace {

using core::format;
using core::minutes_seconds;

std::string value_text(const Estimate& estimate, FigureKind kind) {
  switch (kind) {
    case FigureKind::kThroughput:
      return format("%.1f", estimate.value) + (estimate.standard_error ? format(" ±%.1f", *estimate.standard_error) : "");
    case FigureKind::kDuration:
      return minutes_seconds(estimate.value) +
             (estimate.standard_error ? " ±" + format("%.0f s", *estimate.standard_error) : "");
    case FigureKind::kAccuracy: return format("%.4f", estimate.value);
    case FigureKind::kLoss: return format("%.4f", estimate.value);
  }
  return format("%g", estimate.value);
}

std::string ratio_text(const ComparedFigure& figure) {
  if (figure.ratio) return format("%.2f", *figure.ratio);
  if (figure.difference) {
    return figure.kind == FigureKind::kAccuracy ? format("%+.2f pts", *figure.difference * 100.0)
                                                : format("%+.4f", *figure.difference);
  }
  return "-";
}

// The verdict cell: a withheld verdict says why, and an estimate says it is one.
std::string verdict_text(const ComparedFigure& figure) {
  if (figure.same_work) return figure.verdict;
  return "different work: no verdict" + (figure.estimate.empty() ? "" : "; " + figure.estimate);
}

std::string significance_text(const ComparedFigure& figure) {
  if (!figure.same_work) return "-";
  if (figure.significance != Significance::kUnknown) return to_string(figure.significance);
  return figure.kind == FigureKind::kAccuracy || figure.kind == FigureKind::kLoss ? "noise unknown" : "spread unknown";
}

// Table cells must not break the table.
std::string cell(std::string text) {
  for (std::size_t at = text.find('|'); at != std::string::npos; at = text.find('|', at + 2)) text.replace(at, 1, "\\|");
  return text;
}

nlohmann::ordered_json estimate_json(const Estimate& estimate) {
  return {{"value", estimate.value},
          {"standard_error", estimate.standard_error ? nlohmann::ordered_json(*estimate.standard_error) : nullptr},
          {"spread", estimate.spread_note}};
}

const char* role_name(SettingRole role) {
  switch (role) {
    case SettingRole::kWork: return "work";
    case SettingRole::kRecipe: return "recipe";
    case SettingRole::kExecution: return "execution";
  }
  return "execution";
}

const char* kind_name(FigureKind kind) {
  switch (kind) {
    case FigureKind::kThroughput: return "throughput";
    case FigureKind::kDuration: return "duration";
    case FigureKind::kAccuracy: return "accuracy";
    case FigureKind::kLoss: return "loss";
  }
  return "throughput";
}

void append_list(const std::string& title, const std::vector<std::string>& items, std::string* text) {
  if (items.empty()) return;
  *text += "\n" + title + "\n";
  for (const std::string& item : items) *text += "- " + item + "\n";
}

}  // namespace

CompareFormat parse_compare_format(const std::string& text) {
  if (text == "md") return CompareFormat::kMarkdown;
  if (text == "json") return CompareFormat::kJson;
  throw UsageError("unknown output format '" + text + "' for compare; use md or json");
}

std::string format_comparison_markdown(const Comparison& c) {
  std::string text = "A: " + c.a_label + ": " + c.a_description + "\n" + "B: " + c.b_label + ": " + c.b_description + "\n\n";
  if (!c.figures.empty()) {
    text += "| figure | " + cell(c.a_label) + " | " + cell(c.b_label) + " | B/A | verdict | beyond noise |\n";
    text += "| --- | ---: | ---: | ---: | --- | --- |\n";
    for (const ComparedFigure& f : c.figures) {
      text += "| " + cell(f.name) + " | " + value_text(f.a, f.kind) + " | " + value_text(f.b, f.kind) + " | " +
              ratio_text(f) + " | " + cell(verdict_text(f)) + " | " + significance_text(f) + " |\n";
    }
    text += "\n± is the standard error of the mean (half the range for published figures); a throughput difference is beyond noise when it exceeds twice the "
            "combined standard errors, an accuracy difference when it exceeds twice the combined binomial standard "
            "error of the validation sets. For times, B/A is the speed ratio (A's time / B's).\n";
  }
  append_list("Only in " + c.a_label + ":", c.unpaired_a, &text);
  append_list("Only in " + c.b_label + ":", c.unpaired_b, &text);
  append_list("Notes:", c.notes, &text);
  return text;
}

nlohmann::ordered_json comparison_to_json(const Comparison& c) {
  nlohmann::ordered_json pairs = nlohmann::ordered_json::array();
  for (const ComparedFigure& f : c.figures) {
    pairs.push_back({{"name", f.name},
                     {"kind", kind_name(f.kind)},
                     {"a", estimate_json(f.a)},
                     {"b", estimate_json(f.b)},
                     {"ratio", f.ratio ? nlohmann::ordered_json(*f.ratio) : nullptr},
                     {"difference", f.difference ? nlohmann::ordered_json(*f.difference) : nullptr},
                     {"verdict", f.verdict},
                     {"same_work", f.same_work},
                     {"estimate", f.estimate.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(f.estimate)},
                     {"beyond_spread", f.significance == Significance::kUnknown
                                           ? nlohmann::ordered_json(nullptr)
                                           : nlohmann::ordered_json(f.significance == Significance::kBeyond)}});
  }
  nlohmann::ordered_json differing = nlohmann::ordered_json::array();
  for (const SettingDifference& d : c.work.differences) {
    differing.push_back({{"name", d.name}, {"a", d.a}, {"b", d.b}, {"role", role_name(d.role)}});
  }
  return {{"a", {{"label", c.a_label}, {"description", c.a_description}}},
          {"b", {{"label", c.b_label}, {"description", c.b_description}}},
          {"same_work", c.work.same_work()},
          {"differing_settings", differing},
          {"pairs", pairs},
          {"unpaired_a", c.unpaired_a},
          {"unpaired_b", c.unpaired_b},
          {"notes", c.notes}};
}

std::string format_comparison(const Comparison& comparison, CompareFormat format) {
  if (format == CompareFormat::kJson) return comparison_to_json(comparison).dump(2) + "\n";
  return format_comparison_markdown(comparison);
}

}  // namespace trainbench::bench
