// The results page as HTML, from tables shaped like ResultsStore::query's:
// its sections, the form's state, escaping, and the filters it asks for.
#include "serve/results_page.h"

#include <gtest/gtest.h>

#include "serve/measured_row.h"
#include "store/bench_row.h"

namespace trainbench::serve {
namespace {

std::size_t occurrences(const std::string& text, const std::string& part) {
  std::size_t n = 0;
  for (std::size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + part.size())) ++n;
  return n;
}

using testing::measured_row;

// As ResultsStore::query gives them: an id column, then the bench columns.
core::Table page_bench_table(const std::vector<store::BenchRow>& rows) {
  core::Table table{"bench_results", {{"id", core::ColumnType::kInteger, ""}}, {}};
  for (const core::Column& column : store::bench_columns()) table.columns.push_back(column);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    core::Row row{{"id", static_cast<std::int64_t>(i + 1)}};
    row.update(store::to_row(rows[i]));
    table.rows.push_back(row);
  }
  return table;
}

ResultsPageInput page_input() {
  ResultsPageInput input;
  input.store_location = "/data/results.db";
  input.all_bench = page_bench_table({
      measured_row("resnet18", "cpu", "AMD EPYC 9654", 120.0),
      measured_row("resnet18", "cuda:0", "NVIDIA H100 80GB HBM3", 2400.0),
      measured_row("<script>alert(1)</script>", "cpu", "AMD EPYC 9654", 7.5),
  });
  input.bench = input.all_bench;
  input.all_train = core::Table{"train_runs", {}, {core::Row{{"id", 1}, {"model", "resnet18d"}, {"device", "cpu"},
                                                             {"device_name", "AMD EPYC 9654"},
                                                             {"train_images_per_sec", 950.25}}}};
  input.train = input.all_train;
  return input;
}

TEST(ResultsPage, ShowsEverySectionWithMachinesComparisonChartAndRuns) {
  const std::string page = render_results_page(page_input());
  EXPECT_EQ(page.rfind("<!DOCTYPE html>", 0), 0u);
  for (const char* part : {"Machines and devices", "Bench rows", "The same test across machines", "Images/s per test",
                           "Training runs", "/data/results.db", "NVIDIA H100 80GB HBM3", "resnet18d", "950"}) {
    EXPECT_NE(page.find(part), std::string::npos) << part;
  }
  // Machines: the CPU with two bench rows and one run, the GPU with one row.
  EXPECT_NE(page.find("<td>AMD EPYC 9654</td><td>cpu</td><td>AMD EPYC 9654 96-Core Processor</td>"
                      "<td>Debian GNU/Linux 12 (bookworm)</td><td class=\"num\">2</td>"
                      "<td class=\"num\">1</td>"),
            std::string::npos)
      << page;
  // The like-for-like line: 2400 / 120 = 20x, compare's verdict.
  EXPECT_NE(page.find("20.00x"), std::string::npos);
  EXPECT_NE(page.find("20x faster than AMD EPYC 9654 (cpu)"), std::string::npos);
  // One chart per test (resnet18 on two machines, the odd model on one).
  EXPECT_EQ(occurrences(page, "<svg"), 2u);
  EXPECT_EQ(occurrences(page, "<form"), 1u);
  EXPECT_NE(page.find("href=\"/rows.json\""), std::string::npos);
  EXPECT_NE(page.find("3 bench rows, 1 training run · read-only"), std::string::npos);
}

TEST(ResultsPage, EscapesEveryStoredValueAndHasNoScript) {
  const std::string page = render_results_page(page_input());
  EXPECT_EQ(page.find("<script"), std::string::npos);
  EXPECT_EQ(page.find("alert(1)</"), std::string::npos);
  // In the form's choices, the rows table and the chart's title.
  EXPECT_GE(occurrences(page, "&lt;script&gt;alert(1)&lt;/script&gt;"), 3u);
}

TEST(ResultsPage, TheFormKeepsTheChosenFiltersAndTheJsonLinkCarriesThem) {
  ResultsPageInput input = page_input();
  input.query = {{"model", "resnet18"}, {"amp", "bf16"}, {"unrelated", "x"}, {"image_size", "224"}};
  const std::string page = render_results_page(input);
  EXPECT_NE(page.find("<option value=\"resnet18\" selected>resnet18</option>"), std::string::npos);
  EXPECT_NE(page.find("<option value=\"224\" selected>224</option>"), std::string::npos);
  // No row has bf16: the asked value is still offered, as chosen.
  EXPECT_NE(page.find("<option value=\"bf16\" selected>bf16</option>"), std::string::npos);
  EXPECT_EQ(occurrences(page, " selected>"), 3u);
  EXPECT_NE(page.find("href=\"/rows.json?model=resnet18&amp;amp=bf16&amp;image_size=224\""), std::string::npos);
}

TEST(ResultsPage, FiltersFromTheQueryAreEqualityFiltersOnTheirColumns) {
  const std::vector<store::Filter> filters =
      filters_from_query({{"batch_size", "64"}, {"model", "resnet18"}, {"device", ""}, {"id", "3"}});
  ASSERT_EQ(filters.size(), 2u);
  EXPECT_EQ(filters[0].column, "model");  // page_filters() order
  EXPECT_EQ(filters[0].op, "=");
  EXPECT_EQ(filters[0].value, "resnet18");
  EXPECT_EQ(filters[1].column, "batch_size");
  EXPECT_EQ(filters[1].value, "64");
}

TEST(ResultsPage, AnErrorReplacesTheResultsAndAnEmptyStoreSaysSo) {
  ResultsPageInput input = page_input();
  input.error = "filter 'image_size=<big>': image_size is a number";
  std::string page = render_results_page(input);
  EXPECT_NE(page.find("<p class=\"error\">filter &#39;image_size=&lt;big&gt;&#39;: image_size is a number</p>"),
            std::string::npos);
  EXPECT_EQ(occurrences(page, "<svg"), 0u);

  page = render_results_page(ResultsPageInput{});
  EXPECT_NE(page.find("Nothing is stored yet"), std::string::npos);
  EXPECT_NE(page.find("0 bench rows"), std::string::npos);
}

}  // namespace
}  // namespace trainbench::serve
