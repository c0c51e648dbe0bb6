// `trainbench results` on a store the test fills through the store's API.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sstream>

#include "store/results_store.h"
#include "test_support.h"

namespace trainbench {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

struct Output {
  std::string text;
  int exit_code = 0;
};

// Runs the binary with `args`; stderr joins stdout when `with_stderr`.
Output results(const std::string& args, bool with_stderr = false, const std::string& environment = "") {
  Output out;
  out.text = testing::run_command(
      environment + " " + testing::trainbench_command("results " + args + (with_stderr ? " 2>&1" : "")), &out.exit_code);
  return out;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

int table_lines(const std::string& markdown) {
  int count = 0;
  for (const std::string& line : lines_of(markdown)) count += !line.empty() && line[0] == '|';
  return count;
}

store::BenchRow bench_row(const std::string& model, const std::string& amp, double images_per_sec) {
  store::BenchRow row;
  row.model = model;
  row.device = "cpu";
  row.amp = amp;
  row.batch_size = row.requested_batch_size = 32;
  row.image_size = 64;
  row.repetitions = 2;
  row.steps = 4;
  row.images_per_sec = images_per_sec;
  row.images_per_sec_samples = {images_per_sec - 1, images_per_sec + 1};
  row.provenance.device_name = "Test CPU";
  row.provenance.timestamp_utc = "2026-11-27T10:14:14Z";
  return row;
}

// Three bench rows and two training runs.
fs::path filled_store(const TempDir& dir) {
  const fs::path path = dir / "results.db";
  store::ResultsStore store = store::ResultsStore::open(path);
  store.insert_bench(bench_row("resnet18d", "off", 120.5));
  store.insert_bench(bench_row("resnet18d", "bf16", 210.25));
  store.insert_bench(bench_row("resnet50d", "off", 40.0));
  for (int i = 0; i < 2; ++i) {
    store::TrainRecord record;
    record.run_dir = "/runs/run" + std::to_string(i);
    record.summary = {{"model", "resnet18d"}, {"image_size", 64}, {"val_accuracy", 0.5 + 0.25 * i}, {"interrupted", false}};
    record.config = {{"epochs", 1}};
    record.provenance.device_name = "Test CPU";
    store.insert_train(record);
  }
  return path;
}

TEST(ResultsCommand, ListsStoredRowsInEveryFormat) {
  TempDir dir;
  const fs::path db = filled_store(dir);
  const std::string flag = "--db '" + db.string() + "'";

  const Output csv = results(flag + " -o csv");
  ASSERT_EQ(csv.exit_code, 0) << csv.text;
  const std::vector<std::string> csv_lines = lines_of(csv.text);
  ASSERT_EQ(csv_lines.size(), 4u) << csv.text;  // header + 3 rows
  EXPECT_EQ(csv_lines[0].rfind("id,mode,model,", 0), 0u) << csv_lines[0];
  EXPECT_NE(csv_lines[2].find("210.25"), std::string::npos) << csv_lines[2];
  EXPECT_NE(csv_lines[2].find("209.25;211.25"), std::string::npos) << csv_lines[2];

  const Output json = results(flag + " -o json");
  ASSERT_EQ(json.exit_code, 0);
  const nlohmann::json rows = nlohmann::json::parse(json.text);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[1]["id"], 2);
  EXPECT_EQ(rows[1]["amp"], "bf16");
  EXPECT_EQ(rows[1]["images_per_sec"], 210.25);
  EXPECT_EQ(rows[2]["model"], "resnet50d");

  const Output markdown = results(flag);  // md is the default
  ASSERT_EQ(markdown.exit_code, 0);
  EXPECT_EQ(table_lines(markdown.text), 2 + 3) << markdown.text;  // labels, rule, 3 rows
  EXPECT_NE(markdown.text.find("resnet50d"), std::string::npos) << markdown.text;

  const Output jsonl = results(flag + " -o jsonl");
  EXPECT_EQ(lines_of(jsonl.text).size(), 3u);

  const Output train = results(flag + " --kind train -o json");
  ASSERT_EQ(train.exit_code, 0);
  const nlohmann::json runs = nlohmann::json::parse(train.text);
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[1]["run_dir"], "/runs/run1");
  EXPECT_EQ(runs[1]["val_accuracy"], 0.75);
  EXPECT_EQ(runs[1]["image_size"], 64);

  // The same store, named through the environment instead of --db.
  const Output from_environment = results("-o json", false, "TRAINBENCH_DB='" + db.string() + "'");
  ASSERT_EQ(from_environment.exit_code, 0);
  EXPECT_EQ(nlohmann::json::parse(from_environment.text).size(), 3u);
}

TEST(ResultsCommand, FiltersAndLast) {
  TempDir dir;
  const std::string flag = "--db '" + filled_store(dir).string() + "'";
  const auto ids = [&](const std::string& args) {
    const Output out = results(flag + " -o json " + args);
    EXPECT_EQ(out.exit_code, 0) << args;
    std::vector<int> found;
    for (const auto& row : nlohmann::json::parse(out.text)) found.push_back(row["id"].get<int>());
    return found;
  };
  EXPECT_EQ(ids("--filter amp=bf16"), std::vector<int>{2});
  EXPECT_EQ(ids("--filter 'images_per_sec>100'"), (std::vector<int>{1, 2}));
  EXPECT_EQ(ids("--filter model~50 --filter amp=off"), std::vector<int>{3});
  EXPECT_EQ(ids("--last 2"), (std::vector<int>{2, 3}));
  EXPECT_EQ(ids("--kind train --filter 'val_accuracy>0.6'"), std::vector<int>{2});
}

TEST(ResultsCommand, BadFilterFailsWithAMessage) {
  TempDir dir;
  const std::string flag = "--db '" + filled_store(dir).string() + "'";
  const Output unknown_column = results(flag + " --filter speed=3", true);
  EXPECT_NE(unknown_column.exit_code, 0);
  EXPECT_NE(unknown_column.text.find("no column 'speed'"), std::string::npos) << unknown_column.text;
  EXPECT_NE(unknown_column.text.find("images_per_sec"), std::string::npos) << unknown_column.text;

  const Output malformed = results(flag + " --filter amp", true);
  EXPECT_NE(malformed.exit_code, 0);
  EXPECT_NE(malformed.text.find("bad filter 'amp'"), std::string::npos) << malformed.text;

  const Output not_a_number = results(flag + " --filter 'images_per_sec>fast'", true);
  EXPECT_NE(not_a_number.exit_code, 0);
  EXPECT_NE(not_a_number.text.find("is a number"), std::string::npos) << not_a_number.text;
}

TEST(ResultsCommand, EmptyAndMissingStores) {
  TempDir dir;
  const fs::path empty = dir / "empty.db";
  store::ResultsStore::open(empty);  // schema, no rows
  const Output listed = results("--db '" + empty.string() + "'");
  EXPECT_EQ(listed.exit_code, 0);
  EXPECT_NE(listed.text.find("no stored bench results in " + empty.string()), std::string::npos) << listed.text;
  const Output train = results("--db '" + empty.string() + "' --kind train");
  EXPECT_NE(train.text.find("no stored training runs in"), std::string::npos) << train.text;
  const Output json = results("--db '" + empty.string() + "' -o json");
  EXPECT_EQ(json.exit_code, 0);
  EXPECT_EQ(nlohmann::json::parse(json.text), nlohmann::json::array());  // still parses

  const fs::path missing = dir / "missing.db";
  const Output absent = results("--db '" + missing.string() + "'", true);
  EXPECT_NE(absent.exit_code, 0);
  EXPECT_NE(absent.text.find("no results database at " + missing.string()), std::string::npos) << absent.text;
  EXPECT_FALSE(fs::exists(missing));  // listing never creates one

  // The default database not there yet: nothing stored, not an error.
  const fs::path unborn = dir / "data" / "trainbench" / "results.db";
  const Output fresh = results("", false, "TRAINBENCH_DB= XDG_DATA_HOME='" + (dir / "data").string() + "'");
  EXPECT_EQ(fresh.exit_code, 0);
  EXPECT_NE(fresh.text.find("no stored bench results in " + unborn.string()), std::string::npos) << fresh.text;
  EXPECT_FALSE(fs::exists(unborn));
}

}  // namespace
}  // namespace trainbench
