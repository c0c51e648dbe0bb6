// The printers of a Table, on bench rows: what markdown shows and leaves out,
// csv quoting read back by a small RFC 4180 reader, json/jsonl parsed back,
// and sql loaded into an in-memory SQLite.
#include "bench/printers.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <sstream>

#include "store/bench_row.h"
#include "core/error.h"

namespace trainbench::bench {
using store::BenchRow;
using store::bench_columns;
using store::bench_row_from_json;
using store::to_row;
using core::Column;
using core::ColumnType;
using core::Row;
using core::Table;

namespace {

core::Provenance test_provenance() {
  core::Provenance p;
  p.trainbench_version = "0.1.0";
  p.git_commit = "abc1234";
  p.libtorch_version = "1.13.1";
  p.device_name = "Intel(R) Xeon(R) Platinum 8370C CPU @ 2.80GHz";
  p.cpu_model = p.device_name;
  p.threads = 2;
  p.os = "Debian GNU/Linux 12 (bookworm)";
  p.kernel = "6.1.0-18-amd64";
  p.timestamp_utc = "2026-11-27T10:14:14Z";
  return p;
}

BenchRow test_row(int batch_size, double images_per_sec) {
  BenchRow row;
  row.model = "resnet18";
  row.device = "cpu";
  row.batch_size = batch_size;
  row.requested_batch_size = batch_size;
  row.image_size = 160;
  row.repetitions = 3;
  row.warmup_steps = 2;
  row.steps = 10;
  row.images_per_sec = images_per_sec;
  row.images_per_sec_std = 3.2109;
  row.images_per_sec_samples = {images_per_sec - 3, images_per_sec, images_per_sec + 3};
  row.cold_step_seconds = 1.23456;
  row.step_seconds = batch_size / images_per_sec;
  row.peak_memory_bytes = 268'435'456;  // 256 MiB
  row.memory_source = "process-rss";
  row.forward_flops_per_image = 1.19e9;
  row.step_flops_per_image = 3.57e9;
  row.achieved_tflops = 3.57e9 * images_per_sec / 1e12;
  row.provenance = test_provenance();
  return row;
}

Table bench_table(const std::vector<BenchRow>& rows) {
  Table table{"bench_results", bench_columns(), {}};
  for (const BenchRow& row : rows) table.rows.push_back(to_row(row));
  return table;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// The lines of the pipe table (those starting with '|').
std::vector<std::string> table_lines(const std::string& markdown) {
  std::vector<std::string> out;
  for (const std::string& line : lines_of(markdown)) {
    if (!line.empty() && line[0] == '|') out.push_back(line);
  }
  return out;
}

TEST(PrintersTest, ParsesTheFiveFormatNamesAndListsThemOtherwise) {
  EXPECT_EQ(parse_output_format("md"), OutputFormat::kMarkdown);
  EXPECT_EQ(parse_output_format("csv"), OutputFormat::kCsv);
  EXPECT_EQ(parse_output_format("json"), OutputFormat::kJson);
  EXPECT_EQ(parse_output_format("jsonl"), OutputFormat::kJsonl);
  EXPECT_EQ(parse_output_format("sql"), OutputFormat::kSql);
  try {
    parse_output_format("xml");
    ADD_FAILURE() << "xml accepted";
  } catch (const UsageError& error) {
    EXPECT_TRUE(contains(error.what(), "xml")) << error.what();
    EXPECT_TRUE(contains(error.what(), "md, csv, json, jsonl, sql")) << error.what();
  }
}

TEST(PrintersTest, MarkdownPutsSharedTestValuesAboveAndOnlyVaryingColumnsInTheTable) {
  const std::string md = format_markdown(bench_table({test_row(32, 512.0), test_row(64, 1234.5678)}));
  const std::vector<std::string> lines = lines_of(md);
  ASSERT_GE(lines.size(), 6u);
  // The identity every row shares, in one line above the table.
  EXPECT_TRUE(contains(lines[0], "model resnet18")) << md;
  EXPECT_TRUE(contains(lines[0], "device cpu")) << md;
  EXPECT_TRUE(contains(lines[0], "image_size 160")) << md;
  EXPECT_TRUE(contains(lines[0], "amp off")) << md;
  EXPECT_FALSE(contains(lines[0], "batch_size")) << md;  // it varies

  const std::vector<std::string> table = table_lines(md);
  ASSERT_EQ(table.size(), 4u) << md;  // labels, rule, two rows
  // requested_batch_size says nothing new while every batch ran as asked.
  EXPECT_EQ(table[0], "| batch_size | images/s | cold step s | peak MiB | TFLOP/s |");
  EXPECT_EQ(table[1], "| ---: | ---: | ---: | ---: | ---: |");
  EXPECT_EQ(table[2], "| 32 | 512 ± 3.21 | 1.23 | 256 | 1.83 |");
  EXPECT_EQ(table[3], "| 64 | 1235 ± 3.21 | 1.23 | 256 | 4.41 |");

  // The provenance, once, below.
  const std::string& below = lines.back();
  EXPECT_TRUE(contains(below, "Intel(R) Xeon(R) Platinum 8370C CPU @ 2.80GHz")) << md;
  EXPECT_TRUE(contains(below, "LibTorch 1.13.1")) << md;
  EXPECT_TRUE(contains(below, "trainbench 0.1.0 (abc1234)")) << md;
  EXPECT_TRUE(contains(below, "Debian GNU/Linux 12 (bookworm)")) << md;
  EXPECT_TRUE(contains(below, "kernel 6.1.0-18-amd64")) << md;
  EXPECT_TRUE(contains(below, "2 threads")) << md;
  EXPECT_TRUE(contains(below, "2026-11-27T10:14:14Z")) << md;
  EXPECT_FALSE(contains(below, "CPU Intel")) << md;  // the CPU model is the device name here
  EXPECT_FALSE(contains(md, "| model |")) << md;
}

TEST(PrintersTest, MarkdownOfOneRowIsStillATable) {
  const std::string md = format_markdown(bench_table({test_row(32, 98.765)}));
  const std::vector<std::string> table = table_lines(md);
  ASSERT_EQ(table.size(), 3u) << md;
  EXPECT_EQ(table[0], "| images/s | cold step s | peak MiB | TFLOP/s |");
  EXPECT_EQ(table[2], "| 98.8 ± 3.21 | 1.23 | 256 | 0.353 |");
  EXPECT_TRUE(contains(md, "batch_size 32")) << md;
}

TEST(PrintersTest, MarkdownShowsPhasesPeakFractionAndFailures) {
  BenchRow detailed = test_row(32, 512.0);
  detailed.amp = "bf16";
  detailed.data_wait_seconds = 0.0004;
  detailed.forward_seconds = 0.0201;
  detailed.backward_seconds = 0.04;
  detailed.optimizer_seconds = 0.0123;
  detailed.peak_tflops = 2.0;
  detailed.peak_fraction = 0.9156;
  BenchRow failed = test_row(32, 0.0);
  failed.status = "failed";
  failed.error = "out of memory | even at batch 1";
  failed.provenance.timestamp_utc = "2026-11-27T10:15:00Z";
  const std::string md = format_markdown(bench_table({detailed, failed}));
  const std::vector<std::string> table = table_lines(md);
  ASSERT_EQ(table.size(), 4u) << md;
  EXPECT_EQ(table[0],
            "| amp | images/s | cold step s | peak MiB | TFLOP/s | % of peak | data wait ms | forward ms | backward ms | "
            "optimizer ms | status | error |");
  EXPECT_EQ(table[1], "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |");
  EXPECT_EQ(table[2], "| bf16 | 512 ± 3.21 | 1.23 | 256 | 1.83 | 91.6 | 0.4 | 20.1 | 40 | 12.3 | ok |  |");
  // A failed row's figures are blank, and a pipe in its error is escaped.
  EXPECT_EQ(table[3], "| off |  |  |  |  |  |  |  |  |  | failed | out of memory \\| even at batch 1 |");
  EXPECT_TRUE(contains(lines_of(md).back(), "2026-11-27T10:14:14Z (first row)")) << md;
}

TEST(PrintersTest, MarkdownShowsTheRequestedBatchAndNoteAfterAnOutOfMemoryRetry) {
  BenchRow retried = test_row(128, 700.0);
  retried.requested_batch_size = 256;
  retried.note = "out of memory at batch 256: ran at 128";
  const std::string md = format_markdown(bench_table({test_row(128, 650.0), retried}));
  const std::vector<std::string> table = table_lines(md);
  ASSERT_EQ(table.size(), 4u) << md;
  EXPECT_EQ(table[0], "| requested_batch_size | images/s | cold step s | peak MiB | TFLOP/s | note |");
  EXPECT_EQ(table[3], "| 256 | 700 ± 3.21 | 1.23 | 256 | 2.5 | out of memory at batch 256: ran at 128 |");
  EXPECT_TRUE(contains(lines_of(md)[0], "batch_size 128")) << md;
}

TEST(PrintersTest, MarkdownMakesVaryingProvenanceAColumn) {
  BenchRow a = test_row(32, 512.0), b = test_row(32, 600.0);
  b.provenance.threads = 1;
  b.provenance.wsl = true;  // varies too: a column
  const std::string md = format_markdown(bench_table({a, b}));
  const std::vector<std::string> table = table_lines(md);
  ASSERT_EQ(table.size(), 4u) << md;
  EXPECT_EQ(table[0], "| threads | wsl | images/s | cold step s | peak MiB | TFLOP/s |");
  EXPECT_EQ(table[1], "| ---: | --- | ---: | ---: | ---: | ---: |");
  EXPECT_EQ(table[3], "| 1 | true | 600 ± 3.21 | 1.23 | 256 | 2.14 |");
  EXPECT_FALSE(contains(lines_of(md).back(), "threads")) << md;
}

TEST(PrintersTest, MarkdownOfNoRowsSaysSo) {
  EXPECT_EQ(format_markdown(bench_table({})), "No rows in bench_results.\n");
}

// A small RFC 4180 reader: fields, with quoted fields that may hold commas,
// doubled quotes and line breaks.
std::vector<std::vector<std::string>> read_csv(const std::string& text) {
  std::vector<std::vector<std::string>> records(1, std::vector<std::string>(1));
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        records.back().back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        records.back().back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      records.back().emplace_back();
    } else if (c == '\n') {
      records.emplace_back(1);
    } else {
      records.back().back() += c;
    }
  }
  if (records.back().size() == 1 && records.back()[0].empty()) records.pop_back();  // after the last newline
  return records;
}

TEST(PrintersTest, CsvHasEveryColumnAndQuotesWhatNeedsIt) {
  BenchRow tricky = test_row(32, 0.1 + 0.2);
  tricky.note = "ran at 16, not 32: \"out of memory\"\nsecond line";
  tricky.channels_last = true;
  const Table table = bench_table({test_row(64, 512.0), tricky});
  const std::string csv = format_csv(table);
  const auto records = read_csv(csv);
  ASSERT_EQ(records.size(), 3u) << csv;
  const std::vector<Column>& columns = bench_columns();
  ASSERT_EQ(records[0].size(), columns.size());
  std::map<std::string, std::string> row;
  for (std::size_t i = 0; i < columns.size(); ++i) {
    EXPECT_EQ(records[0][i], columns[i].name);
    ASSERT_EQ(records[1].size(), columns.size());
    ASSERT_EQ(records[2].size(), columns.size());
    row[columns[i].name] = records[2][i];
  }
  EXPECT_EQ(row["note"], "ran at 16, not 32: \"out of memory\"\nsecond line");
  EXPECT_EQ(row["images_per_sec"], "0.30000000000000004");  // every digit
  EXPECT_EQ(row["channels_last"], "true");
  EXPECT_EQ(row["forward_seconds"], "");  // null
  EXPECT_EQ(row["peak_memory_bytes"], "268435456");
  EXPECT_EQ(row["images_per_sec_samples"], "-2.7;0.30000000000000004;3.3");
  EXPECT_EQ(row["device_name"], "Intel(R) Xeon(R) Platinum 8370C CPU @ 2.80GHz");
  EXPECT_TRUE(contains(csv, "\"ran at 16, not 32: \"\"out of memory\"\"\nsecond line\""));
  EXPECT_EQ(lines_of(format_csv(bench_table({}))).size(), 1u);  // the header alone
}

TEST(PrintersTest, JsonIsAnArrayOfTheRowsAndJsonlOneRowPerLine) {
  const Table table = bench_table({test_row(32, 512.0), test_row(64, 1000.0 / 3.0)});
  const std::string json = format_json(table);
  EXPECT_TRUE(contains(json, "\n  {\n    \"mode\": \"train\",")) << json.substr(0, 200);  // 2-space indent
  const Row parsed = Row::parse(json);  // keeps the key order: columns in print order
  ASSERT_TRUE(parsed.is_array());
  ASSERT_EQ(parsed.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) EXPECT_EQ(parsed[i], table.rows[i]);
  EXPECT_EQ(bench_row_from_json(parsed[1]).images_per_sec, 1000.0 / 3.0);

  const std::string jsonl = format_jsonl(table);
  const std::vector<std::string> lines = lines_of(jsonl);
  ASSERT_EQ(lines.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) EXPECT_EQ(Row::parse(lines[i]), table.rows[i]);
  EXPECT_EQ(format_json(bench_table({})), "[]\n");
  EXPECT_EQ(format_jsonl(bench_table({})), "");
}

TEST(PrintersTest, JsonWritesExactlyTheTableColumns) {
  Table table{"t", {{"a", ColumnType::kInteger, "a"}, {"b", ColumnType::kText, "b"}}, {}};
  table.rows.push_back(Row{{"b", "x"}, {"extra", 1}});
  EXPECT_EQ(format_jsonl(table), "{\"a\":null,\"b\":\"x\"}\n");
}

// Runs SQL text on a database; fails the test with SQLite's message.
void execute(sqlite3* db, const std::string& sql) {
  char* message = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message);
  EXPECT_EQ(rc, SQLITE_OK) << (message ? message : "") << "\n" << sql.substr(0, 500);
  sqlite3_free(message);
}

struct Database {
  Database() { EXPECT_EQ(sqlite3_open(":memory:", &db), SQLITE_OK); }
  ~Database() { sqlite3_close(db); }
  sqlite3* db = nullptr;
};

struct Statement {
  Statement(sqlite3* db, const std::string& sql) {
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    EXPECT_EQ(sqlite3_step(stmt), SQLITE_ROW) << sql;
  }
  ~Statement() { sqlite3_finalize(stmt); }
  std::string text(int column) const { return reinterpret_cast<const char*>(sqlite3_column_text(stmt, column)); }
  sqlite3_stmt* stmt = nullptr;
};

TEST(PrintersTest, SqlLoadsIntoSqliteWithEveryRowAndValue) {
  BenchRow special = test_row(16, 1.0 / 3.0);
  special.note = "it's 5 °C in the server room; \"cool\"";
  special.channels_last = true;
  special.images_per_sec_samples = {0.25, 0.5};
  const Table table = bench_table({test_row(32, 512.0), test_row(64, 1234.5678901234567), special});
  const std::string sql = format_sql(table);
  EXPECT_EQ(sql.rfind("CREATE TABLE IF NOT EXISTS \"bench_results\" (\"mode\" TEXT, ", 0), 0u) << sql.substr(0, 200);

  Database database;
  execute(database.db, sql);
  execute(database.db, sql);  // IF NOT EXISTS: a second load appends
  {
    Statement count(database.db, "SELECT COUNT(*) FROM bench_results");
    EXPECT_EQ(sqlite3_column_int(count.stmt, 0), 6);
  }
  Statement row(database.db,
                "SELECT note, images_per_sec, channels_last, forward_seconds, images_per_sec_samples, "
                "peak_memory_bytes, typeof(images_per_sec), typeof(batch_size) FROM bench_results WHERE batch_size = 16");
  EXPECT_EQ(row.text(0), "it's 5 °C in the server room; \"cool\"");
  EXPECT_EQ(sqlite3_column_double(row.stmt, 1), 1.0 / 3.0);  // exactly
  EXPECT_EQ(sqlite3_column_int(row.stmt, 2), 1);
  EXPECT_EQ(sqlite3_column_type(row.stmt, 3), SQLITE_NULL);
  EXPECT_EQ(row.text(4), "0.25;0.5");
  EXPECT_EQ(sqlite3_column_int64(row.stmt, 5), 268'435'456);
  EXPECT_EQ(row.text(6), "real");
  EXPECT_EQ(row.text(7), "integer");
  Statement big(database.db, "SELECT images_per_sec FROM bench_results WHERE batch_size = 64");
  EXPECT_EQ(sqlite3_column_double(big.stmt, 0), 1234.5678901234567);
}

TEST(PrintersTest, SqlQuotesNamesThatAreKeywordsAndReadsBackLists) {
  Table table{"train_runs",
              {{"when", ColumnType::kText, "when"},
               {"samples", ColumnType::kRealList, "samples"},
               {"ok", ColumnType::kBool, "ok"}},
              {}};
  table.rows.push_back(Row{{"when", "2026-11-27T10:14:14Z"}, {"samples", {1.5, 2.25}}, {"ok", false}});
  Database database;
  execute(database.db, format_sql(table));
  Statement row(database.db, "SELECT \"when\", samples, ok FROM train_runs");
  EXPECT_EQ(row.text(0), "2026-11-27T10:14:14Z");
  EXPECT_EQ(row.text(1), "1.5;2.25");
  EXPECT_EQ(sqlite3_column_int(row.stmt, 2), 0);
}

TEST(PrintersTest, FormatTableDispatchesOnTheFormat) {
  const Table table = bench_table({test_row(32, 512.0)});
  EXPECT_EQ(format_table(table, OutputFormat::kMarkdown), format_markdown(table));
  EXPECT_EQ(format_table(table, OutputFormat::kCsv), format_csv(table));
  EXPECT_EQ(format_table(table, OutputFormat::kJson), format_json(table));
  EXPECT_EQ(format_table(table, OutputFormat::kJsonl), format_jsonl(table));
  EXPECT_EQ(format_table(table, OutputFormat::kSql), format_sql(table));
}

}  // namespace
}  // namespace trainbench::bench
