#include "bench/printers.h"

#include <cmath>
#include <cstdio>
#include <functional>
#include <set>

#include "core/provenance.h"
#include "core/error.h"
#include "core/text.h"

namespace trainbench::bench {
using core::Column;
using core::ColumnType;
using core::Row;
using core::Table;

namespace {

const Row& cell(const Row& row, const std::string& name) {
  static const Row null_value;
  const auto it = row.find(name);
  return it == row.end() ? null_value : *it;
}

// Text the JSON library writes (invalid UTF-8 replaced rather than thrown on).
std::string dump(const Row& value, int indent = -1) {
  return value.dump(indent, ' ', false, Row::error_handler_t::replace);
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

// ---- plain values: csv and sql write every digit of a real (the shortest
// text that reads back as the same double), "a;b;c" for lists ----

bool is_finite_real(const Row& value) { return !value.is_number_float() || std::isfinite(value.get<double>()); }

std::string plain_value(const Row& value) {
  if (value.is_null() || !is_finite_real(value)) return "";
  if (value.is_boolean()) return value.get<bool>() ? "true" : "false";
  if (value.is_string()) return value.get<std::string>();
  if (value.is_array()) {
    std::vector<std::string> parts;
    for (const Row& item : value) parts.push_back(plain_value(item));
    return core::join(parts, ";");
  }
  return dump(value);  // numbers, objects
}

// ---- markdown: numbers for people ----

// About three significant digits, never an exponent above 1000 ("12345",
// "512", "3.14", "0.0123").
std::string human(double x) {
  if (std::isnan(x)) return "nan";
  if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
  if (x == 0) return "0";
  char text[64];
  std::snprintf(text, sizeof text, std::fabs(x) >= 999.5 ? "%.0f" : "%.3g", x);
  return text;
}

std::string human_value(const Row& value) {
  if (value.is_number_float()) return human(value.get<double>());
  if (value.is_array()) {
    std::vector<std::string> parts;
    for (const Row& item : value) parts.push_back(human_value(item));
    return core::join(parts, ";");
  }
  return plain_value(value);
}

// A cell of a pipe table: no pipes or line breaks of its own.
std::string markdown_escape(const std::string& text) {
  std::string out = replace_all(text, "|", "\\|");
  for (char& c : out) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return out;
}

struct MarkdownColumn {
  std::string label;
  bool numeric = false;
  std::function<std::string(const Row&)> cell;
};

// A measured figure of a bench row and how the table shows it.
struct Figure {
  std::string name;
  std::string label;
  double scale;
};
const std::vector<Figure>& bench_figures() {
  static const std::vector<Figure> figures = {
      {"cold_step_seconds", "cold step s", 1.0},
      {"peak_memory_bytes", "peak MiB", 1.0 / (1024.0 * 1024.0)},
      {"achieved_tflops", "TFLOP/s", 1.0},
      {"peak_fraction", "% of peak", 100.0},
      {"data_wait_seconds", "data wait ms", 1000.0},
      {"forward_seconds", "forward ms", 1000.0},
      {"backward_seconds", "backward ms", 1000.0},
      {"optimizer_seconds", "optimizer ms", 1000.0},
      {"all_reduce_wait_seconds", "all-reduce wait ms", 1000.0},
      {"process_cpu_percent", "CPU %", 1.0},
      {"gpu_utilization_percent", "GPU %", 1.0},
      {"gpu_power_watts", "GPU W", 1.0},
  };
  return figures;
}

// Columns the table leaves out: folded into another cell, a detail of how a
// figure was derived, or said once below the table.
const std::set<std::string>& markdown_hidden() {
  static const std::set<std::string> hidden = {"images_per_sec_std", "images_per_sec_samples", "step_seconds",
                                               "forward_flops_per_image", "step_flops_per_image", "peak_tflops",
                                               "memory_source", "status", "error", "note", "images_per_sec"};
  return hidden;
}

bool failed(const Row& row) {
  const Row& status = cell(row, "status");
  return status.is_string() && status.get<std::string>() == "failed";
}

bool same_in_every_row(const Table& table, const std::string& name) {
  for (const Row& row : table.rows) {
    if (cell(row, name) != cell(table.rows.front(), name)) return false;
  }
  return true;
}

bool any_row(const Table& table, const std::string& name, const std::function<bool(const Row&)>& test) {
  for (const Row& row : table.rows) {
    if (test(cell(row, name))) return true;
  }
  return false;
}

// Whether every row ran the batch it asked for (no out-of-memory retry).
bool batch_ran_as_requested(const Table& table) {
  for (const Row& row : table.rows) {
    if (cell(row, "requested_batch_size") != cell(row, "batch_size")) return false;
  }
  return true;
}

// Null, "" and [] say nothing (a lone process's empty rank_images_per_sec).
bool is_set(const Row& value) {
  return !value.is_null() && !(value.is_string() && value.get<std::string>().empty()) &&
         !(value.is_array() && value.empty());
}

bool has_column(const Table& table, const std::string& name) {
  for (const Column& c : table.columns) {
    if (c.name == name) return true;
  }
  return false;
}

// One line under the table: the provenance every row shares.
std::string provenance_line(const Table& table, const std::set<std::string>& shared) {
  const Row& first = table.rows.front();
  auto text = [&](const std::string& name) -> std::string {
    if (!shared.count(name) || !is_set(cell(first, name))) return "";
    return markdown_escape(plain_value(cell(first, name)));
  };
  std::vector<std::string> parts;
  auto add = [&](const std::string& part) {
    if (!part.empty()) parts.push_back(part);
  };
  add(text("device_name"));
  if (!text("libtorch_version").empty()) add("LibTorch " + text("libtorch_version"));
  add(text("runtime_version"));
  if (!text("driver_version").empty()) add("driver " + text("driver_version"));
  if (!text("trainbench_version").empty()) {
    add("trainbench " + text("trainbench_version") +
        (text("git_commit").empty() ? std::string() : " (" + text("git_commit") + ")"));
  }
  add(text("os"));
  if (!text("kernel").empty()) add("kernel " + text("kernel"));
  if (!text("threads").empty()) add(text("threads") + (text("threads") == "1" ? " thread" : " threads"));
  if (!text("cpu_model").empty() && text("cpu_model") != text("device_name")) add("CPU " + text("cpu_model"));
  if (text("wsl") == "true") add("WSL");
  if (text("container") == "true") add("in a container");
  if (has_column(table, "memory_source") && same_in_every_row(table, "memory_source") && is_set(cell(first, "memory_source"))) {
    add("memory: " + markdown_escape(plain_value(cell(first, "memory_source"))));
  }
  if (has_column(table, "timestamp_utc") && is_set(cell(first, "timestamp_utc"))) {
    add(markdown_escape(plain_value(cell(first, "timestamp_utc"))) +
        (same_in_every_row(table, "timestamp_utc") ? "" : " (first row)"));
  }
  return core::join(parts, " · ");
}

}  // namespace

OutputFormat parse_output_format(const std::string& text) {
  if (text == "md" || text == "markdown") return OutputFormat::kMarkdown;
  if (text == "csv") return OutputFormat::kCsv;
  if (text == "json") return OutputFormat::kJson;
  if (text == "jsonl") return OutputFormat::kJsonl;
  if (text == "sql") return OutputFormat::kSql;
  throw UsageError("unknown output format \"" + text + "\": use one of md, csv, json, jsonl, sql");
}

std::string format_markdown(const Table& table) {
  if (table.rows.empty()) return "No rows" + (table.name.empty() ? std::string() : " in " + table.name) + ".\n";

  std::set<std::string> provenance;
  for (const Column& c : core::provenance_columns()) provenance.insert(c.name);

  std::vector<std::string> header;  // "model resnet18": test identity every row shares
  std::set<std::string> shared_provenance;
  std::vector<MarkdownColumn> identity, figures, outcome;

  for (const Column& column : table.columns) {
    const std::string& name = column.name;
    const bool numeric = column.type == ColumnType::kInteger || column.type == ColumnType::kReal;
    const MarkdownColumn as_is{name, numeric, [name](const Row& row) { return markdown_escape(human_value(cell(row, name))); }};
    if (provenance.count(name)) {
      if (name == "timestamp_utc") continue;  // always differs; the first is said below
      if (same_in_every_row(table, name)) {
        shared_provenance.insert(name);
      } else {
        identity.push_back(as_is);
      }
      continue;
    }
    if (markdown_hidden().count(name)) continue;
    if (name == "requested_batch_size" && batch_ran_as_requested(table)) continue;  // batch_size says it
    // A lone process's bench says nothing of ranks.
    if (name == "world_size" && same_in_every_row(table, name) && cell(table.rows.front(), name) == 1) continue;
    bool known_figure = false;
    for (const Figure& figure : bench_figures()) known_figure |= figure.name == name;
    if (known_figure) continue;  // added below, in their own order
    if (column.type == ColumnType::kReal || column.type == ColumnType::kRealList) {
      // A measurement of another table (train_loss, val_accuracy): always shown.
      if (any_row(table, name, is_set)) figures.push_back(as_is);
      continue;
    }
    if (!same_in_every_row(table, name)) {
      identity.push_back(as_is);
    } else if (is_set(cell(table.rows.front(), name))) {
      header.push_back(name + " " + markdown_escape(plain_value(cell(table.rows.front(), name))));
    }
  }

  // The bench figures, in a fixed order, in front of other measurements.
  std::vector<MarkdownColumn> bench;
  if (has_column(table, "images_per_sec")) {
    const bool with_std = has_column(table, "images_per_sec_std");
    bench.push_back({"images/s", true, [with_std](const Row& row) -> std::string {
                       const Row& mean = cell(row, "images_per_sec");
                       if (failed(row) || !mean.is_number()) return "";
                       const Row& std_dev = cell(row, "images_per_sec_std");
                       std::string text = human(mean.get<double>());
                       if (with_std && std_dev.is_number()) text += " ± " + human(std_dev.get<double>());
                       return text;
                     }});
  }
  for (const Figure& figure : bench_figures()) {
    if (!has_column(table, figure.name) || !any_row(table, figure.name, is_set)) continue;
    bench.push_back({figure.label, true, [figure](const Row& row) -> std::string {
                       const Row& value = cell(row, figure.name);
                       if (failed(row) || !value.is_number()) return "";
                       return human(value.get<double>() * figure.scale);
                     }});
  }
  figures.insert(figures.begin(), bench.begin(), bench.end());

  if (has_column(table, "status") && any_row(table, "status", [](const Row& v) { return v.is_string() && v != "ok"; })) {
    outcome.push_back({"status", false, [](const Row& row) { return markdown_escape(plain_value(cell(row, "status"))); }});
  }
  for (const char* name : {"error", "note"}) {
    const std::string text_name = name;
    if (has_column(table, text_name) && any_row(table, text_name, is_set)) {
      outcome.push_back({text_name, false, [text_name](const Row& row) { return markdown_escape(plain_value(cell(row, text_name))); }});
    }
  }

  std::vector<MarkdownColumn> shown = identity;
  shown.insert(shown.end(), figures.begin(), figures.end());
  shown.insert(shown.end(), outcome.begin(), outcome.end());
  if (shown.empty()) {
    // Nothing varies and nothing was measured: the shared values are the table.
    header.clear();
    for (const Column& column : table.columns) {
      if (provenance.count(column.name) || markdown_hidden().count(column.name)) continue;
      const std::string name = column.name;
      shown.push_back({name, column.type == ColumnType::kInteger || column.type == ColumnType::kReal,
                       [name](const Row& row) { return markdown_escape(human_value(cell(row, name))); }});
    }
  }

  std::string out;
  if (!header.empty()) out += core::join(header, " · ") + "\n\n";
  std::string labels = "|", rule = "|";
  for (const MarkdownColumn& c : shown) {
    labels += " " + markdown_escape(c.label) + " |";
    rule += c.numeric ? " ---: |" : " --- |";
  }
  out += labels + "\n" + rule + "\n";
  for (const Row& row : table.rows) {
    std::string line = "|";
    for (const MarkdownColumn& c : shown) line += " " + c.cell(row) + " |";
    out += line + "\n";
  }
  const std::string below = provenance_line(table, shared_provenance);
  if (!below.empty()) out += "\n" + below + "\n";
  return out;
}

std::string format_csv(const Table& table) {
  auto quote = [](const std::string& field) {
    if (field.find_first_of(",\"\r\n") == std::string::npos) return field;
    return "\"" + replace_all(field, "\"", "\"\"") + "\"";
  };
  std::vector<std::string> names;
  for (const Column& c : table.columns) names.push_back(quote(c.name));
  std::string out = core::join(names, ",") + "\n";
  for (const Row& row : table.rows) {
    std::vector<std::string> fields;
    for (const Column& c : table.columns) fields.push_back(quote(plain_value(cell(row, c.name))));
    out += core::join(fields, ",") + "\n";
  }
  return out;
}

namespace {

// A row with exactly the table's columns, in their order (null where missing).
Row project(const Table& table, const Row& row) {
  Row out = Row::object();
  for (const Column& c : table.columns) out[c.name] = cell(row, c.name);
  return out;
}

}  // namespace

std::string format_json(const Table& table) {
  Row rows = Row::array();
  for (const Row& row : table.rows) rows.push_back(project(table, row));
  return dump(rows, 2) + "\n";
}

std::string format_jsonl(const Table& table) {
  std::string out;
  for (const Row& row : table.rows) out += dump(project(table, row)) + "\n";
  return out;
}

namespace {

std::string sql_identifier(const std::string& name) { return "\"" + replace_all(name, "\"", "\"\"") + "\""; }
std::string sql_text(const std::string& text) { return "'" + replace_all(text, "'", "''") + "'"; }

std::string sql_type(ColumnType type) {
  switch (type) {
    case ColumnType::kInteger:
    case ColumnType::kBool:
      return "INTEGER";
    case ColumnType::kReal:
      return "REAL";
    case ColumnType::kText:
    case ColumnType::kRealList:
      return "TEXT";
  }
  return "TEXT";
}

std::string sql_value(const Row& value) {
  if (value.is_null() || !is_finite_real(value)) return "NULL";
  if (value.is_boolean()) return value.get<bool>() ? "1" : "0";
  if (value.is_number()) return dump(value);
  return sql_text(plain_value(value));  // text, lists as "a;b;c", objects as JSON
}

}  // namespace

std::string format_sql(const Table& table) {
  const std::string name = sql_identifier(table.name.empty() ? "results" : table.name);
  std::vector<std::string> definitions, names;
  for (const Column& c : table.columns) {
    definitions.push_back(sql_identifier(c.name) + " " + sql_type(c.type));
    names.push_back(sql_identifier(c.name));
  }
  std::string out = "CREATE TABLE IF NOT EXISTS " + name + " (" + core::join(definitions, ", ") + ");\n";
  const std::string insert = "INSERT INTO " + name + " (" + core::join(names, ", ") + ") VALUES (";
  for (const Row& row : table.rows) {
    std::vector<std::string> values;
    for (const Column& c : table.columns) values.push_back(sql_value(cell(row, c.name)));
    out += insert + core::join(values, ", ") + ");\n";
  }
  return out;
}

std::string human_value_text(const Row& value) { return human_value(value); }

std::string format_table(const Table& table, OutputFormat format) {
  switch (format) {
    case OutputFormat::kMarkdown:
      return format_markdown(table);
    case OutputFormat::kCsv:
      return format_csv(table);
    case OutputFormat::kJson:
      return format_json(table);
    case OutputFormat::kJsonl:
      return format_jsonl(table);
    case OutputFormat::kSql:
      return format_sql(table);
  }
  return format_markdown(table);
}

}  // namespace trainbench::bench
