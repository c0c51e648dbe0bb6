// The results store: round trips, filters, migrations, and what several
// processes (and a killed one) do to the one file.
#include "store/results_store.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "core/error.h"
#include "store/postgres_database.h"
#include "store/postgres_server.h"
#include "test_support.h"
#include "train/run_summary.h"

namespace trainbench {
namespace {

namespace fs = std::filesystem;
using store::BenchRow;
using store::Filter;
using store::ResultKind;
using store::ResultsStore;
using testing::TempDir;

core::Provenance sample_provenance(int variant) {
  core::Provenance p;
  p.trainbench_version = "0.1.0";
  p.git_commit = "abc123" + std::to_string(variant);
  p.libtorch_version = "2.11.0";
  p.device_name = variant % 2 ? "NVIDIA H100 80GB HBM3" : "AMD EPYC 9654";
  p.driver_version = "580.65.06";
  p.runtime_version = "CUDA 13.0";
  p.cpu_model = "AMD EPYC 9654 96-Core Processor";
  p.threads = 16 + variant;
  p.os = "Debian GNU/Linux 12 (bookworm)";
  p.kernel = "6.1.0-37-amd64";
  p.wsl = variant % 3 == 1;
  p.container = true;
  p.timestamp_utc = "2026-11-27T10:14:1" + std::to_string(variant % 10) + "Z";
  return p;
}

// Every field set, the optional ones too, with values that are not round in
// binary (so a lossy text conversion would show).
BenchRow full_row(int writer, int sequence) {
  BenchRow r;
  r.mode = "infer";
  r.model = "writer" + std::to_string(writer);
  r.device = "cuda:0";
  r.amp = "bf16";
  r.channels_last = true;
  r.batch_size = 128;
  r.requested_batch_size = 256;
  r.image_size = 224;
  r.workers = 6;
  r.input = "real";
  r.repetitions = 3;
  r.warmup_steps = 5;
  r.steps = sequence;
  r.status = "ok";
  r.error = "";
  r.note = "out of memory at batch 256: ran at 128; quote \" and ; kept";
  r.images_per_sec = 1234.5678901234567 + sequence;
  r.images_per_sec_std = 0.1;
  r.images_per_sec_samples = {1.0 / 3.0, 1234.5678901234567, 1e-300, 2.5e300};
  r.cold_step_seconds = 0.30000000000000004;
  r.step_seconds = 0.1037;
  r.data_wait_seconds = 0.0;
  r.forward_seconds = 1.0 / 7.0;
  r.backward_seconds = 2.0 / 7.0;
  r.optimizer_seconds = 3.0 / 7.0;
  r.peak_memory_bytes = 81'000'000'000LL;  // more than 32 bits
  r.memory_source = "cuda-allocator";
  r.forward_flops_per_image = 4.1e9;
  r.step_flops_per_image = 4.1e9;
  r.achieved_tflops = 5.0617;
  r.peak_tflops = 989.4;
  r.peak_fraction = 5.0617 / 989.4;
  r.process_cpu_percent = 101.5;
  r.gpu_utilization_percent = 97.25;
  r.gpu_memory_activity_percent = 41.0;
  r.gpu_power_watts = 312.5;
  r.world_size = 4;
  r.rank_images_per_sec = {101.5, 99.25, 100.0, 100.75};
  r.all_reduce_wait_seconds = 0.004;
  r.provenance = sample_provenance(writer);
  return r;
}

void expect_same_provenance(const core::Provenance& a, const core::Provenance& b) {
  EXPECT_EQ(a.trainbench_version, b.trainbench_version);
  EXPECT_EQ(a.git_commit, b.git_commit);
  EXPECT_EQ(a.libtorch_version, b.libtorch_version);
  EXPECT_EQ(a.device_name, b.device_name);
  EXPECT_EQ(a.driver_version, b.driver_version);
  EXPECT_EQ(a.runtime_version, b.runtime_version);
  EXPECT_EQ(a.cpu_model, b.cpu_model);
  EXPECT_EQ(a.threads, b.threads);
  EXPECT_EQ(a.os, b.os);
  EXPECT_EQ(a.kernel, b.kernel);
  EXPECT_EQ(a.wsl, b.wsl);
  EXPECT_EQ(a.container, b.container);
  EXPECT_EQ(a.timestamp_utc, b.timestamp_utc);
}

// Field by field, doubles compared exactly: the store must not round.
void expect_same_row(const BenchRow& a, const BenchRow& b) {
  EXPECT_EQ(a.mode, b.mode);
  EXPECT_EQ(a.model, b.model);
  EXPECT_EQ(a.device, b.device);
  EXPECT_EQ(a.amp, b.amp);
  EXPECT_EQ(a.channels_last, b.channels_last);
  EXPECT_EQ(a.batch_size, b.batch_size);
  EXPECT_EQ(a.requested_batch_size, b.requested_batch_size);
  EXPECT_EQ(a.image_size, b.image_size);
  EXPECT_EQ(a.workers, b.workers);
  EXPECT_EQ(a.input, b.input);
  EXPECT_EQ(a.repetitions, b.repetitions);
  EXPECT_EQ(a.warmup_steps, b.warmup_steps);
  EXPECT_EQ(a.steps, b.steps);
  EXPECT_EQ(a.status, b.status);
  EXPECT_EQ(a.error, b.error);
  EXPECT_EQ(a.note, b.note);
  EXPECT_EQ(a.images_per_sec, b.images_per_sec);
  EXPECT_EQ(a.images_per_sec_std, b.images_per_sec_std);
  EXPECT_EQ(a.images_per_sec_samples, b.images_per_sec_samples);
  EXPECT_EQ(a.cold_step_seconds, b.cold_step_seconds);
  EXPECT_EQ(a.step_seconds, b.step_seconds);
  EXPECT_EQ(a.data_wait_seconds, b.data_wait_seconds);
  EXPECT_EQ(a.forward_seconds, b.forward_seconds);
  EXPECT_EQ(a.backward_seconds, b.backward_seconds);
  EXPECT_EQ(a.optimizer_seconds, b.optimizer_seconds);
  EXPECT_EQ(a.peak_memory_bytes, b.peak_memory_bytes);
  EXPECT_EQ(a.memory_source, b.memory_source);
  EXPECT_EQ(a.forward_flops_per_image, b.forward_flops_per_image);
  EXPECT_EQ(a.step_flops_per_image, b.step_flops_per_image);
  EXPECT_EQ(a.achieved_tflops, b.achieved_tflops);
  EXPECT_EQ(a.peak_tflops, b.peak_tflops);
  EXPECT_EQ(a.peak_fraction, b.peak_fraction);
  EXPECT_EQ(a.process_cpu_percent, b.process_cpu_percent);
  EXPECT_EQ(a.gpu_utilization_percent, b.gpu_utilization_percent);
  EXPECT_EQ(a.gpu_memory_activity_percent, b.gpu_memory_activity_percent);
  EXPECT_EQ(a.gpu_power_watts, b.gpu_power_watts);
  EXPECT_EQ(a.world_size, b.world_size);
  EXPECT_EQ(a.rank_images_per_sec, b.rank_images_per_sec);
  EXPECT_EQ(a.all_reduce_wait_seconds, b.all_reduce_wait_seconds);
  expect_same_provenance(a.provenance, b.provenance);
}

// A direct connection, for looking at (or hand-making) the file as SQLite sees it.
class RawDatabase {
 public:
  explicit RawDatabase(const fs::path& path) {
    if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) throw std::runtime_error(sqlite3_errmsg(db_));
    sqlite3_busy_timeout(db_, 30000);
  }
  ~RawDatabase() { sqlite3_close(db_); }
  void execute(const std::string& sql) {
    char* message = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
      const std::string text = message ? message : "?";
      sqlite3_free(message);
      throw std::runtime_error(sql + ": " + text);
    }
  }
  // The first column of every row, as text.
  std::vector<std::string> column(const std::string& sql) {
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &statement, nullptr) != SQLITE_OK) {
      throw std::runtime_error(sql + ": " + sqlite3_errmsg(db_));
    }
    std::vector<std::string> values;
    while (sqlite3_step(statement) == SQLITE_ROW) {
      const unsigned char* text = sqlite3_column_text(statement, 0);
      values.push_back(text ? reinterpret_cast<const char*>(text) : "NULL");
    }
    sqlite3_finalize(statement);
    return values;
  }
  std::string one(const std::string& sql) { return column(sql).at(0); }

 private:
  sqlite3* db_ = nullptr;
};

std::string file_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

std::vector<std::int64_t> ids_of(const core::Table& table) {
  std::vector<std::int64_t> ids;
  for (const core::Row& row : table.rows) ids.push_back(row["id"].get<std::int64_t>());
  return ids;
}

enum class Backend { kSqlite, kPostgres };

// The store's behaviour, the same on both databases: each test gets fresh,
// empty stores by name (a file in its folder, or a new database on the
// test server).
class StoreOnBothDatabases : public ::testing::TestWithParam<Backend> {
 protected:
  std::string location(const std::string& name) {
    if (GetParam() == Backend::kSqlite) return (dir_ / (name + ".db")).string();
    auto found = databases_.find(name);
    if (found == databases_.end()) {
      found = databases_.emplace(name, testing::PostgresServer::shared().new_database_url()).first;
    }
    return found->second;
  }

 private:
  TempDir dir_;
  std::map<std::string, std::string> databases_;
};

INSTANTIATE_TEST_SUITE_P(Databases, StoreOnBothDatabases, ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const ::testing::TestParamInfo<Backend>& info) {
                           return info.param == Backend::kSqlite ? std::string("SQLite") : std::string("PostgreSQL");
                         });

TEST_P(StoreOnBothDatabases, BenchRowWithEveryFieldSetRoundTripsExactly) {
  ResultsStore store = ResultsStore::open(location("results"));
  const BenchRow row = full_row(3, 17);
  const std::int64_t id = store.insert_bench(row);
  EXPECT_EQ(id, 1);
  const std::optional<BenchRow> back = store.bench_by_id(id);
  ASSERT_TRUE(back.has_value());
  expect_same_row(row, *back);
  EXPECT_EQ(store::to_row(*back), store::to_row(row));  // and so every column, whatever the struct gains
  EXPECT_FALSE(store.bench_by_id(id + 1).has_value());
}

TEST_P(StoreOnBothDatabases, BenchRowWithOptionalFieldsUnsetRoundTrips) {
  ResultsStore store = ResultsStore::open(location("results"));
  BenchRow row = full_row(0, 1);
  row.status = "failed";
  row.error = "CUDA out of memory";
  row.images_per_sec_samples = {};
  row.data_wait_seconds.reset();
  row.forward_seconds.reset();
  row.backward_seconds.reset();
  row.optimizer_seconds.reset();
  row.peak_memory_bytes.reset();
  row.peak_tflops.reset();
  row.peak_fraction.reset();
  row.gpu_power_watts.reset();
  row.channels_last = false;
  const std::int64_t id = store.insert_bench(row);
  const BenchRow back = store.bench_by_id(id).value();
  expect_same_row(row, back);
  EXPECT_FALSE(back.peak_memory_bytes.has_value());
  EXPECT_FALSE(back.peak_tflops.has_value());

  // Unset optionals are SQL NULL (not 0), so SQL's own aggregates skip them.
  const core::Table table = store.query(ResultKind::kBench, {});
  ASSERT_EQ(table.rows.size(), 1u);
  EXPECT_TRUE(table.rows[0]["peak_tflops"].is_null());
  EXPECT_EQ(table.rows[0]["images_per_sec_samples"], nlohmann::ordered_json::array());
  EXPECT_EQ(table.rows[0]["channels_last"], false);
  EXPECT_EQ(table.rows[0]["error"], "CUDA out of memory");
}

TEST_P(StoreOnBothDatabases, QueryTableHasIdThenEveryBenchColumn) {
  ResultsStore store = ResultsStore::open(location("results"));
  store.insert_bench(full_row(1, 2));
  const core::Table table = store.query(ResultKind::kBench, {});
  EXPECT_EQ(table.name, "bench_results");
  ASSERT_EQ(table.columns.size(), store::bench_columns().size() + 1);
  EXPECT_EQ(table.columns[0].name, "id");
  for (std::size_t i = 0; i < store::bench_columns().size(); ++i) {
    EXPECT_EQ(table.columns[i + 1].name, store::bench_columns()[i].name);
  }
  ASSERT_EQ(table.rows.size(), 1u);
  core::Row expected = store::to_row(full_row(1, 2));
  for (const auto& [name, value] : expected.items()) EXPECT_EQ(table.rows[0][name], value) << name;
  EXPECT_EQ(table.rows[0]["id"], 1);
}

TEST_P(StoreOnBothDatabases, TrainRecordRoundTrips) {
  ResultsStore store = ResultsStore::open(location("results"));
  train::RunSummary summary;
  summary.model = "resnet18d";
  summary.device = "cuda:0";
  summary.device_name = "NVIDIA H100 80GB HBM3";
  summary.threads = 16;
  summary.amp = "bf16";
  summary.channels_last = true;
  summary.image_size = 288;
  summary.batch_size = 64;
  summary.epochs = 3;
  summary.steps = 1407;
  summary.train_images = 30000;
  summary.val_images = 7500;
  summary.skipped_files = 2;
  summary.skipped_examples = {{"a/b.jpg", "truncated JPEG"}, {"c/d.png", "not an image"}};
  summary.train_loss = 0.3141592653589793;
  summary.val_loss = 0.2718281828459045;
  summary.val_accuracy = 0.9216;
  summary.best_val_loss = 0.25;
  summary.train_images_per_sec = 2718.5;
  summary.first_epoch_images_per_sec = 2011.25;
  summary.data_wait_fraction = 0.0625;
  summary.wall_seconds = 41.5;
  summary.interrupted = true;
  store::TrainRecord record;
  record.run_dir = "/runs/resnet18d-20261127-101414";
  record.summary = train::to_json(summary);
  record.config = {{"model", "resnet18d"}, {"lr", 0.003}, {"epochs", 3}, {"data", "/data/gestures"}};
  record.provenance = sample_provenance(1);

  const std::int64_t id = store.insert_train(record);
  const store::TrainRecord back = store.train_by_id(id).value();
  EXPECT_EQ(back.run_dir, record.run_dir);
  EXPECT_EQ(back.summary, record.summary);  // whole, key order included
  EXPECT_EQ(back.summary.dump(), record.summary.dump());
  EXPECT_EQ(back.config, record.config);
  expect_same_provenance(back.provenance, record.provenance);
  EXPECT_FALSE(store.train_by_id(id + 1).has_value());

  const core::Table table = store.query(ResultKind::kTrain, {});
  EXPECT_EQ(table.name, "train_runs");
  EXPECT_EQ(table.columns.size(), store::train_columns().size() + 1);
  ASSERT_EQ(table.rows.size(), 1u);
  const core::Row& row = table.rows[0];
  EXPECT_EQ(row["id"], id);
  EXPECT_EQ(row["run_dir"], record.run_dir);
  EXPECT_EQ(row["model"], "resnet18d");
  EXPECT_EQ(row["image_size"], 288);
  EXPECT_EQ(row["steps"], 1407);
  EXPECT_EQ(row["channels_last"], true);
  EXPECT_EQ(row["interrupted"], true);
  EXPECT_EQ(row["val_accuracy"], 0.9216);
  EXPECT_EQ(row["train_images_per_sec"], 2718.5);
  EXPECT_EQ(row["threads"], 17);  // the provenance's (16 + variant 1)
  EXPECT_EQ(row["git_commit"], "abc1231");
  EXPECT_EQ(row["stored_at"].get<std::string>().size(), std::string("2026-11-27T10:14:14Z").size());
  EXPECT_FALSE(row.contains("summary_json"));  // kept whole, but not a printed column
}

// Five rows that differ in amp, throughput, device and an optional field.
ResultsStore store_with_five_rows(const std::string& path) {
  ResultsStore store = ResultsStore::open(path);
  const char* amps[5] = {"off", "bf16", "fp16", "bf16", "off"};
  const double rates[5] = {50.0, 100.0, 150.0, 200.0, 250.0};
  for (int i = 0; i < 5; ++i) {
    BenchRow row = full_row(i, i);  // device_name: odd rows an H100, even rows an EPYC
    row.amp = amps[i];
    row.images_per_sec = rates[i];
    if (i == 4) row.peak_tflops.reset();
    store.insert_bench(row);
  }
  return store;
}

TEST_P(StoreOnBothDatabases, FiltersSelectTheRightRows) {
  const ResultsStore store = store_with_five_rows(location("results"));
  const auto ids = [&](std::vector<std::string> texts, int limit = 0) {
    std::vector<Filter> filters;
    for (const std::string& text : texts) filters.push_back(store::parse_filter(text));
    return ids_of(store.query(ResultKind::kBench, filters, limit));
  };
  using Ids = std::vector<std::int64_t>;
  EXPECT_EQ(ids({}), (Ids{1, 2, 3, 4, 5}));
  EXPECT_EQ(ids({"amp=bf16"}), (Ids{2, 4}));
  EXPECT_EQ(ids({"amp!=bf16"}), (Ids{1, 3, 5}));
  EXPECT_EQ(ids({"images_per_sec>100"}), (Ids{3, 4, 5}));  // numbers compare as numbers
  EXPECT_EQ(ids({"images_per_sec>=100"}), (Ids{2, 3, 4, 5}));
  EXPECT_EQ(ids({"images_per_sec<100"}), (Ids{1}));
  EXPECT_EQ(ids({"images_per_sec<=100.0"}), (Ids{1, 2}));
  EXPECT_EQ(ids({"images_per_sec>99.5", "amp=bf16"}), (Ids{2, 4}));
  EXPECT_EQ(ids({"device_name~H100"}), (Ids{2, 4}));
  EXPECT_EQ(ids({"device_name~h100"}), (Ids{2, 4}));  // ~ ignores case
  EXPECT_EQ(ids({"device_name~EPYC", "amp=off"}), (Ids{1, 5}));
  EXPECT_EQ(ids({"wsl=true"}), (Ids{2, 5}));  // variants 1 and 4
  EXPECT_EQ(ids({"wsl=0"}), (Ids{1, 3, 4}));
  EXPECT_EQ(ids({"threads=18"}), (Ids{3}));
  EXPECT_EQ(ids({"peak_tflops!=989.4"}), (Ids{5}));  // NULL is "not 989.4"
  EXPECT_EQ(ids({"id>3"}), (Ids{4, 5}));
  EXPECT_EQ(ids({"amp=int8"}), (Ids{}));
  EXPECT_EQ(ids({}, 2), (Ids{4, 5}));  // the newest two, oldest first
  EXPECT_EQ(ids({"amp=off"}, 1), (Ids{5}));
}

TEST_P(StoreOnBothDatabases, BadFiltersAreUsageErrors) {
  const ResultsStore store = store_with_five_rows(location("results"));
  try {
    store.query(ResultKind::kBench, {store::parse_filter("speed>3")});
    FAIL() << "an unknown column was accepted";
  } catch (const UsageError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("speed"), std::string::npos) << message;
    EXPECT_NE(message.find("images_per_sec"), std::string::npos) << message;  // lists what exists
  }
  EXPECT_THROW(store.query(ResultKind::kTrain, {store::parse_filter("images_per_sec>3")}), UsageError);
  EXPECT_THROW(store.query(ResultKind::kBench, {store::parse_filter("images_per_sec>fast")}), UsageError);
  EXPECT_THROW(store.query(ResultKind::kBench, {store::parse_filter("channels_last=maybe")}), UsageError);
  EXPECT_THROW(store.query(ResultKind::kBench, {Filter{"amp", "LIKE", "b%"}}), UsageError);
  // A value is bound, never pasted into SQL: quotes are just characters.
  EXPECT_TRUE(store.query(ResultKind::kBench, {store::parse_filter("amp=x' OR '1'='1")}).rows.empty());
}

TEST(ResultsStore, ParsesFilters) {
  const Filter a = store::parse_filter("images_per_sec>=1e3");
  EXPECT_EQ(a.column, "images_per_sec");
  EXPECT_EQ(a.op, ">=");
  EXPECT_EQ(a.value, "1e3");
  const Filter b = store::parse_filter("device_name~NVIDIA H100");
  EXPECT_EQ(b.op, "~");
  EXPECT_EQ(b.value, "NVIDIA H100");
  const Filter c = store::parse_filter("note=a=b");
  EXPECT_EQ(c.op, "=");
  EXPECT_EQ(c.value, "a=b");
  EXPECT_EQ(store::parse_filter("amp!=off").op, "!=");
  EXPECT_EQ(store::parse_filter("steps<5").op, "<");
  EXPECT_EQ(store::parse_filter(" device_name ~ H100 ").column, "device_name");
  for (const char* bad : {"", "amp", "=bf16", "amp bf16", "a-b=1", "amp%bf16"}) {
    EXPECT_THROW(store::parse_filter(bad), UsageError) << bad;
  }
}

TEST(ResultsStore, CreatesItsFolderAndUsesWriteAheadLogging) {
  TempDir dir;
  const fs::path path = dir / "nested" / "deeper" / "results.db";
  {
    ResultsStore store = ResultsStore::open(path);
    EXPECT_EQ(store.name(), path.string());
    EXPECT_EQ(store.schema_version(), store::newest_schema_version());
  }
  EXPECT_TRUE(fs::exists(path));
  RawDatabase raw(path);
  EXPECT_EQ(raw.one("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(raw.one("PRAGMA user_version"), std::to_string(store::newest_schema_version()));
}

TEST(ResultsStore, MigratesAnOlderFileWithFewerColumns) {
  TempDir dir;
  const fs::path path = dir / "old.db";
  {
    // What an early trainbench wrote: version 1, a few columns, one row each.
    RawDatabase raw(path);
    raw.execute(
        "CREATE TABLE bench_results (id INTEGER PRIMARY KEY AUTOINCREMENT, mode TEXT, model TEXT, amp TEXT, "
        "images_per_sec REAL);"
        "INSERT INTO bench_results (mode, model, amp, images_per_sec) VALUES ('train', 'resnet18d', 'bf16', 812.5);"
        "CREATE TABLE train_runs (id INTEGER PRIMARY KEY AUTOINCREMENT, run_dir TEXT, model TEXT);"
        "INSERT INTO train_runs (run_dir, model) VALUES ('/runs/a', 'resnet50d');"
        "PRAGMA user_version = 1;");
  }
  ResultsStore store = ResultsStore::open(path);
  EXPECT_EQ(store.schema_version(), store::newest_schema_version());
  RawDatabase raw(path);
  const std::vector<std::string> bench_names = raw.column("SELECT name FROM pragma_table_info('bench_results')");
  EXPECT_EQ(bench_names.size(), store::bench_columns().size() + 2);  // id, row_uid
  EXPECT_EQ(raw.one("SELECT type FROM pragma_table_info('bench_results') WHERE name = 'peak_memory_bytes'"), "INTEGER");
  EXPECT_EQ(raw.column("SELECT name FROM pragma_table_info('train_runs')").size(), store::train_columns().size() + 4);

  // The old rows got an identity each.
  EXPECT_EQ(raw.one("SELECT length(row_uid) FROM bench_results WHERE id = 1"), "32");
  EXPECT_EQ(raw.one("SELECT length(row_uid) FROM train_runs WHERE id = 1"), "32");

  // The old row reads back, fields it never had at their defaults.
  const BenchRow old = store.bench_by_id(1).value();
  EXPECT_EQ(old.model, "resnet18d");
  EXPECT_EQ(old.amp, "bf16");
  EXPECT_EQ(old.images_per_sec, 812.5);
  EXPECT_EQ(old.batch_size, 0);
  EXPECT_FALSE(old.peak_tflops.has_value());
  EXPECT_EQ(old.provenance.device_name, "");
  const store::TrainRecord old_run = store.train_by_id(1).value();
  EXPECT_EQ(old_run.run_dir, "/runs/a");
  EXPECT_TRUE(old_run.summary.is_null());

  // New rows go in with every column, after the old ones.
  const BenchRow row = full_row(2, 9);
  EXPECT_EQ(store.insert_bench(row), 2);
  expect_same_row(row, store.bench_by_id(2).value());
  EXPECT_EQ(ids_of(store.query(ResultKind::kBench, {store::parse_filter("model=resnet18d")})),
            std::vector<std::int64_t>{1});
}

TEST_P(StoreOnBothDatabases, EveryRowGetsItsOwnRowUid) {
  ResultsStore store = store_with_five_rows(location("results"));
  std::set<std::string> uids;
  for (const nlohmann::ordered_json& row : store.export_rows(ResultKind::kBench, {})) {
    const std::string uid = row.at("row_uid").get<std::string>();
    EXPECT_EQ(uid.size(), 32u);
    EXPECT_EQ(uid.find_first_not_of("0123456789abcdef"), std::string::npos) << uid;
    uids.insert(uid);
  }
  EXPECT_EQ(uids.size(), 5u);
  EXPECT_FALSE(store.query(ResultKind::kBench, {}).rows.at(0).contains("row_uid"));  // not a printed column
}

TEST_P(StoreOnBothDatabases, ExportedRowsImportIntoAnotherStoreOnce) {
  ResultsStore source = store_with_five_rows(location("a"));
  const std::vector<nlohmann::ordered_json> rows =
      source.export_rows(ResultKind::kBench, {store::parse_filter("images_per_sec>=100")});
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_FALSE(rows[0].contains("id"));
  EXPECT_FALSE(rows[3].contains("peak_tflops"));  // NULL columns are left out

  ResultsStore target = ResultsStore::open(location("b"));
  target.insert_bench(full_row(9, 9));  // a row of its own, before the import
  const store::ImportCounts first = target.import_rows(ResultKind::kBench, rows);
  EXPECT_EQ(first.inserted, 4u);
  EXPECT_EQ(first.already_present, 0u);
  const store::ImportCounts again = target.import_rows(ResultKind::kBench, rows);
  EXPECT_EQ(again.inserted, 0u);
  EXPECT_EQ(again.already_present, 4u);

  // The imported rows read back exactly as the source holds them.
  const core::Table imported = target.query(ResultKind::kBench, {});
  ASSERT_EQ(imported.rows.size(), 5u);
  for (std::size_t i = 0; i < 4; ++i) {
    expect_same_row(source.bench_by_id(static_cast<std::int64_t>(i) + 2).value(),
                    target.bench_by_id(imported.rows[i + 1]["id"].get<std::int64_t>()).value());
  }
  EXPECT_EQ(target.export_rows(ResultKind::kBench, {})[1], rows[0]);  // row_uid kept
}

TEST_P(StoreOnBothDatabases, AnImportWithOneBadRowChangesNothing) {
  ResultsStore source = store_with_five_rows(location("a"));
  ResultsStore target = ResultsStore::open(location("b"));
  const std::vector<nlohmann::ordered_json> good = source.export_rows(ResultKind::kBench, {});
  const auto refused = [&](const std::function<void(nlohmann::ordered_json&)>& spoil, const std::string& expected) {
    std::vector<nlohmann::ordered_json> rows = good;
    spoil(rows.back());
    try {
      target.import_rows(ResultKind::kBench, rows);
      ADD_FAILURE() << "imported a bad row: " << rows.back().dump();
    } catch (const StoreError& e) {
      EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
    }
    EXPECT_TRUE(target.query(ResultKind::kBench, {}).rows.empty());
  };
  refused([](nlohmann::ordered_json& row) { row.erase("row_uid"); }, "row 4: it has no row_uid");
  refused([](nlohmann::ordered_json& row) { row["images_per_sec"] = "fast"; }, "'images_per_sec' does not fit");
  refused([](nlohmann::ordered_json& row) { row["batch_size"] = 1.5; }, "'batch_size' does not fit");
  refused([](nlohmann::ordered_json& row) { row["quantum_flux"] = 1; }, "no column 'quantum_flux'");
  refused([](nlohmann::ordered_json& row) { row["images_per_sec_samples"] = {1.0, "x"}; }, "does not fit");
}

TEST_P(StoreOnBothDatabases, KeepsTelemetrySamplesPerOwnerInOrder) {
  ResultsStore store = ResultsStore::open(location("results"));
  std::vector<telemetry::TelemetrySample> samples(3);
  for (int i = 0; i < 3; ++i) {
    samples[i].seconds = 0.5 * i;
    samples[i].phase = i == 2 ? "eval" : "train";
    samples[i].process_cpu_percent = 150.0 + i;
  }
  telemetry::GpuSample gpu;
  gpu.name = "Test GPU";
  gpu.source = "nvml";
  gpu.utilization_percent = 97.0;
  gpu.throttle_reasons = {"sw_power_cap"};
  samples[1].gpus.push_back(gpu);
  store.insert_telemetry(ResultKind::kTrain, 4, samples);
  store.insert_telemetry(ResultKind::kBench, 4, {samples[0]});

  const std::vector<telemetry::TelemetrySample> train = store.telemetry_of(ResultKind::kTrain, 4);
  ASSERT_EQ(train.size(), 3u);
  EXPECT_EQ(train[2].phase, "eval");
  EXPECT_EQ(train[2].seconds, 1.0);
  EXPECT_EQ(train[2].process_cpu_percent, 152.0);
  EXPECT_FALSE(train[0].system_cpu_percent.has_value());
  ASSERT_EQ(train[1].gpus.size(), 1u);
  EXPECT_EQ(train[1].gpus[0].utilization_percent, 97.0);
  EXPECT_EQ(train[1].gpus[0].throttle_reasons, std::vector<std::string>{"sw_power_cap"});
  EXPECT_EQ(store.telemetry_of(ResultKind::kBench, 4).size(), 1u);
  EXPECT_TRUE(store.telemetry_of(ResultKind::kTrain, 5).empty());
}

TEST(ResultsStore, MigratingAVersionOneFileAddsTheTelemetryTable) {
  TempDir dir;
  const fs::path path = dir / "v1.db";
  {
    RawDatabase raw(path);
    raw.execute("CREATE TABLE bench_results (id INTEGER PRIMARY KEY AUTOINCREMENT, model TEXT); PRAGMA user_version = 1;");
  }
  ResultsStore store = ResultsStore::open(path);
  EXPECT_EQ(store.schema_version(), store::newest_schema_version());
  telemetry::TelemetrySample sample;
  sample.phase = "timed";
  store.insert_telemetry(ResultKind::kBench, 1, {sample});
  EXPECT_EQ(store.telemetry_of(ResultKind::kBench, 1).at(0).phase, "timed");
}

TEST(ResultsStore, MigratesAnEmptyVersionZeroFile) {
  TempDir dir;
  const fs::path path = dir / "empty.db";
  { RawDatabase raw(path); raw.execute("CREATE TABLE unrelated (x INTEGER)"); }
  ResultsStore store = ResultsStore::open(path);
  EXPECT_EQ(store.schema_version(), store::newest_schema_version());
  EXPECT_EQ(store.insert_bench(full_row(0, 0)), 1);
}

TEST(ResultsStore, RefusesAFileFromANewerSchemaAndLeavesItAlone) {
  TempDir dir;
  const fs::path path = dir / "future.db";
  {
    RawDatabase raw(path);
    raw.execute("CREATE TABLE bench_results (id INTEGER PRIMARY KEY, quantum_flux REAL); PRAGMA user_version = 7;");
  }
  const std::string before = file_bytes(path);
  try {
    ResultsStore::open(path);
    FAIL() << "a newer schema was opened";
  } catch (const StoreError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("version 7"), std::string::npos) << message;
    EXPECT_NE(message.find("up to " + std::to_string(store::newest_schema_version())), std::string::npos) << message;
    EXPECT_NE(message.find(path.string()), std::string::npos) << message;
  }
  EXPECT_EQ(file_bytes(path), before);
  EXPECT_FALSE(fs::exists(path.string() + "-wal"));
}

TEST(ResultsStore, ReportsAFileThatIsNotADatabase) {
  TempDir dir;
  const fs::path path = dir / "notes.txt";
  std::ofstream(path) << "this is not a database, just some text that is long enough to have a header\n";
  try {
    ResultsStore::open(path);
    FAIL() << "a text file was opened as a database";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find(path.string()), std::string::npos) << e.what();
  }
}

// Sets environment variables for one test and puts the old values back.
class ScopedEnvironment {
 public:
  void set(const char* name, const char* value) {
    if (!saved_.count(name)) {
      const char* old = std::getenv(name);
      saved_[name] = old ? std::optional<std::string>(old) : std::nullopt;
    }
    if (value) {
      setenv(name, value, 1);
    } else {
      unsetenv(name);
    }
  }
  ~ScopedEnvironment() {
    for (const auto& [name, value] : saved_) {
      if (value) {
        setenv(name.c_str(), value->c_str(), 1);
      } else {
        unsetenv(name.c_str());
      }
    }
  }

 private:
  std::map<std::string, std::optional<std::string>> saved_;
};

TEST(ResultsStore, DefaultDatabasePathFollowsTheEnvironment) {
  ScopedEnvironment environment;
  environment.set("TRAINBENCH_DB", "/tmp/chosen.db");
  environment.set("XDG_DATA_HOME", "/xdg");
  environment.set("HOME", "/home/ada");
  EXPECT_EQ(store::default_database_path(), fs::path("/tmp/chosen.db"));
  environment.set("TRAINBENCH_DB", "");
  EXPECT_EQ(store::default_database_path(), fs::path("/xdg/trainbench/results.db"));
  environment.set("XDG_DATA_HOME", nullptr);
  EXPECT_EQ(store::default_database_path(), fs::path("/home/ada/.local/share/trainbench/results.db"));
  environment.set("XDG_DATA_HOME", "relative/ignored");
  EXPECT_EQ(store::default_database_path(), fs::path("/home/ada/.local/share/trainbench/results.db"));
  environment.set("HOME", nullptr);
  environment.set("XDG_DATA_HOME", nullptr);
  EXPECT_THROW(store::default_database_path(), StoreError);
}

// A child process that runs `work` and exits 0, or 1 on any exception. It
// touches nothing of the parent's but memory it inherited, and leaves with
// _exit so no parent destructors or atexit handlers run twice.
template <typename Work>
pid_t spawn_child(Work work) {
  const pid_t pid = fork();
  if (pid == 0) {
    int code = 0;
    try {
      work();
    } catch (...) {
      code = 1;
    }
    _exit(code);
  }
  return pid;
}

TEST_P(StoreOnBothDatabases, ConcurrentWritersLoseNothing) {
  // The children also race to create the file (or tables) and its schema.
  const std::string path = location("shared");
  constexpr int kWriters = 4, kRowsEach = 50;
  std::vector<pid_t> children;
  for (int writer = 0; writer < kWriters; ++writer) {
    children.push_back(spawn_child([&path, writer] {
      ResultsStore store = ResultsStore::open(path);
      for (int sequence = 0; sequence < kRowsEach; ++sequence) store.insert_bench(full_row(writer, sequence));
    }));
    ASSERT_GT(children.back(), 0);
  }
  for (pid_t child : children) {
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "writer exited with status " << status;
  }
  ResultsStore store = ResultsStore::open(path);
  const core::Table table = store.query(ResultKind::kBench, {});
  ASSERT_EQ(table.rows.size(), static_cast<std::size_t>(kWriters * kRowsEach));
  std::set<std::pair<std::string, int>> seen;
  for (const core::Row& row : table.rows) seen.emplace(row["model"].get<std::string>(), row["steps"].get<int>());
  for (int writer = 0; writer < kWriters; ++writer) {
    for (int sequence = 0; sequence < kRowsEach; ++sequence) {
      EXPECT_TRUE(seen.count({"writer" + std::to_string(writer), sequence})) << writer << "/" << sequence;
    }
  }
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(kWriters * kRowsEach));  // and none twice
  const std::vector<std::int64_t> ids = ids_of(table);
  EXPECT_EQ(ids.front(), 1);
  EXPECT_EQ(ids.back(), kWriters * kRowsEach);
}

TEST_P(StoreOnBothDatabases, SurvivesAWriterKilledMidWrite) {
  const std::string path = location("killed");
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  const pid_t child = spawn_child([&] {
    ResultsStore store = ResultsStore::open(path);
    for (int sequence = 0;; ++sequence) {
      store.insert_bench(full_row(7, sequence));
      if (sequence == 0) {
        const char byte = 1;
        if (write(ready[1], &byte, 1) != 1) throw std::runtime_error("pipe");
      }
    }
  });
  ASSERT_GT(child, 0);
  close(ready[1]);
  char byte = 0;
  ASSERT_EQ(read(ready[0], &byte, 1), 1) << "the writer never inserted a row";
  close(ready[0]);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_EQ(kill(child, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "status " << status;

  ResultsStore store = ResultsStore::open(path);
  if (GetParam() == Backend::kSqlite) {
    RawDatabase raw(path);
    EXPECT_EQ(raw.one("PRAGMA integrity_check"), "ok");
  }
  const core::Table table = store.query(ResultKind::kBench, {});
  ASSERT_GE(table.rows.size(), 1u);
  std::printf("the killed writer had stored %zu rows\n", table.rows.size());
  // Every row is whole: each column holds what the writer put there, and the
  // sequence numbers run 0, 1, 2, ... without a gap.
  int expected_sequence = 0;
  for (const core::Row& row : table.rows) {
    const BenchRow back = store.bench_by_id(row["id"].get<std::int64_t>()).value();
    expect_same_row(full_row(7, expected_sequence), back);
    for (const auto& [name, value] : row.items()) EXPECT_FALSE(value.is_null()) << name;
    ++expected_sequence;
    if (::testing::Test::HasFailure()) break;  // one torn row is enough to report
  }
  // The store takes new rows after the crash. (A server's id sequence may
  // have handed the killed transaction a number it never used.)
  const std::int64_t after = store.insert_bench(full_row(8, 0));
  if (GetParam() == Backend::kSqlite) {
    EXPECT_EQ(after, static_cast<std::int64_t>(table.rows.size()) + 1);
  } else {
    EXPECT_GT(after, ids_of(table).back());
  }
}

// ---- what only a server does ----

TEST(PostgresStore, AServerThatIsDownIsOneClearError) {
  const std::string url = testing::PostgresServer::shared().url_of_a_server_that_is_down();
  try {
    ResultsStore::open(url);
    FAIL() << "opened " << url;
  } catch (const StoreError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("results database " + url + ": cannot connect: "), std::string::npos) << message;
    EXPECT_NE(message.find("No such file or directory"), std::string::npos) << message;
  }
}

TEST(PostgresStore, RefusedCredentialsAreOneClearError) {
  const std::string url = testing::PostgresServer::shared().url_with_unknown_user();
  try {
    ResultsStore::open(url);
    FAIL() << "opened " << url;
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("role \"nobody\" does not exist"), std::string::npos) << e.what();
  }
}

TEST(PostgresStore, MessagesNeverShowThePassword) {
  EXPECT_EQ(store::url_without_password("postgresql://ann:s3cret@db.lab:5433/results"),
            "postgresql://ann:***@db.lab:5433/results");
  EXPECT_EQ(store::url_without_password("postgresql://ann@db.lab/results?sslmode=require&password=s3cret&x=1"),
            "postgresql://ann@db.lab/results?sslmode=require&password=***&x=1");
  EXPECT_EQ(store::url_without_password("postgresql://db.lab/results?password=s3cret"),
            "postgresql://db.lab/results?password=***");
  EXPECT_EQ(store::url_without_password("postgresql://ann@db.lab/x:y@z"), "postgresql://ann@db.lab/x:y@z");
  try {
    ResultsStore::open("postgresql://ann:s3cret@/results?host=/nonexistent&port=1");
    FAIL();
  } catch (const StoreError& e) {
    EXPECT_EQ(std::string(e.what()).find("s3cret"), std::string::npos) << e.what();
  }
}

// A server database an older trainbench wrote (version 1, a few columns):
// opening migrates it as it does a file, and its rows get their row_uid.
TEST(PostgresStore, MigratesAnOlderDatabaseWithFewerColumns) {
  const std::string url = testing::PostgresServer::shared().new_database_url();
  testing::PostgresServer::execute(
      url,
      "CREATE TABLE bench_results (id BIGSERIAL PRIMARY KEY, mode TEXT, model TEXT, amp TEXT, images_per_sec DOUBLE "
      "PRECISION);"
      "INSERT INTO bench_results (mode, model, amp, images_per_sec) VALUES ('train', 'resnet18d', 'bf16', 812.5);"
      "CREATE TABLE train_runs (id BIGSERIAL PRIMARY KEY, run_dir TEXT, model TEXT);"
      "CREATE TABLE trainbench_schema_version (version BIGINT NOT NULL);"
      "INSERT INTO trainbench_schema_version VALUES (1);");
  ResultsStore store = ResultsStore::open(url);
  EXPECT_EQ(store.schema_version(), store::newest_schema_version());
  const BenchRow old = store.bench_by_id(1).value();
  EXPECT_EQ(old.model, "resnet18d");
  EXPECT_EQ(old.images_per_sec, 812.5);
  EXPECT_EQ(old.batch_size, 0);
  const std::vector<nlohmann::ordered_json> rows = store.export_rows(ResultKind::kBench, {});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].at("row_uid").get<std::string>().size(), 32u);
  const BenchRow row = full_row(2, 9);
  EXPECT_EQ(store.insert_bench(row), 2);
  expect_same_row(row, store.bench_by_id(2).value());
  store.insert_telemetry(ResultKind::kBench, 2, {telemetry::TelemetrySample{}});
  EXPECT_EQ(store.telemetry_of(ResultKind::kBench, 2).size(), 1u);
}

TEST(PostgresStore, RefusesADatabaseFromANewerSchema) {
  const std::string url = testing::PostgresServer::shared().new_database_url();
  testing::PostgresServer::execute(url, "CREATE TABLE trainbench_schema_version (version BIGINT NOT NULL);"
                                        "INSERT INTO trainbench_schema_version VALUES (7);");
  try {
    ResultsStore::open(url);
    FAIL() << "a newer schema was opened";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("has schema version 7"), std::string::npos) << e.what();
  }
}

// The server ends the store's session between two inserts (a restart, an
// administrator, a network cut): the next insert connects again, and its
// row is stored once.
TEST(PostgresStore, AnInsertReconnectsWhenTheServerDroppedTheSession) {
  const std::string url = testing::PostgresServer::shared().new_database_url();
  ResultsStore store = ResultsStore::open(url);
  store.insert_bench(full_row(1, 0));
  // Every other session on this database, the store's included, is ended.
  testing::PostgresServer::execute(url, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                        "WHERE datname = current_database() AND pid <> pg_backend_pid()");
  EXPECT_EQ(store.insert_bench(full_row(1, 1)), 2);
  EXPECT_EQ(store.query(ResultKind::kBench, {}).rows.size(), 2u);
}

}  // namespace
}  // namespace trainbench
