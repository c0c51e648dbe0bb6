#pragma once
// A report as Markdown: the same sections and tables, each chart written as
// an SVG file into a folder beside the report and linked from it.
#include <filesystem>
#include <string>

#include "report/report_document.h"

namespace trainbench::report {

// The Markdown text; charts are linked as `<chart_folder_name>/<chart.name>.svg`.
std::string render_markdown(const Document& document, const std::string& chart_folder_name);

// Writes report.md and its charts (report_files/<name>.svg beside it, for
// report.md), each file atomically. Returns the chart folder.
std::filesystem::path write_markdown_report(const Document& document, const std::filesystem::path& markdown_file);

}  // namespace trainbench::report
