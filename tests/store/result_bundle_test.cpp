// Results bundles (store/result_bundle.h): what the parser accepts, every
// reason it refuses one (each naming the row and field), and its limits,
// against the columns this build's store really keeps.
#include "store/result_bundle.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "core/error.h"
#include "store/results_store.h"
#include "test_support.h"

namespace trainbench {
namespace {

using Json = nlohmann::ordered_json;
using store::BundleLimits;
using store::ResultBundle;

store::BundleSchema bundle_test_schema() {
  return {store::newest_schema_version(), store::stored_columns(store::ResultKind::kBench),
          store::stored_columns(store::ResultKind::kTrain)};
}

Json bundle_test_bench_row(const std::string& uid) {
  return Json{{"mode", "train"},
              {"model", "resnet18d"},
              {"device", "cuda:0"},
              {"amp", "bf16"},
              {"channels_last", true},
              {"batch_size", 32},
              {"images_per_sec", 1234.5678901234567},
              {"images_per_sec_samples", {1.0 / 3.0, 1234.5678901234567, 2.5e300}},
              {"peak_memory_bytes", 81'000'000'000LL},
              {"device_name", "NVIDIA H100 80GB HBM3"},
              {"row_uid", uid}};
}

Json bundle_test_train_row(const std::string& uid) {
  return Json{{"run_dir", "/runs/first"},
              {"model", "resnet18d"},
              {"image_size", 288},
              {"val_accuracy", 0.994},
              {"interrupted", false},
              {"row_uid", uid},
              {"summary_json", R"({"model":"resnet18d","val_accuracy":0.994})"},
              {"config_json", R"({"epochs":3})"}};
}

const std::string kUidA = "0123456789abcdef0123456789abcdef";
const std::string kUidB = "fedcba9876543210fedcba9876543210";

// A valid bundle as JSON, to be spoiled one way per test.
Json bundle_test_json() {
  ResultBundle bundle;
  bundle.schema_version = store::newest_schema_version();
  bundle.exported_at = "2026-12-09T10:14:14Z";
  bundle.exported_from = {"lab-1", "0.1.0", "abc1234"};
  bundle.bench = {bundle_test_bench_row(kUidA), bundle_test_bench_row(kUidB)};
  bundle.train = {bundle_test_train_row(kUidA)};  // a uid need only be unique within its kind
  return Json::parse(store::serialize_result_bundle(bundle));
}

ResultBundle parse_bundle_text(const std::string& text, const BundleLimits& limits = {}) {
  return store::parse_result_bundle(text, bundle_test_schema(), "lab.tbr.json", limits);
}

// The UsageError message the text is refused with ("" when it is accepted).
std::string bundle_refusal(const std::string& text, const BundleLimits& limits = {}) {
  try {
    parse_bundle_text(text, limits);
  } catch (const UsageError& error) {
    return error.what();
  }
  return "";
}
std::string bundle_refusal(const Json& bundle, const BundleLimits& limits = {}) {
  return bundle_refusal(bundle.dump(), limits);
}

#define EXPECT_REFUSED_WITH(message, expected) \
  EXPECT_NE(std::string(message).find(expected), std::string::npos) << "message: " << (message)

TEST(ResultBundle, RoundTripKeepsEveryValueExactly) {
  const Json written = bundle_test_json();
  EXPECT_EQ(written["format"], "trainbench-results-bundle");
  EXPECT_EQ(written["bundle_version"], 1);
  const ResultBundle bundle = parse_bundle_text(written.dump());
  EXPECT_EQ(bundle.schema_version, store::newest_schema_version());
  EXPECT_EQ(bundle.exported_at, "2026-12-09T10:14:14Z");
  EXPECT_EQ(bundle.exported_from.hostname, "lab-1");
  EXPECT_EQ(bundle.exported_from.trainbench_version, "0.1.0");
  EXPECT_EQ(bundle.exported_from.git_commit, "abc1234");
  ASSERT_EQ(bundle.bench.size(), 2u);
  ASSERT_EQ(bundle.train.size(), 1u);
  EXPECT_EQ(bundle.bench[0], bundle_test_bench_row(kUidA));
  EXPECT_EQ(bundle.bench[1]["row_uid"], kUidB);
  EXPECT_EQ(bundle.bench[0]["images_per_sec"].get<double>(), 1234.5678901234567);
  EXPECT_EQ(bundle.bench[0]["images_per_sec_samples"][2].get<double>(), 2.5e300);
  EXPECT_EQ(bundle.bench[0]["peak_memory_bytes"].get<std::int64_t>(), 81'000'000'000LL);
  EXPECT_EQ(bundle.train[0], bundle_test_train_row(kUidA));

  // Written again, the same text.
  EXPECT_EQ(store::serialize_result_bundle(bundle), store::serialize_result_bundle(parse_bundle_text(written.dump())));
  EXPECT_EQ(Json::parse(store::serialize_result_bundle(bundle)), written);
}

TEST(ResultBundle, NullsAreDroppedAndWholeNumbersOfRealColumnsBecomeReals) {
  Json bundle = bundle_test_json();
  bundle["bench"][0]["amp"] = nullptr;
  bundle["bench"][0]["images_per_sec"] = 120;
  bundle["train"][0]["config_json"] = "null";  // a run stored without its config
  const ResultBundle parsed = parse_bundle_text(bundle.dump());
  EXPECT_FALSE(parsed.bench[0].contains("amp"));
  EXPECT_TRUE(parsed.bench[0]["images_per_sec"].is_number_float());
  EXPECT_EQ(parsed.bench[0]["images_per_sec"].get<double>(), 120.0);
  EXPECT_EQ(parsed.train[0]["config_json"], "null");
}

TEST(ResultBundle, OlderSchemasAndFewColumnsAreAccepted) {
  Json bundle = bundle_test_json();
  bundle["schema_version"] = 1;
  bundle["bench"] = Json::array({Json{{"row_uid", kUidA}, {"mode", "infer"}, {"model", "m"}, {"device", "cpu"},
                                      {"images_per_sec", 1.5}}});
  bundle["train"] = Json::array({Json{{"row_uid", kUidA}, {"model", "m"}, {"summary_json", "{}"}}});
  const ResultBundle parsed = parse_bundle_text(bundle.dump());
  EXPECT_EQ(parsed.schema_version, 1);
  EXPECT_EQ(parsed.bench[0].size(), 5u);
  EXPECT_EQ(parsed.train[0].size(), 3u);
}

TEST(ResultBundle, RefusesWhatIsNotABundleOfThisBuild) {
  EXPECT_REFUSED_WITH(bundle_refusal(std::string("hello")), "lab.tbr.json: not JSON: parse error at line 1");
  const std::string text = bundle_test_json().dump();
  EXPECT_REFUSED_WITH(bundle_refusal(text.substr(0, text.size() - 30)), "(is the file cut short?)");
  EXPECT_REFUSED_WITH(bundle_refusal(std::string("[1,2]")), "not a trainbench results bundle");
  Json wrong_tag = bundle_test_json();
  wrong_tag["format"] = "trainbench-run";
  EXPECT_REFUSED_WITH(bundle_refusal(wrong_tag), "not a trainbench results bundle");

  Json newer = bundle_test_json();
  newer["bundle_version"] = 2;
  EXPECT_REFUSED_WITH(bundle_refusal(newer), "\"bundle_version\" is 2, newer than this build of trainbench reads (1)");
  Json newer_schema = bundle_test_json();
  newer_schema["schema_version"] = store::newest_schema_version() + 1;
  EXPECT_REFUSED_WITH(bundle_refusal(newer_schema),
                      "\"schema_version\" is " + std::to_string(store::newest_schema_version() + 1) + ", newer");
  for (const Json& bad : {Json(0), Json(-1), Json("1"), Json(1.5)}) {
    Json bundle = bundle_test_json();
    bundle["schema_version"] = bad;
    EXPECT_REFUSED_WITH(bundle_refusal(bundle), "\"schema_version\" must be a positive whole number");
  }
}

TEST(ResultBundle, RefusesMissingUnknownAndMistypedTopLevelFields) {
  for (const char* key : {"bundle_version", "schema_version", "exported_at", "exported_from", "bench", "train"}) {
    Json bundle = bundle_test_json();
    bundle.erase(key);
    EXPECT_REFUSED_WITH(bundle_refusal(bundle), std::string("lab.tbr.json: missing \"") + key + "\"");
  }
  Json extra = bundle_test_json();
  extra["comment"] = "hand-made";
  EXPECT_REFUSED_WITH(bundle_refusal(extra), "lab.tbr.json: unknown field \"comment\" (known: format,");
  Json origin = bundle_test_json();
  origin["exported_from"]["user"] = "me";
  EXPECT_REFUSED_WITH(bundle_refusal(origin), "lab.tbr.json: exported_from: unknown field \"user\"");
  Json origin_type = bundle_test_json();
  origin_type["exported_from"]["hostname"] = 7;
  EXPECT_REFUSED_WITH(bundle_refusal(origin_type), "exported_from: \"hostname\" must be text, not number 7");
  Json rows_type = bundle_test_json();
  rows_type["train"] = Json::object();
  EXPECT_REFUSED_WITH(bundle_refusal(rows_type), "\"train\" must be a list of rows, not object");
  Json row_type = bundle_test_json();
  row_type["bench"][1] = "row";
  EXPECT_REFUSED_WITH(bundle_refusal(row_type), "lab.tbr.json: bench[1]: must be a row");
}

TEST(ResultBundle, RefusesRowsWithUnknownOrMissingColumns) {
  Json with_id = bundle_test_json();
  with_id["bench"][1]["id"] = 2;
  EXPECT_REFUSED_WITH(bundle_refusal(with_id), "bench[1]: unknown field \"id\" (ids belong to one store");
  Json unknown = bundle_test_json();
  unknown["train"][0]["speed"] = 3;
  EXPECT_REFUSED_WITH(bundle_refusal(unknown), "train[0]: unknown field \"speed\" (this build stores no such column");

  for (const std::string& column : store::required_bench_columns()) {
    Json bundle = bundle_test_json();
    bundle["bench"][1].erase(column);
    EXPECT_REFUSED_WITH(bundle_refusal(bundle), "bench[1]: missing required field \"" + column + "\"");
    bundle["bench"][1][column] = nullptr;  // null is missing too
    EXPECT_REFUSED_WITH(bundle_refusal(bundle), "bench[1]: missing required field \"" + column + "\"");
  }
  for (const std::string& column : store::required_train_columns()) {
    Json bundle = bundle_test_json();
    bundle["train"][0].erase(column);
    EXPECT_REFUSED_WITH(bundle_refusal(bundle), "train[0]: missing required field \"" + column + "\"");
  }
}

TEST(ResultBundle, RequiredColumnsAreStoredColumns) {
  const store::BundleSchema schema = bundle_test_schema();
  const auto has = [](const std::vector<core::Column>& columns, const std::string& name) {
    for (const core::Column& column : columns) {
      if (column.name == name) return true;
    }
    return false;
  };
  for (const std::string& name : store::required_bench_columns()) EXPECT_TRUE(has(schema.bench, name)) << name;
  for (const std::string& name : store::required_train_columns()) EXPECT_TRUE(has(schema.train, name)) << name;
  EXPECT_FALSE(has(schema.bench, "id"));
}

TEST(ResultBundle, RefusesValuesOfTheWrongType) {
  const auto refusal_with = [](const char* kind, const std::string& column, const Json& value) {
    Json bundle = bundle_test_json();
    bundle[kind][0][column] = value;
    return bundle_refusal(bundle);
  };
  EXPECT_REFUSED_WITH(refusal_with("bench", "images_per_sec", "fast"),
                      "bench[0]: field \"images_per_sec\" must be a number, not string \"fast\"");
  EXPECT_REFUSED_WITH(refusal_with("bench", "batch_size", 1.5), "field \"batch_size\" must be a whole number");
  EXPECT_REFUSED_WITH(refusal_with("bench", "batch_size", Json(std::uint64_t(1) << 63)),
                      "field \"batch_size\" must be a whole number that fits 64 bits");
  EXPECT_REFUSED_WITH(refusal_with("bench", "channels_last", 1), "field \"channels_last\" must be true or false");
  EXPECT_REFUSED_WITH(refusal_with("bench", "images_per_sec_samples", Json::array({1.0, "2"})),
                      "field \"images_per_sec_samples\" must be a list of numbers");
  EXPECT_REFUSED_WITH(refusal_with("bench", "images_per_sec_samples", Json::object()),
                      "field \"images_per_sec_samples\" must be a list of numbers, not object");
  EXPECT_REFUSED_WITH(refusal_with("bench", "model", 5), "field \"model\" must be text, not number 5");
  EXPECT_REFUSED_WITH(refusal_with("bench", "model", std::string("res\0net", 7)), "field \"model\" holds a NUL");
  EXPECT_REFUSED_WITH(refusal_with("train", "val_accuracy", Json::array()),
                      "train[0]: field \"val_accuracy\" must be a number, not array");
  EXPECT_REFUSED_WITH(refusal_with("train", "summary_json", Json::object({{"model", "m"}})),
                      "train[0]: field \"summary_json\" must be text, not object");
  EXPECT_REFUSED_WITH(bundle_refusal(std::string(R"({"format":"trainbench-results-bundle","bundle_version":1e999})")),
                      "lab.tbr.json: not JSON: number overflow parsing '1e999'");
}

TEST(ResultBundle, RefusesMalformedAndDuplicateRowUids) {
  for (const std::string& bad : {std::string("0123456789ABCDEF0123456789ABCDEF"), kUidA.substr(1), kUidA + "0",
                                 std::string("0123456789abcdef0123456789abcdeg"), std::string("")}) {
    Json bundle = bundle_test_json();
    bundle["bench"][1]["row_uid"] = bad;
    EXPECT_REFUSED_WITH(bundle_refusal(bundle), "bench[1]: row_uid \"" + bad + "\" is not 32 lowercase hexadecimal digits");
  }
  Json twice = bundle_test_json();
  twice["bench"][1]["row_uid"] = kUidA;
  EXPECT_REFUSED_WITH(bundle_refusal(twice), "bench[1]: row_uid " + kUidA + " appears twice in \"bench\"");
}

TEST(ResultBundle, RefusesRunFilesThatAreNotJsonObjects) {
  const auto refusal_with = [](const std::string& column, const std::string& text) {
    Json bundle = bundle_test_json();
    bundle["train"][0][column] = text;
    return bundle_refusal(bundle);
  };
  EXPECT_REFUSED_WITH(refusal_with("summary_json", "[1,2]"), "train[0]: field \"summary_json\" must hold a JSON object, not array");
  EXPECT_REFUSED_WITH(refusal_with("summary_json", "null"), "must hold a JSON object, not null");
  EXPECT_REFUSED_WITH(refusal_with("config_json", "7"), "train[0]: field \"config_json\" must hold a JSON object, not number");
  EXPECT_REFUSED_WITH(refusal_with("summary_json", "{\"model\":"), "train[0]: field \"summary_json\" is not JSON");
  EXPECT_REFUSED_WITH(refusal_with("summary_json", std::string(65, '[') + std::string(65, ']')),
                      "train[0]: field \"summary_json\" is nested deeper than 64 levels");
  EXPECT_EQ(refusal_with("summary_json", "{\"a\":" + std::string(63, '[') + std::string(63, ']') + "}"), "");
}

TEST(ResultBundle, Limits) {
  const auto refusal_with = [](const char* kind, const std::string& column, const Json& value, BundleLimits limits = {}) {
    Json bundle = bundle_test_json();
    bundle[kind][0][column] = value;
    return bundle_refusal(bundle, limits);
  };
  // A text value: 64 KiB, summary_json and config_json 4 MiB.
  EXPECT_EQ(refusal_with("bench", "model", std::string(64 << 10, 'm')), "");
  EXPECT_REFUSED_WITH(refusal_with("bench", "model", std::string((64 << 10) + 1, 'm')),
                      "bench[0]: field \"model\" is 65537 bytes long, over the 64 KiB limit");
  const std::string big_summary = "{\"note\":\"" + std::string(1 << 20, 'n') + "\"}";
  EXPECT_EQ(refusal_with("train", "summary_json", big_summary), "");
  BundleLimits small_documents;
  small_documents.max_document_bytes = 1 << 19;
  EXPECT_REFUSED_WITH(refusal_with("train", "summary_json", big_summary, small_documents), "over the 512 KiB limit");
  // A string over the document limit anywhere is refused before a DOM is built.
  EXPECT_REFUSED_WITH(refusal_with("bench", "note", std::string((4 << 20) + 1, 'x')),
                      "lab.tbr.json: a string of 4194305 bytes (\"xxxxxxxxxxxxxxxxxxxx...\"), over the 4 MiB limit");

  BundleLimits two_rows;
  two_rows.max_rows = 1;
  EXPECT_REFUSED_WITH(bundle_refusal(bundle_test_json(), two_rows), "\"bench\" has 2 rows, over the limit of 1");
  BundleLimits short_lists;
  short_lists.max_list_values = 2;
  EXPECT_REFUSED_WITH(bundle_refusal(bundle_test_json(), short_lists),
                      "bench[0]: field \"images_per_sec_samples\" has 3 values, over the limit of 2");
  BundleLimits small_files;
  small_files.max_file_bytes = 100;
  EXPECT_REFUSED_WITH(bundle_refusal(bundle_test_json(), small_files), "bytes, over the 100 bytes a results bundle may be");

  // Deep nesting ends in a message, not a stack overflow (a million levels).
  const std::string deep = std::string(1'000'000, '[') + std::string(1'000'000, ']');
  EXPECT_REFUSED_WITH(bundle_refusal(deep), "lab.tbr.json: nested deeper than 16 levels");
  Json nested_value = bundle_test_json();
  nested_value["bench"][0]["note"] = Json::parse(std::string(20, '[') + std::string(20, ']'));
  EXPECT_REFUSED_WITH(bundle_refusal(nested_value), "nested deeper than 16 levels");
}

TEST(ResultBundle, ReadsFilesAndRefusesLargeOnesUnread) {
  testing::TempDir dir;
  const std::filesystem::path file = dir / "lab.tbr.json";
  std::ofstream(file) << bundle_test_json().dump(2);
  const ResultBundle bundle = store::read_result_bundle(file, bundle_test_schema());
  EXPECT_EQ(bundle.bench.size(), 2u);
  BundleLimits small_files;
  small_files.max_file_bytes = 1000;
  try {
    store::read_result_bundle(file, bundle_test_schema(), small_files);
    ADD_FAILURE() << "a file over the limit was read";
  } catch (const UsageError& error) {
    EXPECT_REFUSED_WITH(error.what(), file.string() + ": larger than the 1000 bytes a results bundle may be");
  }
  try {
    store::read_result_bundle(dir / "missing.tbr.json", bundle_test_schema());
    ADD_FAILURE() << "a missing file was read";
  } catch (const UsageError& error) {
    EXPECT_REFUSED_WITH(error.what(), "missing.tbr.json: No such file or directory");
  }
}

#undef EXPECT_REFUSED_WITH

}  // namespace
}  // namespace trainbench
