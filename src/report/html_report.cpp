#include "report/html_report.h"

#include "report/svg_chart.h"

namespace trainbench::report {
namespace {

// Print-friendly and readable on a laptop screen or a projector; the charts
// scale to the column width through their viewBox.
constexpr const char* kStyle = R"(
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; background: #f6f7f9;
       color: #1d2330; line-height: 1.45; }
main { max-width: 980px; margin: 0 auto; padding: 24px 28px 48px; background: #fff; min-height: 100vh;
       box-shadow: 0 0 12px rgba(0,0,0,.06); }
h1 { font-size: 1.7rem; margin: .2rem 0 .1rem; }
.subtitle { color: #5b6474; margin: 0 0 1.2rem; font-size: .92rem; }
h2 { font-size: 1.25rem; margin: 2rem 0 .6rem; padding-bottom: .25rem; border-bottom: 2px solid #e3e6eb; }
p { margin: .5rem 0; }
p.note { color: #5b6474; font-size: .88rem; }
table { border-collapse: collapse; margin: .6rem 0 1rem; font-size: .88rem; width: auto; max-width: 100%; }
th, td { padding: .28rem .7rem; border-bottom: 1px solid #e3e6eb; text-align: left; vertical-align: top; }
th { background: #f0f2f5; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: .8rem 0 1.4rem; }
figure svg { width: 100%; height: auto; display: block; }
figcaption { color: #5b6474; font-size: .85rem; margin-top: .2rem; }
nav { font-size: .9rem; margin-bottom: 1rem; }
nav a { margin-right: .9rem; color: #0b5cad; text-decoration: none; }
@media print { body { background: #fff; } main { box-shadow: none; } figure, table { break-inside: avoid; } }
)";

std::string anchor(std::size_t index) { return "section-" + std::to_string(index + 1); }

void write_block(const Block& block, std::string* html) {
  if (const auto* paragraph = std::get_if<Paragraph>(&block)) {
    *html += std::string(paragraph->note ? "<p class=\"note\">" : "<p>") + xml_escape(paragraph->text) + "</p>\n";
  } else if (const auto* table = std::get_if<Table>(&block)) {
    const auto numeric = [&](std::size_t column) { return column < table->numeric.size() && table->numeric[column]; };
    *html += "<table>\n<thead><tr>";
    for (std::size_t c = 0; c < table->header.size(); ++c) {
      *html += std::string(numeric(c) ? "<th class=\"num\">" : "<th>") + xml_escape(table->header[c]) + "</th>";
    }
    *html += "</tr></thead>\n<tbody>\n";
    for (const std::vector<std::string>& row : table->rows) {
      *html += "<tr>";
      for (std::size_t c = 0; c < row.size(); ++c) {
        *html += std::string(numeric(c) ? "<td class=\"num\">" : "<td>") + xml_escape(row[c]) + "</td>";
      }
      *html += "</tr>\n";
    }
    *html += "</tbody>\n</table>\n";
  } else if (const auto* chart = std::get_if<Chart>(&block)) {
    *html += "<figure id=\"chart-" + xml_escape(chart->name) + "\">\n" + chart->svg + "\n";
    if (!chart->caption.empty()) *html += "<figcaption>" + xml_escape(chart->caption) + "</figcaption>\n";
    *html += "</figure>\n";
  }
}

}  // namespace

const char* html_style() { return kStyle; }

std::string render_html_block(const Block& block) {
  std::string html;
  write_block(block, &html);
  return html;
}

std::string render_html(const Document& document) {
  std::string html =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<title>" + xml_escape(document.title) + "</title>\n<style>" + kStyle + "</style>\n</head>\n<body>\n<main>\n";
  html += "<h1>" + xml_escape(document.title) + "</h1>\n";
  if (!document.subtitle.empty()) html += "<p class=\"subtitle\">" + xml_escape(document.subtitle) + "</p>\n";
  if (document.sections.size() > 2) {
    html += "<nav>";
    for (std::size_t i = 0; i < document.sections.size(); ++i) {
      html += "<a href=\"#" + anchor(i) + "\">" + xml_escape(document.sections[i].title) + "</a>";
    }
    html += "</nav>\n";
  }
  for (std::size_t i = 0; i < document.sections.size(); ++i) {
    const Section& section = document.sections[i];
    html += "<section id=\"" + anchor(i) + "\">\n<h2>" + xml_escape(section.title) + "</h2>\n";
    for (const Block& block : section.blocks) write_block(block, &html);
    html += "</section>\n";
  }
  html += "</main>\n</body>\n</html>\n";
  return html;
}

}  // namespace trainbench::report
