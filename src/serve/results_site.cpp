#include "serve/results_site.h"

#include "bench/printers.h"
#include "core/error.h"
#include "serve/results_page.h"

namespace trainbench::serve {
namespace {

// No script, nothing fetched: the browser is told so too, so that a value
// that slipped past the escaping still could not run.
constexpr const char* kContentSecurityPolicy =
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'";

HttpResponse page_response(int status, std::string html) {
  HttpResponse response{status, "text/html; charset=utf-8", std::move(html), {}};
  response.headers.emplace_back("Content-Security-Policy", kContentSecurityPolicy);
  response.headers.emplace_back("Cache-Control", "no-store");
  return response;
}

}  // namespace

HttpResponse answer_results_request(const store::ResultsStore& store, const std::string& store_location,
                                    const HttpRequest& request) {
  const std::vector<store::Filter> filters = filters_from_query(request.query);
  if (request.path == "/rows.json") {
    try {
      const core::Table rows = store.query(store::ResultKind::kBench, filters);
      return HttpResponse{200, "application/json", bench::format_json(rows), {}};
    } catch (const UsageError& e) {
      return text_response(400, e.what());
    }
  }
  if (request.path != "/") return text_response(404, "no page at " + request.path + " (the results are at /)");

  ResultsPageInput input;
  input.store_location = store_location;
  input.query = request.query;
  input.all_bench = store.query(store::ResultKind::kBench, {});
  input.all_train = store.query(store::ResultKind::kTrain, {});
  try {
    input.bench = store.query(store::ResultKind::kBench, filters);
    input.train = store.query(store::ResultKind::kTrain, filters);
  } catch (const UsageError& e) {
    input.error = e.what();
    return page_response(400, render_results_page(input));
  }
  return page_response(200, render_results_page(input));
}

}  // namespace trainbench::serve
