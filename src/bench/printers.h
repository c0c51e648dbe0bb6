#pragma once
// The printers of a Table: small functions over one schema. markdown shows
// only the columns whose values differ between rows (plus the test's figures),
// with the values every row shares in a line above and the shared provenance
// in a line below; csv/json/jsonl/sql show every column, reals to every digit.
#include <string>

#include "core/table.h"

namespace trainbench::bench {

enum class OutputFormat { kMarkdown, kCsv, kJson, kJsonl, kSql };

// "md", "csv", "json", "jsonl", "sql"; throws UsageError listing them otherwise.
OutputFormat parse_output_format(const std::string& text);

std::string format_markdown(const core::Table& table);
std::string format_csv(const core::Table& table);    // RFC 4180 quoting, header line first
std::string format_json(const core::Table& table);   // one JSON array of row objects
std::string format_jsonl(const core::Table& table);  // one row object per line
std::string format_sql(const core::Table& table);    // CREATE TABLE IF NOT EXISTS + one INSERT per row; sqlite3 accepts it

std::string format_table(const core::Table& table, OutputFormat format);

// One value as markdown shows it to people: about three significant digits
// ("512", "3.14", "12345"), lists as "a;b;c", "" for null.
std::string human_value_text(const core::Row& value);

}  // namespace trainbench::bench
