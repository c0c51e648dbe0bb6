// `trainbench results export` and `results import` as a user runs them: rows
// stored in one store reach another whole and once, `results` and `compare`
// read them there as they did at home, and a bad bundle changes nothing.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>

#include "store/postgres_server.h"
#include "store/results_store.h"
#include "test_support.h"
#include "train/train_config.h"

namespace trainbench {
namespace {

namespace fs = std::filesystem;
using testing::quoted;
using testing::TempDir;

struct BundleCommandOutput {
  std::string text;
  int exit_code = -1;
};

// `trainbench ARGS` (stderr joined to stdout when `with_stderr`); the default
// store points nowhere, so every command names its --db.
BundleCommandOutput run_bundle_command(const std::string& args, bool with_stderr = true) {
  BundleCommandOutput out;
  out.text = testing::run_command(
      "TRAINBENCH_DB=/nonexistent/results.db " + testing::trainbench_command(args + (with_stderr ? " 2>&1" : "")),
      &out.exit_code);
  return out;
}

store::BenchRow bundle_bench_row(const std::string& mode, std::vector<double> samples) {
  store::BenchRow row;
  row.mode = mode;
  row.model = "resnet18d";
  row.device = "cuda:0";
  row.amp = "bf16";
  row.channels_last = true;
  row.batch_size = row.requested_batch_size = 32;
  row.image_size = 288;
  row.repetitions = static_cast<int>(samples.size());
  row.steps = 30;
  for (double s : samples) row.images_per_sec += s / samples.size();
  row.images_per_sec_std = 1.0;
  row.images_per_sec_samples = std::move(samples);
  row.cold_step_seconds = 0.30000000000000004;
  row.forward_seconds = 1.0 / 7.0;
  row.peak_memory_bytes = 81'000'000'000LL;
  row.memory_source = "cuda-allocator";
  row.provenance.trainbench_version = "0.1.0";
  row.provenance.git_commit = "abc1234";
  row.provenance.device_name = "Lab GPU";
  row.provenance.threads = 16;
  row.provenance.container = true;
  row.provenance.timestamp_utc = "2026-12-09T10:14:14Z";
  return row;
}

store::TrainRecord bundle_train_record(int index, double val_accuracy, double images_per_sec) {
  store::TrainRecord record;
  record.run_dir = "/lab/runs/run" + std::to_string(index);  // not on this machine: compare says so
  // A finished Fashion-MNIST run (the default job's shape).
  record.summary = nlohmann::json::parse(R"({"model": "resnet18", "device": "cpu", "device_name": "Lab CPU",
      "amp": "off", "img_size": 28, "batch_size": 512, "epochs": 4, "train_images": 60000, "val_images": 10000,
      "val_loss": 0.26, "interrupted": false})");
  record.summary["val_accuracy"] = val_accuracy;
  record.summary["train_images_per_sec"] = images_per_sec;
  record.summary["first_epoch_images_per_sec"] = images_per_sec * 0.8;
  record.config = train::to_json(train::TrainConfig{});
  record.provenance.device_name = "Lab CPU";
  record.provenance.timestamp_utc = "2026-12-09T11:00:0" + std::to_string(index) + "Z";
  return record;
}

// Store A of the lab machine: three bench rows (the first two the same test)
// and two training runs.
fs::path bundle_source_store(const TempDir& dir) {
  const fs::path path = dir / "lab.db";
  store::ResultsStore results = store::ResultsStore::open(path);
  results.insert_bench(bundle_bench_row("train", {199.0, 200.0, 201.0}));
  results.insert_bench(bundle_bench_row("train", {149.0, 150.0, 151.0}));
  store::BenchRow failed = bundle_bench_row("infer", {});
  failed.status = "failed";
  failed.error = "CUDA out of memory; \"quoted\" and ; kept";
  failed.peak_memory_bytes.reset();
  failed.forward_seconds.reset();
  results.insert_bench(failed);
  results.insert_train(bundle_train_record(1, 0.9073, 950.0));
  results.insert_train(bundle_train_record(2, 0.9045, 712.5));
  return path;
}

std::size_t stored_row_count(const fs::path& db, store::ResultKind kind) {
  return store::ResultsStore::open(db).query(kind, {}).rows.size();
}

// `results -o json` of a store, each row without its "id" (ids are per store).
nlohmann::json listed_without_ids(const fs::path& db, const std::string& kind) {
  const BundleCommandOutput out = run_bundle_command("results --db " + quoted(db) + " --kind " + kind + " -o json", false);
  EXPECT_EQ(out.exit_code, 0) << out.text;
  nlohmann::json rows = nlohmann::json::parse(out.text);
  for (auto& row : rows) row.erase("id");
  return rows;
}

TEST(ResultsBundleCommand, ExportThenImportGivesTheSameRowsAndComparisons) {
  TempDir dir;
  const fs::path lab = bundle_source_store(dir);
  const fs::path home = dir / "home.db";  // not there yet: import creates it
  const fs::path bundle = dir / "lab.tbr.json";

  const BundleCommandOutput exported =
      run_bundle_command("results export --db " + quoted(lab) + " --out " + quoted(bundle));
  ASSERT_EQ(exported.exit_code, 0) << exported.text;
  EXPECT_NE(exported.text.find("wrote 3 bench rows and 2 training runs from " + lab.string() + " to " + bundle.string()),
            std::string::npos)
      << exported.text;
  const nlohmann::json file = testing::read_json(bundle);
  EXPECT_EQ(file["format"], "trainbench-results-bundle");
  EXPECT_EQ(file["bundle_version"], 1);
  EXPECT_EQ(file["schema_version"], store::newest_schema_version());
  EXPECT_FALSE(file["exported_from"]["hostname"].get<std::string>().empty());
  ASSERT_EQ(file["bench"].size(), 3u);
  ASSERT_EQ(file["train"].size(), 2u);
  for (const char* kind : {"bench", "train"}) {
    for (const auto& row : file[kind]) {
      EXPECT_FALSE(row.contains("id")) << row.dump();
      EXPECT_EQ(row["row_uid"].get<std::string>().size(), 32u) << row.dump();
    }
  }
  EXPECT_EQ(file["bench"][2]["error"], "CUDA out of memory; \"quoted\" and ; kept");
  EXPECT_FALSE(file["bench"][2].contains("peak_memory_bytes"));  // NULL: left out
  EXPECT_EQ(nlohmann::json::parse(file["train"][1]["summary_json"].get<std::string>())["val_accuracy"], 0.9045);

  const BundleCommandOutput imported = run_bundle_command("results import " + quoted(bundle) + " --db " + quoted(home));
  ASSERT_EQ(imported.exit_code, 0) << imported.text;
  EXPECT_NE(imported.text.find(bundle.string() + ": 3 new bench rows, 2 new runs, 0 already present"), std::string::npos)
      << imported.text;

  // The same rows, every column, in the same order.
  const nlohmann::json lab_bench = listed_without_ids(lab, "bench");
  ASSERT_EQ(lab_bench.size(), 3u);
  EXPECT_EQ(lab_bench[1]["images_per_sec"], 150.0);
  EXPECT_EQ(listed_without_ids(home, "bench"), lab_bench);
  const nlohmann::json lab_train = listed_without_ids(lab, "train");
  ASSERT_EQ(lab_train.size(), 2u);
  EXPECT_EQ(listed_without_ids(home, "train"), lab_train);

  // compare reads them at home as it did in the lab.
  for (const std::string& pair : {std::string("1 2"), std::string("train:1 train:2")}) {
    const BundleCommandOutput in_lab = run_bundle_command("compare --db " + quoted(lab) + " " + pair + " -o json", false);
    const BundleCommandOutput at_home = run_bundle_command("compare --db " + quoted(home) + " " + pair + " -o json", false);
    ASSERT_EQ(in_lab.exit_code, 0) << in_lab.text;
    ASSERT_EQ(at_home.exit_code, 0) << at_home.text;
    EXPECT_EQ(at_home.text, in_lab.text) << pair;
    const nlohmann::json json = nlohmann::json::parse(at_home.text);
    ASSERT_FALSE(json["pairs"].empty()) << json.dump(2);
    EXPECT_NEAR(json["pairs"][0]["ratio"].get<double>(), 0.75, 1e-9) << json.dump(2);  // 150 vs 200, 712.5 vs 950
  }

  // Again: nothing new, in either direction (the rows kept their row_uid).
  const BundleCommandOutput again = run_bundle_command("results import " + quoted(bundle) + " --db " + quoted(home));
  ASSERT_EQ(again.exit_code, 0) << again.text;
  EXPECT_NE(again.text.find(": 0 new bench rows, 0 new runs, 5 already present"), std::string::npos) << again.text;
  EXPECT_EQ(stored_row_count(home, store::ResultKind::kBench), 3u);
  EXPECT_EQ(stored_row_count(home, store::ResultKind::kTrain), 2u);
  const fs::path back = dir / "back.tbr.json";
  ASSERT_EQ(run_bundle_command("results export --db " + quoted(home) + " --out " + quoted(back)).exit_code, 0);
  const BundleCommandOutput returned = run_bundle_command("results import " + quoted(back) + " --db " + quoted(lab));
  EXPECT_NE(returned.text.find(": 0 new bench rows, 0 new runs, 5 already present"), std::string::npos) << returned.text;
  EXPECT_EQ(stored_row_count(lab, store::ResultKind::kBench), 3u);
}

TEST(ResultsBundleCommand, BadBundlesChangeNothing) {
  TempDir dir;
  const fs::path lab = bundle_source_store(dir);
  const fs::path good = dir / "good.tbr.json";
  ASSERT_EQ(run_bundle_command("results export --db " + quoted(lab) + " --out " + quoted(good)).exit_code, 0);
  const std::string good_text = testing::read_text_file(good);
  nlohmann::ordered_json good_json = nlohmann::ordered_json::parse(good_text);

  const fs::path truncated = dir / "truncated.tbr.json";
  std::ofstream(truncated) << good_text.substr(0, good_text.size() / 2);
  const fs::path wrong_type = dir / "wrong-type.tbr.json";
  {
    nlohmann::ordered_json spoiled = good_json;
    spoiled["train"][1]["val_accuracy"] = "0.99";
    std::ofstream(wrong_type) << spoiled.dump(2);
  }
  const fs::path long_name = dir / "long-name.tbr.json";
  {
    nlohmann::ordered_json spoiled = good_json;
    spoiled["bench"][2]["model"] = std::string(1 << 20, 'm');
    std::ofstream(long_name) << spoiled.dump();
  }

  // A store with rows of its own, and one not there yet.
  const fs::path home = dir / "home.db";
  {
    store::ResultsStore results = store::ResultsStore::open(home);
    results.insert_bench(bundle_bench_row("infer", {10.0}));
  }
  const fs::path unborn = dir / "unborn.db";
  const struct {
    fs::path file;
    std::string message;
  } cases[] = {
      {truncated, truncated.string() + ": not JSON: parse error at line"},
      {wrong_type, wrong_type.string() + ": train[1]: field \"val_accuracy\" must be a number, not string \"0.99\""},
      {long_name, long_name.string() + ": bench[2]: field \"model\" is 1048576 bytes long, over the 64 KiB limit"},
  };
  for (const auto& bad : cases) {
    // The good bundle first: every file is checked before any is imported.
    for (const fs::path& db : {home, unborn}) {
      const BundleCommandOutput out =
          run_bundle_command("results import " + quoted(good) + " " + quoted(bad.file) + " --db " + quoted(db));
      EXPECT_EQ(out.exit_code, 1) << out.text;
      EXPECT_NE(out.text.find("trainbench: error: " + bad.message), std::string::npos) << out.text;
      EXPECT_EQ(out.text.find("new bench rows"), std::string::npos) << out.text;
    }
    EXPECT_EQ(stored_row_count(home, store::ResultKind::kBench), 1u) << bad.file;
    EXPECT_EQ(stored_row_count(home, store::ResultKind::kTrain), 0u) << bad.file;
    EXPECT_FALSE(fs::exists(unborn)) << bad.file;
  }
  const BundleCommandOutput truncated_out = run_bundle_command("results import " + quoted(truncated) + " --db " + quoted(home));
  EXPECT_NE(truncated_out.text.find("(is the file cut short?)"), std::string::npos) << truncated_out.text;

  const BundleCommandOutput not_bundle =
      run_bundle_command("results import " + quoted(lab) + " --db " + quoted(home));  // the SQLite file itself
  EXPECT_EQ(not_bundle.exit_code, 1);
  EXPECT_NE(not_bundle.text.find(lab.string() + ": not JSON"), std::string::npos) << not_bundle.text;
  EXPECT_EQ(stored_row_count(home, store::ResultKind::kBench), 1u);
}

TEST(ResultsBundleCommand, ExportOptions) {
  TempDir dir;
  const fs::path lab = bundle_source_store(dir);
  const fs::path bundle = dir / "bf16-train.tbr.json";
  const BundleCommandOutput filtered = run_bundle_command("results export --db " + quoted(lab) + " --out " +
                                                          quoted(bundle) + " --kind bench --filter mode=train");
  ASSERT_EQ(filtered.exit_code, 0) << filtered.text;
  EXPECT_NE(filtered.text.find("wrote 2 bench rows and 0 training runs"), std::string::npos) << filtered.text;
  const nlohmann::json file = testing::read_json(bundle);
  ASSERT_EQ(file["bench"].size(), 2u);
  EXPECT_EQ(file["bench"][1]["images_per_sec"], 150.0);
  EXPECT_TRUE(file["train"].empty());

  // An existing file is kept unless --overwrite; the listing's --db serves too.
  const std::string before = testing::read_text_file(bundle);
  const BundleCommandOutput refused = run_bundle_command("results --db " + quoted(lab) + " export --out " + quoted(bundle));
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.text.find(bundle.string() + " exists; pass --overwrite to replace it"), std::string::npos)
      << refused.text;
  EXPECT_EQ(testing::read_text_file(bundle), before);
  const BundleCommandOutput replaced =
      run_bundle_command("results --db " + quoted(lab) + " export --kind train --overwrite --out " + quoted(bundle));
  ASSERT_EQ(replaced.exit_code, 0) << replaced.text;
  EXPECT_NE(replaced.text.find("wrote 0 bench rows and 2 training runs"), std::string::npos) << replaced.text;

  const BundleCommandOutput bench_only_column = run_bundle_command(
      "results export --db " + quoted(lab) + " --out " + quoted(dir / "x.tbr.json") + " --filter 'images_per_sec>100'");
  EXPECT_EQ(bench_only_column.exit_code, 1);
  EXPECT_NE(bench_only_column.text.find("pass --kind bench or --kind train"), std::string::npos) << bench_only_column.text;
  EXPECT_FALSE(fs::exists(dir / "x.tbr.json"));

  const BundleCommandOutput no_store = run_bundle_command("results export --db " + quoted(dir / "missing.db") +
                                                          " --out " + quoted(dir / "y.tbr.json"));
  EXPECT_EQ(no_store.exit_code, 1);
  EXPECT_NE(no_store.text.find("no results database at " + (dir / "missing.db").string()), std::string::npos)
      << no_store.text;
  EXPECT_FALSE(fs::exists(dir / "missing.db"));

  const BundleCommandOutput export_help = run_bundle_command("results export --help");
  EXPECT_EQ(export_help.exit_code, 0);
  EXPECT_NE(export_help.text.find("--out"), std::string::npos) << export_help.text;
  EXPECT_NE(export_help.text.find("row_uid"), std::string::npos) << export_help.text;
  const BundleCommandOutput import_help = run_bundle_command("results import --help");
  EXPECT_EQ(import_help.exit_code, 0);
  EXPECT_NE(import_help.text.find("already present"), std::string::npos) << import_help.text;
  const BundleCommandOutput results_help = run_bundle_command("results --help");
  EXPECT_NE(results_help.text.find("export"), std::string::npos) << results_help.text;
  EXPECT_NE(results_help.text.find("--kind"), std::string::npos) << results_help.text;
}

// A bundle crosses the two kinds of store both ways: file -> server ->
// file, and every store lists the same rows.
TEST(ResultsBundleCommand, ABundleMovesFromAFileToAServerAndBack) {
  TempDir dir;
  const fs::path lab = bundle_source_store(dir);
  const fs::path server = testing::PostgresServer::shared().new_database_url();
  const fs::path home = dir / "home.db";
  ASSERT_EQ(run_bundle_command("results export --db " + quoted(lab) + " --out " + quoted(dir / "a.tbr.json")).exit_code, 0);
  const BundleCommandOutput into_server =
      run_bundle_command("results import " + quoted(dir / "a.tbr.json") + " --db " + quoted(server));
  ASSERT_EQ(into_server.exit_code, 0) << into_server.text;
  EXPECT_NE(into_server.text.find("3 new bench rows, 2 new runs, 0 already present"), std::string::npos) << into_server.text;
  const BundleCommandOutput from_server =
      run_bundle_command("results export --db " + quoted(server) + " --out " + quoted(dir / "b.tbr.json"));
  ASSERT_EQ(from_server.exit_code, 0) << from_server.text;
  ASSERT_EQ(run_bundle_command("results import " + quoted(dir / "b.tbr.json") + " --db " + quoted(home)).exit_code, 0);
  // Back into the file it came from: all of it is there already.
  const BundleCommandOutput again = run_bundle_command("results import " + quoted(dir / "b.tbr.json") + " --db " + quoted(lab));
  EXPECT_NE(again.text.find("0 new bench rows, 0 new runs, 5 already present"), std::string::npos) << again.text;
  for (const char* kind : {"bench", "train"}) {
    SCOPED_TRACE(kind);
    const nlohmann::json at_lab = listed_without_ids(lab, kind);
    EXPECT_EQ(listed_without_ids(server, kind), at_lab);
    EXPECT_EQ(listed_without_ids(home, kind), at_lab);
  }
}

}  // namespace
}  // namespace trainbench
