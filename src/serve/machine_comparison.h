#pragma once
// The like-for-like view of `trainbench serve`: the same bench test measured
// on several machines, each machine's images/s and its ratio to the first.
//
// A test is the row's bench_key_columns() without the device (as `compare`
// pairs two benches that ran on different devices: comparing devices is the
// point). The store keeps no host name, so a machine is what the provenance
// tells apart: the device's name (GPU name or CPU model) and the device
// ("cuda:0", "cpu"). Of the rows a machine has for one test the newest counts
// (a re-run replaces an older one). The ratio and its verdict come from
// bench::compare_benches, the one rule `compare` uses.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/bench_row.h"

namespace trainbench::serve {

struct Machine {
  std::string device_name;  // "NVIDIA H100 80GB HBM3", "AMD EPYC 9654 96-Core Processor"
  std::string device;       // "cuda:0", "cpu"
  std::string label() const;  // "NVIDIA H100 80GB HBM3 (cuda:0)"
  bool operator==(const Machine& other) const {
    return device_name == other.device_name && device == other.device;
  }
};

Machine machine_of(const store::BenchRow& row);

struct MachineResult {
  Machine machine;
  std::int64_t row_id = 0;  // the stored row shown (0 when the rows had no id)
  double images_per_sec = 0.0;
  double images_per_sec_std = 0.0;
  std::optional<double> ratio;  // images/s over the first machine's; unset for the first
  std::string verdict;          // "within 10% of ...", "34% slower than ..." (empty for the first)
};

struct ComparedTest {
  std::string test;  // describe_bench_test without the device: "train resnet18 b32 224px amp=off ..."
  std::vector<MachineResult> machines;  // in `machine_order`; the first is the baseline
};

// Every test that ok rows on at least `min_machines` machines measured, in the
// order the tests were first stored (min_machines 1: every test, for charts).
// `rows` oldest first (as ResultsStore::query gives them), `ids` the rows'
// store ids (same length, or empty). Machines are ordered as `machine_order`
// lists them, any it lacks after, in first-seen order.
std::vector<ComparedTest> compare_across_machines(const std::vector<store::BenchRow>& rows,
                                                  const std::vector<std::int64_t>& ids,
                                                  const std::vector<Machine>& machine_order,
                                                  std::size_t min_machines = 2);

}  // namespace trainbench::serve
