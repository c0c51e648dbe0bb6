#include "serve/results_page.h"

#include <algorithm>

#include "bench/printers.h"
#include "core/text.h"
#include "report/html_report.h"
#include "report/svg_chart.h"
#include "serve/machine_comparison.h"
#include "store/bench_row.h"

namespace trainbench::serve {
namespace {

using report::xml_escape;

// Added to the report's style: a wider page (the tables have many columns),
// the filter form, tables that scroll sideways on a narrow screen.
constexpr const char* kResultsPageStyle = R"(
main { max-width: 1280px; }
form.filters { display: flex; flex-wrap: wrap; gap: .6rem 1.2rem; align-items: flex-end; margin: .6rem 0 .8rem; }
form.filters label { display: flex; flex-direction: column; font-size: .85rem; color: #5b6474; }
form.filters select { font: inherit; color: #1d2330; padding: .2rem .3rem; min-width: 8rem; }
form.filters button { font: inherit; padding: .3rem 1rem; }
form.filters a, p.links a { color: #0b5cad; }
div.scroll { overflow-x: auto; }
p.error { color: #a4161a; font-weight: 600; }
)";

struct ShownColumn {
  const char* column;
  const char* header;
  bool numeric;
};

const std::vector<ShownColumn>& shown_bench_columns() {
  static const std::vector<ShownColumn> columns = {
      {"id", "id", true},           {"timestamp_utc", "measured (UTC)", false},
      {"device_name", "device name", false}, {"device", "device", false},
      {"mode", "mode", false},      {"model", "model", false},
      {"amp", "precision", false},  {"channels_last", "channels last", false},
      {"batch_size", "batch", true}, {"image_size", "image size", true},
      {"input", "input", false},    {"images_per_sec", "images/s", true},
      {"images_per_sec_std", "± sd", true}, {"achieved_tflops", "TFLOP/s", true},
      {"status", "status", false},  {"note", "note", false},
  };
  return columns;
}

const std::vector<ShownColumn>& shown_train_columns() {
  static const std::vector<ShownColumn> columns = {
      {"id", "id", true},           {"stored_at", "stored (UTC)", false},
      {"device_name", "device name", false}, {"device", "device", false},
      {"model", "model", false},    {"amp", "precision", false},
      {"batch_size", "batch", true}, {"image_size", "image size", true},
      {"epochs", "epochs", true},   {"train_images_per_sec", "train images/s", true},
      {"val_accuracy", "val accuracy", true}, {"wall_seconds", "wall s", true},
      {"interrupted", "interrupted", false}, {"run_dir", "run folder", false},
  };
  return columns;
}

// A value as a filter takes it: text as it is, numbers as digits.
std::string value_text(const core::Row& value) {
  if (value.is_null()) return "";
  return value.is_string() ? value.get<std::string>() : value.dump();
}

std::string text_of(const core::Row& row, const std::string& column) {
  return row.contains(column) ? value_text(row[column]) : "";
}

// The newest rows first, at most kMaxRowsShown of them.
report::Table shown_table(const core::Table& table, const std::vector<ShownColumn>& columns) {
  report::Table shown;
  for (const ShownColumn& column : columns) {
    shown.header.push_back(column.header);
    shown.numeric.push_back(column.numeric);
  }
  for (auto row = table.rows.rbegin(); row != table.rows.rend() && shown.rows.size() < kMaxRowsShown; ++row) {
    std::vector<std::string> cells;
    for (const ShownColumn& column : columns) {
      cells.push_back(row->contains(column.column) ? bench::human_value_text((*row)[column.column]) : "");
    }
    shown.rows.push_back(std::move(cells));
  }
  return shown;
}

std::string scrolling(const std::string& html) { return "<div class=\"scroll\">\n" + html + "</div>\n"; }

std::string note(const std::string& text) { return report::render_html_block(report::Paragraph{text, true}); }

// "1 bench row", "12 bench rows".
std::string counted(std::size_t count, const std::string& one, const std::string& several) {
  return std::to_string(count) + " " + (count == 1 ? one : several);
}

// How many rows a table shows, and which.
std::string shown_count(std::size_t count, const std::string& one, const std::string& several) {
  if (count > kMaxRowsShown) {
    return "the newest " + std::to_string(kMaxRowsShown) + " of " + std::to_string(count) + " " + several +
           " (narrow the filters to see the others)";
  }
  return counted(count, one, several) + (count > 1 ? ", newest first" : "");
}

// ---- machines ----

struct MachineSummary {
  Machine machine;
  std::string cpu_model;
  std::string os;
  std::size_t bench_rows = 0;
  std::size_t train_runs = 0;
  std::string last_measured;
};

void count_machines(const core::Table& table, bool bench, std::vector<MachineSummary>* machines) {
  for (const core::Row& row : table.rows) {
    const Machine machine{text_of(row, "device_name"), text_of(row, "device")};
    auto it = std::find_if(machines->begin(), machines->end(),
                           [&](const MachineSummary& summary) { return summary.machine == machine; });
    if (it == machines->end()) it = machines->insert(machines->end(), MachineSummary{machine, "", "", 0, 0, ""});
    (bench ? it->bench_rows : it->train_runs) += 1;
    // Rows come oldest first: the last one says what the machine is now.
    if (!text_of(row, "cpu_model").empty()) it->cpu_model = text_of(row, "cpu_model");
    if (!text_of(row, "os").empty()) it->os = text_of(row, "os");
    it->last_measured = std::max(it->last_measured, text_of(row, "timestamp_utc"));
  }
}

std::vector<MachineSummary> machines_of(const ResultsPageInput& input) {
  std::vector<MachineSummary> machines;
  count_machines(input.all_bench, true, &machines);
  count_machines(input.all_train, false, &machines);
  return machines;
}

std::string machines_section(const std::vector<MachineSummary>& machines) {
  if (machines.empty()) return note("Nothing is stored yet: `trainbench bench` and `trainbench train` store here.");
  report::Table table;
  table.header = {"device name", "device", "CPU", "OS", "bench rows", "training runs", "last measured (UTC)"};
  table.numeric = {false, false, false, false, true, true, false};
  for (const MachineSummary& m : machines) {
    table.rows.push_back({m.machine.device_name, m.machine.device, m.cpu_model, m.os, std::to_string(m.bench_rows),
                          std::to_string(m.train_runs), m.last_measured});
  }
  return scrolling(report::render_html_block(table)) +
         note("The store keeps no host name: a machine here is a device name and a device, as each row's "
              "provenance recorded them.");
}

// ---- the filter form ----

std::string filter_select(const PageFilter& filter, const core::Table& all_bench, const std::string& selected) {
  std::vector<nlohmann::ordered_json> values;
  for (const core::Row& row : all_bench.rows) {
    if (row.contains(filter.column) && !row[filter.column].is_null()) values.push_back(row[filter.column]);
  }
  std::sort(values.begin(), values.end());  // numbers as numbers
  std::vector<std::string> choices;
  for (const nlohmann::ordered_json& value : values) {
    const std::string text = value_text(value);
    if (choices.empty() || choices.back() != text) choices.push_back(text);
  }
  // A value typed into the address bar that no row has stays visible as chosen.
  if (!selected.empty() && std::find(choices.begin(), choices.end(), selected) == choices.end()) {
    choices.push_back(selected);
  }
  std::string html = "<label>" + xml_escape(filter.label) + "<select name=\"" + xml_escape(filter.column) + "\">";
  html += "<option value=\"\">any</option>";
  for (const std::string& choice : choices) {
    html += "<option value=\"" + xml_escape(choice) + "\"" + (choice == selected ? " selected" : "") + ">" +
            xml_escape(choice) + "</option>";
  }
  return html + "</select></label>\n";
}

std::string filter_form(const ResultsPageInput& input) {
  std::string html = "<form class=\"filters\" method=\"get\" action=\"/\">\n";
  for (const PageFilter& filter : page_filters()) {
    html += filter_select(filter, input.all_bench, query_value(input.query, filter.column).value_or(""));
  }
  return html + "<button type=\"submit\">Show</button> <a href=\"/\">clear the filters</a>\n</form>\n";
}

// ---- the same test across machines, and the charts ----

struct StoredBenchRows {
  std::vector<store::BenchRow> rows;
  std::vector<std::int64_t> ids;
};

StoredBenchRows bench_rows_of(const core::Table& table) {
  StoredBenchRows stored;
  for (const core::Row& row : table.rows) {
    stored.rows.push_back(store::bench_row_from_json(row));
    stored.ids.push_back(row.contains("id") && row["id"].is_number_integer() ? row["id"].get<std::int64_t>() : 0);
  }
  return stored;
}

std::string ratio_text(const std::optional<double>& ratio) {
  return ratio ? core::format("%.2fx", *ratio) : std::string();
}

std::string comparison_section(const std::vector<ComparedTest>& tests) {
  if (tests.empty()) {
    return note("No test among these rows ran on two machines: run the same `trainbench bench` matrix on another "
                "machine (or device) and store it here.");
  }
  report::Table table;
  table.header = {"test", "machine", "images/s", "± sd", "ratio to the first", "verdict", "row id"};
  table.numeric = {false, false, true, true, true, false, true};
  for (const ComparedTest& test : tests) {
    for (std::size_t i = 0; i < test.machines.size(); ++i) {
      const MachineResult& m = test.machines[i];
      table.rows.push_back({i == 0 ? test.test : "", m.machine.label(),
                            bench::human_value_text(m.images_per_sec), bench::human_value_text(m.images_per_sec_std),
                            i == 0 ? "1 (baseline)" : ratio_text(m.ratio), m.verdict, std::to_string(m.row_id)});
    }
  }
  return scrolling(report::render_html_block(table)) +
         note("A test is the bench key (mode, model, precision, layout, batch, image size, workers, input) without "
              "the device; of a machine's rows for one test the newest counts. Verdicts follow `trainbench compare`.");
}

std::string charts_section(const std::vector<ComparedTest>& tests) {
  if (tests.empty()) return note("No successful bench row among these rows.");
  std::string html;
  for (std::size_t t = 0; t < tests.size() && t < kMaxCharts; ++t) {
    report::BarChartSpec spec;
    spec.title = tests[t].test;
    spec.value_label = "images/s";
    spec.width = 900;
    for (const MachineResult& m : tests[t].machines) {
      spec.bars.push_back(report::Bar{m.machine.label(), m.images_per_sec, ratio_text(m.ratio), "", false});
    }
    html += report::render_html_block(report::Chart{"test-" + std::to_string(t + 1), "", report::bar_chart_svg(spec)});
  }
  if (tests.size() > kMaxCharts) {
    html += note("The first " + std::to_string(kMaxCharts) + " of " + std::to_string(tests.size()) +
                 " tests are charted: narrow the filters to chart the others.");
  }
  return html;
}

std::string section(const char* id, const char* title, const std::string& body) {
  return std::string("<section id=\"") + id + "\">\n<h2>" + xml_escape(title) + "</h2>\n" + body + "</section>\n";
}

}  // namespace

const std::vector<PageFilter>& page_filters() {
  static const std::vector<PageFilter> filters = {
      {"model", "model"},
      {"device", "device"},
      {"amp", "precision (amp)"},
      {"image_size", "image size"},
      {"batch_size", "batch size"},
  };
  return filters;
}

std::vector<store::Filter> filters_from_query(const QueryParameters& query) {
  std::vector<store::Filter> filters;
  for (const PageFilter& filter : page_filters()) {
    const std::string value = query_value(query, filter.column).value_or("");
    if (!value.empty()) filters.push_back(store::Filter{filter.column, "=", value});
  }
  return filters;
}

std::string render_results_page(const ResultsPageInput& input) {
  const std::vector<MachineSummary> machines = machines_of(input);
  std::vector<Machine> machine_order;
  for (const MachineSummary& summary : machines) machine_order.push_back(summary.machine);
  const StoredBenchRows stored = bench_rows_of(input.bench);
  const std::vector<ComparedTest> compared = compare_across_machines(stored.rows, stored.ids, machine_order, 2);
  const std::vector<ComparedTest> charted = compare_across_machines(stored.rows, stored.ids, machine_order, 1);

  QueryParameters filters_asked;
  for (const PageFilter& filter : page_filters()) {
    if (const auto value = query_value(input.query, filter.column)) filters_asked.emplace_back(filter.column, *value);
  }
  const std::string query = format_query(filters_asked);
  const std::string json_link = "/rows.json" + (query.empty() ? "" : "?" + query);

  std::string bench_body = filter_form(input);
  if (!input.error.empty()) {
    bench_body += "<p class=\"error\">" + xml_escape(input.error) + "</p>\n";
  } else {
    bench_body += "<p class=\"links\">" + xml_escape(shown_count(input.bench.rows.size(), "bench row", "bench rows")) +
                  " · <a href=\"" + xml_escape(json_link) + "\">these rows as JSON</a></p>\n";
    if (!input.bench.rows.empty()) {
      bench_body += scrolling(report::render_html_block(shown_table(input.bench, shown_bench_columns())));
    }
  }
  std::string train_body;
  if (input.error.empty()) {
    train_body = "<p>" + xml_escape(shown_count(input.train.rows.size(), "training run", "training runs")) + "</p>\n";
    if (!input.train.rows.empty()) {
      train_body += scrolling(report::render_html_block(shown_table(input.train, shown_train_columns())));
    }
  }

  std::string html =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<title>trainbench results</title>\n<style>" + std::string(report::html_style()) + kResultsPageStyle +
      "</style>\n</head>\n<body>\n<main>\n<h1>trainbench results</h1>\n";
  html += "<p class=\"subtitle\">" +
          xml_escape(input.store_location + " · " + counted(input.all_bench.rows.size(), "bench row", "bench rows") +
                     ", " + counted(input.all_train.rows.size(), "training run", "training runs") + " · read-only") +
          "</p>\n";
  html += "<nav><a href=\"#machines\">Machines</a><a href=\"#bench\">Bench rows</a>"
          "<a href=\"#compare\">Across machines</a><a href=\"#charts\">Images/s per test</a>"
          "<a href=\"#train\">Training runs</a></nav>\n";
  html += section("machines", "Machines and devices", machines_section(machines));
  html += section("bench", "Bench rows", bench_body);
  html += section("compare", "The same test across machines", input.error.empty() ? comparison_section(compared) : "");
  html += section("charts", "Images/s per test", input.error.empty() ? charts_section(charted) : "");
  html += section("train", "Training runs", train_body);
  return html + "</main>\n</body>\n</html>\n";
}

}  // namespace trainbench::serve
