#pragma once
// One field schema, many printers: a table is an ordered list of columns and
// rows that are JSON objects keyed by the column names (null where a value is
// unknown). `bench` rows, stored training runs and `results` all go through it,
// so markdown, csv, json, jsonl and sql never disagree about a field. It sits
// in core because the bench, the results store and training runs all share it.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace trainbench::core {

enum class ColumnType {
  kInteger,   // json integer
  kReal,      // json number
  kText,      // json string
  kBool,      // json boolean
  kRealList,  // json array of numbers (per-repetition samples); "a;b;c" in csv, md and sql
};

struct Column {
  std::string name;         // snake_case, also the SQL column name
  ColumnType type = ColumnType::kText;
  std::string description;  // one line, shown by `bench --help-fields`
};

using Row = nlohmann::ordered_json;  // one object: column name -> value or null

struct Table {
  std::string name;             // SQL table name ("bench_results", "train_runs")
  std::vector<Column> columns;  // in print order
  std::vector<Row> rows;
};

// Reading one field of a row back (a file written by `-o json|jsonl`, a row
// the store read): each returns false when the key is absent or null, so the
// caller keeps its default, and throws UsageError naming the field when the
// value has the wrong type. Integers accept whole-valued reals, booleans
// accept 0 and 1 (SQLite stores them so), lists accept "a;b;c" text (as csv
// and sql write them).
bool read_field(const nlohmann::json& row, const std::string& name, std::string* out);
bool read_field(const nlohmann::json& row, const std::string& name, std::int64_t* out);
bool read_field(const nlohmann::json& row, const std::string& name, int* out);
bool read_field(const nlohmann::json& row, const std::string& name, double* out);
bool read_field(const nlohmann::json& row, const std::string& name, bool* out);
bool read_field(const nlohmann::json& row, const std::string& name, std::vector<double>* out);

}  // namespace trainbench::core
