#pragma once
// A report as one self-contained HTML page: inline CSS, inline SVG charts, no
// script, nothing fetched when it is opened (it works offline, from a mail
// attachment or a CI artefact), and it prints cleanly.
#include <string>

#include "report/report_document.h"

namespace trainbench::report {

std::string render_html(const Document& document);

// The pieces render_html is made of, for other pages in the same style
// (`trainbench serve`): the page's CSS, and one block as HTML (its text
// escaped, a chart's SVG as it is).
const char* html_style();
std::string render_html_block(const Block& block);

}  // namespace trainbench::report
