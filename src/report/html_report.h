#pragma once
// A report as one self-contained HTML page: inline CSS, inline SVG charts, no
// script, nothing fetched when it is opened (it works offline, from a mail
// attachment or a CI artefact), and it prints cleanly.
#include <string>

#include "report/report_document.h"

namespace trainbench::report {

std::string render_html(const Document& document);

}  // namespace trainbench::report
