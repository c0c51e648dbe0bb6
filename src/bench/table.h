#pragma once
// One field schema, many printers: a table is an ordered list of columns and
// rows that are JSON objects keyed by the column names (null where a value is
// unknown). `bench` rows, stored training runs and `results` all go through it,
// so markdown, csv, json, jsonl and sql never disagree about a field.
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace trainbench::bench {

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

}  // namespace trainbench::bench
