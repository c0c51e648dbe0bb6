// The bench row schema: every field is a column, to_row and
// bench_row_from_json invert each other, and bad input names its field.
#include "store/bench_row.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "core/error.h"

namespace trainbench::store {
using core::Column;
using core::ColumnType;
using core::Row;
using core::Table;
using core::read_field;

namespace {

// A row with a non-default value in every field, provenance included.
BenchRow full_row() {
  BenchRow row;
  row.mode = "infer";
  row.model = "resnet50";
  row.device = "cuda:1";
  row.amp = "bf16";
  row.channels_last = true;
  row.batch_size = 128;
  row.requested_batch_size = 256;
  row.image_size = 224;
  row.workers = 6;
  row.input = "real";
  row.repetitions = 5;
  row.warmup_steps = 3;
  row.steps = 20;
  row.status = "failed";
  row.error = "CUDA out of memory";
  row.note = "out of memory at batch 256: ran at 128";
  row.images_per_sec = 1234.5678901234567;
  row.images_per_sec_std = 0.1 + 0.2;
  row.images_per_sec_samples = {1200.25, 1250.5, 1253.0};
  row.cold_step_seconds = 2.75;
  row.step_seconds = 0.10368;
  row.data_wait_seconds = 0.001;
  row.forward_seconds = 0.03;
  row.backward_seconds = 0.06;
  row.optimizer_seconds = 0.004;
  row.peak_memory_bytes = 12'884'901'888;  // 12 GiB: past 32 bits
  row.memory_source = "cuda-allocator";
  row.forward_flops_per_image = 8.2e9;
  row.step_flops_per_image = 2.46e10;
  row.achieved_tflops = 30.37;
  row.peak_tflops = 989.5;
  row.peak_fraction = 0.0307;
  row.process_cpu_percent = 98.5;
  row.gpu_utilization_percent = 99.0;
  row.gpu_memory_activity_percent = 55.5;
  row.gpu_power_watts = 690.0;
  row.world_size = 2;
  row.rank_images_per_sec = {617.25, 617.3};
  row.all_reduce_wait_seconds = 0.0125;
  core::Provenance& p = row.provenance;
  p.trainbench_version = "0.2.0";
  p.git_commit = "abc1234";
  p.libtorch_version = "2.11.0";
  p.device_name = "NVIDIA H100 80GB HBM3";
  p.driver_version = "550.54.14";
  p.runtime_version = "CUDA 12.4";
  p.cpu_model = "AMD EPYC 9654";
  p.threads = 16;
  p.os = "Ubuntu 22.04.4 LTS";
  p.kernel = "5.15.0-105-generic";
  p.wsl = true;
  p.container = true;
  p.timestamp_utc = "2026-11-27T10:14:14Z";
  return row;
}

std::vector<std::string> names(const std::vector<Column>& columns) {
  std::vector<std::string> out;
  for (const Column& c : columns) out.push_back(c.name);
  return out;
}

TEST(BenchRowTest, ColumnsAreUniqueDescribedAndEndWithTheProvenance) {
  const std::vector<Column>& columns = bench_columns();
  ASSERT_EQ(columns.size(), 39u + 13u);  // 39 BenchRow fields, 13 Provenance fields
  std::set<std::string> seen;
  for (const Column& c : columns) {
    EXPECT_TRUE(seen.insert(c.name).second) << "duplicate column " << c.name;
    EXPECT_FALSE(c.description.empty()) << c.name;
    EXPECT_EQ(c.description.find('\n'), std::string::npos) << c.name;
  }
  const std::vector<Column>& provenance = core::provenance_columns();
  ASSERT_EQ(provenance.size(), 13u);
  for (std::size_t i = 0; i < provenance.size(); ++i) {
    EXPECT_EQ(columns[columns.size() - provenance.size() + i].name, provenance[i].name);
  }
  EXPECT_EQ(columns.front().name, "mode");
  EXPECT_EQ(columns.back().name, "timestamp_utc");
}

TEST(BenchRowTest, ColumnTypesFollowTheFields) {
  std::map<std::string, ColumnType> types;
  for (const Column& c : bench_columns()) types[c.name] = c.type;
  EXPECT_EQ(types.at("model"), ColumnType::kText);
  EXPECT_EQ(types.at("channels_last"), ColumnType::kBool);
  EXPECT_EQ(types.at("batch_size"), ColumnType::kInteger);
  EXPECT_EQ(types.at("images_per_sec"), ColumnType::kReal);
  EXPECT_EQ(types.at("images_per_sec_samples"), ColumnType::kRealList);
  EXPECT_EQ(types.at("peak_memory_bytes"), ColumnType::kInteger);
  EXPECT_EQ(types.at("peak_fraction"), ColumnType::kReal);
  EXPECT_EQ(types.at("threads"), ColumnType::kInteger);
  EXPECT_EQ(types.at("wsl"), ColumnType::kBool);
}

TEST(BenchRowTest, RowKeysAreExactlyTheColumnNamesInOrder) {
  const Row row = to_row(full_row());
  std::vector<std::string> keys;
  for (const auto& item : row.items()) keys.push_back(item.key());
  EXPECT_EQ(keys, names(bench_columns()));
  EXPECT_EQ(to_row(BenchRow{}).size(), bench_columns().size());
}

TEST(BenchRowTest, RowValuesHaveTheColumnTypesAndEmptyOptionalsAreNull) {
  const Row row = to_row(full_row());
  EXPECT_EQ(row["model"], "resnet50");
  EXPECT_EQ(row["channels_last"], true);
  EXPECT_EQ(row["batch_size"], 128);
  EXPECT_EQ(row["peak_memory_bytes"].get<std::int64_t>(), 12'884'901'888);
  EXPECT_EQ(row["images_per_sec_samples"], Row::array({1200.25, 1250.5, 1253.0}));
  EXPECT_EQ(row["threads"], 16);
  EXPECT_EQ(row["device_name"], "NVIDIA H100 80GB HBM3");

  const Row defaults = to_row(BenchRow{});
  for (const char* name : {"data_wait_seconds", "forward_seconds", "backward_seconds", "optimizer_seconds",
                           "peak_memory_bytes", "peak_tflops", "peak_fraction", "process_cpu_percent",
                           "gpu_utilization_percent", "gpu_memory_activity_percent", "gpu_power_watts",
                           "all_reduce_wait_seconds"}) {
    EXPECT_TRUE(defaults[name].is_null()) << name;
  }
  EXPECT_TRUE(defaults["images_per_sec_samples"].is_array());
  EXPECT_EQ(defaults["images_per_sec"], 0.0);
  EXPECT_EQ(defaults["status"], "ok");
  EXPECT_EQ(defaults["world_size"], 1);
  EXPECT_TRUE(defaults["rank_images_per_sec"].is_array());
}

TEST(BenchRowTest, RoundTripsEveryFieldThroughJsonText) {
  const BenchRow original = full_row();
  const Row row = to_row(original);
  // The full row differs from the defaults in every column, so the round
  // trip below checks each field rather than a default read back as itself.
  const Row defaults = to_row(BenchRow{});
  for (const Column& c : bench_columns()) EXPECT_NE(row[c.name], defaults[c.name]) << c.name;

  const BenchRow back = bench_row_from_json(nlohmann::json::parse(row.dump()));
  EXPECT_EQ(to_row(back), row);
  EXPECT_EQ(back.images_per_sec, 1234.5678901234567);  // every bit
  EXPECT_EQ(back.images_per_sec_std, 0.1 + 0.2);
  EXPECT_EQ(back.peak_memory_bytes, std::optional<std::int64_t>(12'884'901'888));
  EXPECT_EQ(back.provenance.timestamp_utc, "2026-11-27T10:14:14Z");
  EXPECT_TRUE(back.provenance.container);

  // And the defaults (empty optionals as null) come back as defaults.
  const BenchRow empty = bench_row_from_json(nlohmann::json::parse(defaults.dump()));
  EXPECT_FALSE(empty.forward_seconds.has_value());
  EXPECT_FALSE(empty.peak_memory_bytes.has_value());
  EXPECT_EQ(to_row(empty), defaults);
}

TEST(BenchRowTest, MissingKeysKeepDefaultsAndExplicitNullClearsAnOptional) {
  const BenchRow row = bench_row_from_json(nlohmann::json{{"model", "resnet18"}, {"image_size", 160}, {"peak_tflops", nullptr}});
  EXPECT_EQ(row.model, "resnet18");
  EXPECT_EQ(row.image_size, 160);
  EXPECT_EQ(row.mode, "train");
  EXPECT_EQ(row.amp, "off");
  EXPECT_FALSE(row.peak_tflops.has_value());
  EXPECT_EQ(row.provenance.threads, 0);
}

TEST(BenchRowTest, ReadsWhatSqliteAndCsvGiveBack) {
  // SQLite has no booleans and the sql printer writes lists as text.
  const BenchRow row = bench_row_from_json(nlohmann::json{
      {"channels_last", 1}, {"wsl", 0}, {"images_per_sec_samples", "10.5;11;12.25"}, {"batch_size", 64.0}});
  EXPECT_TRUE(row.channels_last);
  EXPECT_FALSE(row.provenance.wsl);
  EXPECT_EQ(row.images_per_sec_samples, (std::vector<double>{10.5, 11.0, 12.25}));
  EXPECT_EQ(row.batch_size, 64);
  EXPECT_TRUE(bench_row_from_json(nlohmann::json{{"images_per_sec_samples", ""}}).images_per_sec_samples.empty());
}

void expect_usage_error_naming(const nlohmann::json& json, const std::string& field) {
  try {
    bench_row_from_json(json);
    ADD_FAILURE() << "no error for " << json.dump();
  } catch (const UsageError& error) {
    EXPECT_NE(std::string(error.what()).find("\"" + field + "\""), std::string::npos) << error.what();
  }
}

TEST(BenchRowTest, WrongTypesAreUsageErrorsNamingTheField) {
  expect_usage_error_naming({{"image_size", "160"}}, "image_size");
  expect_usage_error_naming({{"image_size", 160.5}}, "image_size");
  expect_usage_error_naming({{"batch_size", 5'000'000'000}}, "batch_size");
  expect_usage_error_naming({{"model", 18}}, "model");
  expect_usage_error_naming({{"channels_last", "yes"}}, "channels_last");
  expect_usage_error_naming({{"channels_last", 2}}, "channels_last");
  expect_usage_error_naming({{"images_per_sec", "fast"}}, "images_per_sec");
  expect_usage_error_naming({{"images_per_sec_samples", {1.0, "two"}}}, "images_per_sec_samples");
  expect_usage_error_naming({{"images_per_sec_samples", "1;x"}}, "images_per_sec_samples");
  expect_usage_error_naming({{"forward_seconds", true}}, "forward_seconds");
  expect_usage_error_naming({{"threads", "two"}}, "threads");
  expect_usage_error_naming({{"timestamp_utc", 1764238454}}, "timestamp_utc");
  EXPECT_THROW(bench_row_from_json(nlohmann::json::array({1, 2})), UsageError);
}

TEST(BenchRowTest, KeyColumnsNameTheTestAndAreColumns) {
  EXPECT_EQ(bench_key_columns(), (std::vector<std::string>{"mode", "model", "device", "amp", "channels_last",
                                                           "requested_batch_size", "image_size", "workers", "input"}));
  const std::vector<std::string> all = names(bench_columns());
  for (const std::string& key : bench_key_columns()) {
    EXPECT_NE(std::find(all.begin(), all.end(), key), all.end()) << key;
  }
}

}  // namespace
}  // namespace trainbench::store
