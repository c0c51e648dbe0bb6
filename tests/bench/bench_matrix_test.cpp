#include "bench/bench_matrix.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace trainbench::bench {
namespace {

TEST(BenchMatrix, IntegerListsAndRanges) {
  EXPECT_EQ(parse_int_list("32", "-b"), (std::vector<int>{32}));
  EXPECT_EQ(parse_int_list("16-128*2", "-b"), (std::vector<int>{16, 32, 64, 128}));
  EXPECT_EQ(parse_int_list("16-100*2", "-b"), (std::vector<int>{16, 32, 64}));  // stops before passing the end
  EXPECT_EQ(parse_int_list("32-96+32", "-b"), (std::vector<int>{32, 64, 96}));
  EXPECT_EQ(parse_int_list("1-4", "-b"), (std::vector<int>{1, 2, 3, 4}));
  EXPECT_EQ(parse_int_list("8, 16-64*2,100", "-b"), (std::vector<int>{8, 16, 32, 64, 100}));
  EXPECT_EQ(parse_int_list("5-5", "-b"), (std::vector<int>{5}));
}

TEST(BenchMatrix, BadListsNameTheOption) {
  for (const std::string bad : {"", "0", "-4", "a", "16,", "128-16", "16-128*1", "16-128*0", "16-128+0", "1.5",
                                "16-", "-16", "1-100000", "16-128*2*2"}) {
    try {
      parse_int_list(bad, "--img-size");
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const UsageError& error) {
      EXPECT_NE(std::string(error.what()).find("--img-size"), std::string::npos) << error.what();
    }
  }
}

TEST(BenchMatrix, LayoutsAndModes) {
  EXPECT_EQ(parse_layout_list("0,1"), (std::vector<std::string>{"0", "1"}));
  EXPECT_EQ(parse_layout_list("on, off ,auto"), (std::vector<std::string>{"1", "0", "auto"}));
  EXPECT_THROW(parse_layout_list("2"), UsageError);
  EXPECT_EQ(parse_modes("both"), (std::vector<std::string>{"train", "infer"}));
  EXPECT_EQ(parse_modes("infer"), (std::vector<std::string>{"infer"}));
  EXPECT_THROW(parse_modes("eval"), UsageError);
  EXPECT_THROW(parse_text_list("a,,b", "--model"), UsageError);
}

BenchMatrix small_matrix() {
  BenchMatrix matrix;
  matrix.models = {"resnet18", "resnet50"};
  matrix.devices = {"cpu"};
  matrix.image_sizes = {160};
  matrix.batch_sizes = {16, 32};
  matrix.amps = {"off", "bf16"};
  matrix.channels_last = {"0", "1"};
  matrix.inputs = {"synthetic"};
  matrix.workers = {1, 2};
  matrix.modes = {"train", "infer"};
  return matrix;
}

TEST(BenchMatrix, CartesianProductInAStableOrder) {
  const std::vector<BenchCase> tests = expand(small_matrix());
  // 2 models x 2 batches x 2 amps x 2 layouts x 2 modes; workers collapse for synthetic input.
  ASSERT_EQ(tests.size(), 32u);
  EXPECT_EQ(tests[0].model, "resnet18");
  EXPECT_EQ(tests[0].batch_size, 16);
  EXPECT_EQ(tests[0].amp, "off");
  EXPECT_EQ(tests[0].channels_last, "0");
  EXPECT_EQ(tests[0].mode, "train");
  EXPECT_EQ(tests[0].workers, 0);
  EXPECT_EQ(tests[1].mode, "infer");  // mode is innermost
  EXPECT_EQ(tests[2].channels_last, "1");
  EXPECT_EQ(tests[4].amp, "bf16");
  EXPECT_EQ(tests[8].batch_size, 32);
  EXPECT_EQ(tests[16].model, "resnet50");  // model is outermost
  EXPECT_EQ(tests[31].model, "resnet50");
  EXPECT_EQ(tests[31].mode, "infer");
  // Same matrix, same order.
  const std::vector<BenchCase> again = expand(small_matrix());
  for (std::size_t i = 0; i < tests.size(); ++i) EXPECT_EQ(describe(tests[i]), describe(again[i]));
}

TEST(BenchMatrix, WorkersVaryOnlyWithRealInputAndDuplicatesRunOnce) {
  BenchMatrix matrix = small_matrix();
  matrix.models = {"resnet18", "resnet18"};
  matrix.batch_sizes = {32};
  matrix.amps = {"off"};
  matrix.channels_last = {"1"};
  matrix.modes = {"train"};
  matrix.inputs = {"synthetic", "real"};
  const std::vector<BenchCase> tests = expand(matrix);
  ASSERT_EQ(tests.size(), 3u);
  EXPECT_EQ(tests[0].input, "synthetic");
  EXPECT_EQ(tests[0].workers, 0);
  EXPECT_EQ(tests[1].input, "real");
  EXPECT_EQ(tests[1].workers, 1);
  EXPECT_EQ(tests[2].workers, 2);
  EXPECT_EQ(describe(tests[2]), "resnet18 cpu 160px b32 amp=off channels-last real w2 train");
}

}  // namespace
}  // namespace trainbench::bench
