#include "report/markdown_report.h"

#include "core/atomic_file.h"

namespace trainbench::report {
namespace {

// A table cell: pipes escaped and line breaks flattened, so the row stays one row.
std::string cell(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '|') {
      out += "\\|";
    } else if (c == '\n' || c == '\r') {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

void write_table(const Table& table, std::string* md) {
  const auto numeric = [&](std::size_t column) { return column < table.numeric.size() && table.numeric[column]; };
  *md += "|";
  for (const std::string& name : table.header) *md += " " + cell(name) + " |";
  *md += "\n|";
  for (std::size_t c = 0; c < table.header.size(); ++c) *md += numeric(c) ? " ---: |" : " --- |";
  *md += "\n";
  for (const std::vector<std::string>& row : table.rows) {
    *md += "|";
    for (const std::string& value : row) *md += " " + cell(value) + " |";
    *md += "\n";
  }
  *md += "\n";
}

}  // namespace

std::string render_markdown(const Document& document, const std::string& chart_folder_name) {
  std::string md = "# " + document.title + "\n\n";
  if (!document.subtitle.empty()) md += "_" + document.subtitle + "_\n\n";
  for (const Section& section : document.sections) {
    md += "## " + section.title + "\n\n";
    for (const Block& block : section.blocks) {
      if (const auto* paragraph = std::get_if<Paragraph>(&block)) {
        md += (paragraph->note ? "> " : "") + paragraph->text + "\n\n";
      } else if (const auto* table = std::get_if<Table>(&block)) {
        write_table(*table, &md);
      } else if (const auto* chart = std::get_if<Chart>(&block)) {
        md += "![" + chart->caption + "](" + chart_folder_name + "/" + chart->name + ".svg)\n\n";
        if (!chart->caption.empty()) md += "_" + chart->caption + "_\n\n";
      }
    }
  }
  return md;
}

std::filesystem::path write_markdown_report(const Document& document, const std::filesystem::path& markdown_file) {
  const std::string folder_name = markdown_file.stem().string() + "_files";
  const std::filesystem::path folder = markdown_file.parent_path() / folder_name;
  std::filesystem::create_directories(folder);
  for (const Section& section : document.sections) {
    for (const Block& block : section.blocks) {
      if (const auto* chart = std::get_if<Chart>(&block)) {
        core::write_file_atomically(folder / (chart->name + ".svg"), chart->svg);
      }
    }
  }
  core::write_file_atomically(markdown_file, render_markdown(document, folder_name));
  return folder;
}

}  // namespace trainbench::report
