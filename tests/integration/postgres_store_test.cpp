// The commands on a results store on a PostgreSQL server (the test server of
// tests/store/postgres_server.h): the same rows in a file and on the server
// list and compare byte for byte alike, `train` stores into the server, and
// a server that is down costs a warning, never the run.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>

#include "store/postgres_server.h"
#include "store/results_store.h"
#include "test_support.h"

namespace trainbench {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

std::string trainbench_output(const std::string& args, int* exit_code) {
  return testing::run_command(testing::trainbench_command(args), exit_code);
}

// The same three bench rows and one run, stored through the store's API.
void fill_for_both_databases(const std::string& location) {
  store::ResultsStore results = store::ResultsStore::open(location);
  for (int i = 0; i < 3; ++i) {
    store::BenchRow row;
    row.model = i < 2 ? "resnet18d" : "resnet50d";
    row.device = "cpu";
    row.amp = i == 1 ? "bf16" : "off";
    row.batch_size = row.requested_batch_size = 32;
    row.image_size = 64;
    row.repetitions = 3;
    row.images_per_sec = 100.0 / 3.0 * (i + 1);
    row.images_per_sec_samples = {row.images_per_sec - 0.1, row.images_per_sec, row.images_per_sec + 0.1};
    row.images_per_sec_std = 0.1;
    row.provenance.device_name = "Test CPU";
    row.provenance.timestamp_utc = "2026-12-07T10:14:14Z";
    results.insert_bench(row);
  }
  store::TrainRecord record;
  record.run_dir = "/runs/a";
  record.summary = {{"model", "resnet18d"}, {"image_size", 64}, {"val_accuracy", 0.75}, {"interrupted", false}};
  record.config = {{"epochs", 1}};
  results.insert_train(record);
}

TEST(PostgresCommands, ListAndCompareAServerStoreAsTheyDoAFile) {
  TempDir dir;
  const std::string file = (dir / "results.db").string();
  const std::string server = testing::PostgresServer::shared().new_database_url();
  fill_for_both_databases(file);
  fill_for_both_databases(server);
  for (const std::string& args : {std::string("results -o json"), std::string("results --kind train -o json"),
                                  std::string("results --filter 'model~50' --filter 'images_per_sec>90' -o json"),
                                  std::string("compare -o json 1 2")}) {
    SCOPED_TRACE(args);
    int file_code = -1, server_code = -1;
    const std::string from_file = trainbench_output(args + " --db '" + file + "'", &file_code);
    std::string from_server = trainbench_output(args + " --db '" + server + "'", &server_code);
    ASSERT_EQ(file_code, 0) << from_file;
    ASSERT_EQ(server_code, 0) << from_server;
    // Where the rows came from may be named; when each run was stored differs.
    for (std::size_t at; (at = from_server.find(server)) != std::string::npos;) from_server.replace(at, server.size(), file);
    nlohmann::json file_rows = nlohmann::json::parse(from_file), server_rows = nlohmann::json::parse(from_server);
    ASSERT_FALSE(file_rows.empty());
    for (nlohmann::json* rows : {&file_rows, &server_rows}) {
      if (!rows->is_array()) continue;
      for (nlohmann::json& row : *rows) row.erase("stored_at");
    }
    EXPECT_EQ(file_rows, server_rows);
  }
}

TEST(PostgresCommands, TrainStoresIntoAServerAndADownServerCostsAWarningOnly) {
  TempDir dir;
  int code = -1;
  trainbench_output("data synth --classes 2 --per-class 6 --out '" + (dir / "data").string() + "' > /dev/null", &code);
  ASSERT_EQ(code, 0);
  const std::string train = "train --model resnet18 --img-size 32 -b 4 --epochs 1 --threads 1 --workers 1 "
                            "--no-progress --no-report --data '" + (dir / "data").string() + "'";

  const std::string server = testing::PostgresServer::shared().new_database_url();
  std::string out = trainbench_output(train + " --output '" + (dir / "a").string() + "' --db '" + server + "' 2>&1", &code);
  ASSERT_EQ(code, 0) << out;
  EXPECT_NE(out.find("stored as train:1 in " + server), std::string::npos) << out;
  const core::Table stored = store::ResultsStore::open(server).query(store::ResultKind::kTrain, {});
  ASSERT_EQ(stored.rows.size(), 1u);
  EXPECT_EQ(stored.rows[0]["run_dir"], fs::absolute(dir / "a").string());

  const std::string down = testing::PostgresServer::shared().url_of_a_server_that_is_down();
  out = trainbench_output(train + " --output '" + (dir / "b").string() + "' --db '" + down + "' 2>&1", &code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("warning: results not stored: results database " + down + ": cannot connect"), std::string::npos)
      << out;
  EXPECT_TRUE(fs::exists(dir / "b" / "summary.json"));
  EXPECT_TRUE(fs::exists(dir / "b" / "config.json"));

  // Reading from it is an error, one line.
  out = trainbench_output("results --db '" + down + "' 2>&1", &code);
  EXPECT_NE(code, 0);
  EXPECT_NE(out.find("cannot connect"), std::string::npos) << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
}

}  // namespace
}  // namespace trainbench
