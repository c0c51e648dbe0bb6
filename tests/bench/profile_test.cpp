#include "bench/profile.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace trainbench::bench {
namespace {

ProfileRequest two_families(const std::string& best_amp) {
  ProfileRequest request;
  request.models = {{"ResNet", "resnet50", 224}, {"ViT", "vit_small_patch16_224", 224}};
  request.device = "cuda";
  request.best_amp = best_amp;
  request.batch_size = 64;
  return request;
}

// Model by model, the best precision before fp32, train before infer; each
// at its native size, the layout left to the device.
TEST(Profile, CasesAreEachFamilyAtBestPrecisionAndFp32TrainThenInfer) {
  const std::vector<BenchCase> cases = profile_cases(two_families("fp16"));
  ASSERT_EQ(cases.size(), 8u);
  const char* models[] = {"resnet50", "resnet50", "resnet50", "resnet50",
                          "vit_small_patch16_224", "vit_small_patch16_224", "vit_small_patch16_224",
                          "vit_small_patch16_224"};
  const char* amps[] = {"fp16", "fp16", "off", "off", "fp16", "fp16", "off", "off"};
  for (std::size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(describe(cases[i]));
    EXPECT_EQ(cases[i].model, models[i]);
    EXPECT_EQ(cases[i].amp, amps[i]);
    EXPECT_EQ(cases[i].mode, i % 2 == 0 ? "train" : "infer");
    EXPECT_EQ(cases[i].device, "cuda");
    EXPECT_EQ(cases[i].image_size, 224);
    EXPECT_EQ(cases[i].batch_size, 64);
    EXPECT_EQ(cases[i].channels_last, "auto");
    EXPECT_EQ(cases[i].input, "synthetic");
  }
}

// A device whose best is fp32 runs each test once; --img-size overrides the
// native sizes; nonsense is refused.
TEST(Profile, Fp32BestRunsOnceAndTheImageSizeCanBeGiven) {
  ProfileRequest request = two_families("off");
  request.image_size = 32;
  const std::vector<BenchCase> cases = profile_cases(request);
  ASSERT_EQ(cases.size(), 4u);
  for (const BenchCase& test : cases) {
    EXPECT_EQ(test.amp, "off");
    EXPECT_EQ(test.image_size, 32);
  }
  request.models.clear();
  EXPECT_THROW(profile_cases(request), UsageError);
  request = two_families("off");
  request.batch_size = 0;
  EXPECT_THROW(profile_cases(request), UsageError);
}

store::BenchRow row(const std::string& mode, const std::string& model, double images_per_sec, double tflops,
                    std::int64_t peak_bytes) {
  store::BenchRow r;
  r.mode = mode;
  r.model = model;
  r.device = "cpu";
  r.amp = "off";
  r.channels_last = true;
  r.image_size = 224;
  r.batch_size = r.requested_batch_size = 16;
  r.images_per_sec = images_per_sec;
  r.images_per_sec_std = images_per_sec / 10;
  r.achieved_tflops = tflops;
  r.peak_memory_bytes = peak_bytes;
  r.memory_source = "process-rss";
  return r;
}

// A model's train and infer rows become one line; figures are copied, memory
// in MiB; a back-off in one mode makes the line's batch the smaller; a
// failed mode leaves its figures empty and its error in the note.
TEST(Profile, TableJoinsTrainAndInferOfAModelIntoOneLine) {
  std::vector<store::BenchRow> rows = {row("train", "resnet50", 12.5, 0.154, 3LL << 30),
                                       row("infer", "resnet50", 40.0, 0.164, 1LL << 30),
                                       row("train", "vit_small_patch16_224", 8.0, 0.110, 2LL << 30),
                                       row("infer", "vit_small_patch16_224", 0.0, 0.0, 0)};
  rows[0].batch_size = 8;
  rows[0].note = "out of memory at batch 16: ran at 8";
  rows[3].status = "failed";
  rows[3].error = "boom";
  const core::Table table =
      profile_table(rows, {{"resnet50", "ResNet"}, {"vit_small_patch16_224", "ViT"}});
  ASSERT_EQ(table.rows.size(), 2u);
  const core::Row& resnet = table.rows[0];
  EXPECT_EQ(resnet["family"], "ResNet");
  EXPECT_EQ(resnet["model"], "resnet50");
  EXPECT_DOUBLE_EQ(resnet["train_images_per_sec"].get<double>(), 12.5);
  EXPECT_DOUBLE_EQ(resnet["train_images_per_sec_std"].get<double>(), 1.25);
  EXPECT_DOUBLE_EQ(resnet["train_tflops"].get<double>(), 0.154);
  EXPECT_DOUBLE_EQ(resnet["train_peak_memory_mib"].get<double>(), 3072.0);
  EXPECT_DOUBLE_EQ(resnet["infer_images_per_sec"].get<double>(), 40.0);
  EXPECT_DOUBLE_EQ(resnet["infer_peak_memory_mib"].get<double>(), 1024.0);
  EXPECT_EQ(resnet["batch_size"], 8);
  EXPECT_EQ(resnet["note"], "out of memory at batch 16: ran at 8");
  EXPECT_EQ(resnet["memory_source"], "process-rss");
  const core::Row& vit = table.rows[1];
  EXPECT_EQ(vit["family"], "ViT");
  EXPECT_DOUBLE_EQ(vit["train_images_per_sec"].get<double>(), 8.0);
  EXPECT_TRUE(vit["infer_images_per_sec"].is_null());
  EXPECT_TRUE(vit["infer_tflops"].is_null());
  EXPECT_EQ(vit["note"], "infer failed: boom");
  EXPECT_EQ(vit["batch_size"], 16);
  // Every line has every column, in the table's order.
  for (const core::Row& line : table.rows) EXPECT_EQ(line.size(), table.columns.size());
}

// Another precision of the same model is its own line, and an unknown
// model's family is empty rather than an error.
TEST(Profile, EachPrecisionIsItsOwnLine) {
  std::vector<store::BenchRow> rows = {row("train", "resnet50", 12.5, 0.154, 1), row("train", "resnet50", 20, 0.25, 1),
                                       row("train", "mystery", 1, 0.01, 1)};
  rows[1].amp = "bf16";
  const core::Table table = profile_table(rows, {{"resnet50", "ResNet"}});
  ASSERT_EQ(table.rows.size(), 3u);
  EXPECT_EQ(table.rows[0]["amp"], "off");
  EXPECT_EQ(table.rows[1]["amp"], "bf16");
  EXPECT_DOUBLE_EQ(table.rows[1]["train_images_per_sec"].get<double>(), 20.0);
  EXPECT_EQ(table.rows[2]["family"], "");
}

}  // namespace
}  // namespace trainbench::bench
