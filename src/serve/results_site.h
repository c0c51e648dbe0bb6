#pragma once
// What `trainbench serve` answers, over one open results store:
//   /            the results page (results_page.h), filtered by its query;
//   /rows.json   the bench rows the same filters select, as `results -o json`
//                prints them (one JSON array of row objects), for scripts;
// any other path 404. A filter value the store cannot take (a word where
// image_size wants a number) is a 400 that says why. The methods are the
// server's business (http_server.h: GET and HEAD only).
#include <string>

#include "serve/http_request.h"
#include "serve/http_server.h"
#include "store/results_store.h"

namespace trainbench::serve {

HttpResponse answer_results_request(const store::ResultsStore& store, const std::string& store_location,
                                    const HttpRequest& request);

}  // namespace trainbench::serve
