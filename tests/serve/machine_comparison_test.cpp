// The same bench test across machines: grouping by the bench key without the
// device, the newest row per machine, the baseline order, compare's verdicts.
#include "serve/machine_comparison.h"

#include <gtest/gtest.h>

#include "serve/measured_row.h"

namespace trainbench::serve {
namespace {

using testing::measured_row;

TEST(MachineComparison, PairsTheSameTestAcrossDevicesWithRatiosToTheFirstMachine) {
  const std::vector<store::BenchRow> rows = {
      measured_row("resnet18", "cpu", "AMD EPYC", 100.0),
      measured_row("resnet18", "cuda:0", "NVIDIA H100", 1500.0),
      measured_row("resnet50", "cpu", "AMD EPYC", 40.0),  // on one machine only: not compared
      measured_row("resnet18", "cuda:0", "NVIDIA A100", 95.0),
  };
  const std::vector<ComparedTest> tests = compare_across_machines(rows, {11, 12, 13, 14}, {});
  ASSERT_EQ(tests.size(), 1u);
  EXPECT_EQ(tests[0].test.rfind("train resnet18 b32 224px", 0), 0u) << tests[0].test;
  EXPECT_EQ(tests[0].test.find("cuda"), std::string::npos) << tests[0].test;
  ASSERT_EQ(tests[0].machines.size(), 3u);
  const MachineResult& cpu = tests[0].machines[0];
  const MachineResult& h100 = tests[0].machines[1];
  const MachineResult& a100 = tests[0].machines[2];
  EXPECT_EQ(cpu.machine.label(), "AMD EPYC (cpu)");
  EXPECT_EQ(cpu.row_id, 11);
  EXPECT_FALSE(cpu.ratio.has_value());
  EXPECT_TRUE(cpu.verdict.empty());
  ASSERT_TRUE(h100.ratio.has_value());
  EXPECT_DOUBLE_EQ(*h100.ratio, 15.0);
  EXPECT_EQ(h100.verdict, "15x faster than AMD EPYC (cpu)");
  EXPECT_EQ(h100.row_id, 12);
  ASSERT_TRUE(a100.ratio.has_value());
  EXPECT_DOUBLE_EQ(*a100.ratio, 0.95);
  EXPECT_EQ(a100.verdict, "within 10% of AMD EPYC (cpu)");
}

TEST(MachineComparison, TheNewestRowOfAMachineCountsAndFailedRowsDoNot) {
  store::BenchRow failed = measured_row("resnet18", "cuda:0", "NVIDIA H100", 0.0);
  failed.status = "failed";
  const std::vector<store::BenchRow> rows = {
      measured_row("resnet18", "cpu", "AMD EPYC", 100.0),
      measured_row("resnet18", "cuda:0", "NVIDIA H100", 1000.0),
      measured_row("resnet18", "cuda:0", "NVIDIA H100", 2000.0),  // a re-run, newer
      failed,
  };
  const std::vector<ComparedTest> tests = compare_across_machines(rows, {}, {});
  ASSERT_EQ(tests.size(), 1u);
  ASSERT_EQ(tests[0].machines.size(), 2u);
  EXPECT_DOUBLE_EQ(tests[0].machines[1].images_per_sec, 2000.0);
  EXPECT_EQ(tests[0].machines[1].row_id, 0);  // no ids given
}

TEST(MachineComparison, DifferentWorkIsNeverPairedAndTheOrderKeepsOneBaseline) {
  store::BenchRow bf16 = measured_row("resnet18", "cuda:0", "NVIDIA H100", 3000.0);
  bf16.amp = "bf16";
  store::BenchRow bigger = measured_row("resnet18", "cpu", "AMD EPYC", 50.0);
  bigger.image_size = 288;
  const std::vector<store::BenchRow> rows = {
      measured_row("resnet18", "cuda:0", "NVIDIA H100", 1500.0), measured_row("resnet18", "cpu", "AMD EPYC", 100.0),
      bf16, bigger};
  // Two tests on one machine each: nothing to compare...
  EXPECT_EQ(compare_across_machines({bf16, bigger}, {}, {}).size(), 0u);
  // ...and with a machine order the CPU is the baseline though the GPU row came first.
  const std::vector<ComparedTest> tests =
      compare_across_machines(rows, {}, {Machine{"AMD EPYC", "cpu"}, Machine{"NVIDIA H100", "cuda:0"}});
  ASSERT_EQ(tests.size(), 1u);
  EXPECT_EQ(tests[0].machines[0].machine.device, "cpu");
  EXPECT_DOUBLE_EQ(tests[0].machines[1].ratio.value_or(0.0), 15.0);
  // One machine is enough when asked (the charts).
  EXPECT_EQ(compare_across_machines(rows, {}, {}, 1).size(), 3u);
}

}  // namespace
}  // namespace trainbench::serve
