#pragma once
// The page `trainbench serve` shows: the results store as one HTML page, in
// the report's style (report/html_report.h), with no script at all. Sections:
// the machines and devices in the store, the bench rows with a filter form (a
// GET form: model, device, precision, image size, batch size, each applied by
// the store in SQL), the same test compared across machines, a bar chart of
// images/s per test, and the training runs. Every value shown is escaped.
// Rendering only: the tables come from ResultsStore::query (results_site.h).
#include <string>
#include <vector>

#include "core/table.h"
#include "serve/http_request.h"
#include "store/results_store.h"

namespace trainbench::serve {

// One filter of the form: its query parameter is the column it filters.
struct PageFilter {
  std::string column;  // "amp"
  std::string label;   // "precision (amp)"
};
const std::vector<PageFilter>& page_filters();

// An "=" filter for every page filter the query gives a non-empty value
// (other parameters are ignored), in page_filters() order.
std::vector<store::Filter> filters_from_query(const QueryParameters& query);

struct ResultsPageInput {
  std::string store_location;  // shown under the title
  core::Table all_bench;       // every bench row (the machines, the form's choices)
  core::Table all_train;       // every training run (the machines)
  core::Table bench;           // the bench rows the filters select
  core::Table train;           // the training runs the filters select
  QueryParameters query;       // as asked: keeps the form's state and the JSON link's
  std::string error;           // why the store refused the filters; "" when it took them
};

// At most this many rows of each table are shown, the newest.
constexpr std::size_t kMaxRowsShown = 500;
// At most this many charts (one per test).
constexpr std::size_t kMaxCharts = 12;

std::string render_results_page(const ResultsPageInput& input);

}  // namespace trainbench::serve
