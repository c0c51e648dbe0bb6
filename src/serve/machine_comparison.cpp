#include "serve/machine_comparison.h"

#include <algorithm>

#include "bench/compare.h"

namespace trainbench::serve {
namespace {

// One test's newest ok row on each machine, in first-seen order.
struct TestRows {
  nlohmann::json key;
  std::string test;
  std::vector<Machine> machines;
  std::vector<std::size_t> newest;  // index into the rows, per machine
};

std::size_t index_in(const std::vector<Machine>& machines, const Machine& machine) {
  return static_cast<std::size_t>(std::find(machines.begin(), machines.end(), machine) - machines.begin());
}

}  // namespace

std::string Machine::label() const {
  if (device_name.empty()) return device;
  return device_name + " (" + device + ")";
}

Machine machine_of(const store::BenchRow& row) { return Machine{row.provenance.device_name, row.device}; }

std::vector<ComparedTest> compare_across_machines(const std::vector<store::BenchRow>& rows,
                                                  const std::vector<std::int64_t>& ids,
                                                  const std::vector<Machine>& machine_order,
                                                  std::size_t min_machines) {
  std::vector<TestRows> tests;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const store::BenchRow& row = rows[i];
    if (row.status != "ok" || row.images_per_sec <= 0) continue;
    const nlohmann::json key = bench::bench_test_key(row, /*ignore_device=*/true);
    auto it = std::find_if(tests.begin(), tests.end(), [&](const TestRows& t) { return t.key == key; });
    if (it == tests.end()) {
      it = tests.insert(tests.end(), TestRows{key, bench::describe_bench_test(row, /*include_device=*/false), {}, {}});
    }
    const Machine machine = machine_of(row);
    const std::size_t at = index_in(it->machines, machine);
    if (at == it->machines.size()) {
      it->machines.push_back(machine);
      it->newest.push_back(i);
    } else {
      it->newest[at] = i;  // rows come oldest first: a later one is newer
    }
  }

  std::vector<ComparedTest> compared;
  for (TestRows& test : tests) {
    if (test.machines.size() < std::max<std::size_t>(min_machines, 1)) continue;
    // The page's machine order, so one machine stays the baseline across tests.
    std::vector<std::size_t> order(test.machines.size());
    for (std::size_t m = 0; m < order.size(); ++m) order[m] = m;
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      return index_in(machine_order, test.machines[a]) < index_in(machine_order, test.machines[b]);
    });
    ComparedTest out;
    out.test = test.test;
    const store::BenchRow& first = rows[test.newest[order.front()]];
    const std::string first_label = test.machines[order.front()].label();
    for (const std::size_t m : order) {
      const store::BenchRow& row = rows[test.newest[m]];
      MachineResult result;
      result.machine = test.machines[m];
      result.row_id = ids.size() == rows.size() ? ids[test.newest[m]] : 0;
      result.images_per_sec = row.images_per_sec;
      result.images_per_sec_std = row.images_per_sec_std;
      if (m != order.front()) {
        // compare's own pairing and verdict, one row a side.
        const bench::Comparison comparison =
            bench::compare_benches(bench::BenchSide{first_label, "", {first}},
                                   bench::BenchSide{result.machine.label(), "", {row}});
        if (!comparison.figures.empty()) {
          result.ratio = comparison.figures.front().ratio;
          result.verdict = comparison.figures.front().verdict;
        }
      }
      out.machines.push_back(std::move(result));
    }
    compared.push_back(std::move(out));
  }
  return compared;
}

}  // namespace trainbench::serve
