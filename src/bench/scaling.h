#pragma once
// `bench --scaling N`: how a data-parallel job's training throughput grows
// with its ranks on this machine. The bench's tests run once per world size
// 1..N, each under a launch of that many local ranks, and every world size's
// images/s is set against what the job could at best do:
//   - ranks on a CPU share its cores: the baseline is one rank given the
//     same cores as the job's ranks together (by default the one rank alone
//     already used them all: "1 rank, same cores"), so an efficiency of 1
//     means the job lost nothing to splitting the work;
//   - ranks with a device each (GPUs): world_size x one rank ("N x 1 rank").
// Beside it, the step time and the time per step the ranks waited for the
// gradients' all-reduce that the backward pass did not hide.
#include <vector>

#include "core/table.h"
#include "store/bench_row.h"

namespace trainbench::bench {

// The rows of every world size's bench (BenchRow::world_size set), in any
// order; a test is matched to its one-rank row by bench_key_columns() less
// the device (rank 0's device is the job's). The table ("bench_scaling") has
// one row per test and world size, tests in first-seen order, world sizes
// ascending; efficiency is empty where the one-rank row is missing or failed.
core::Table scaling_table(const std::vector<store::BenchRow>& rows);

// The columns of scaling_table, in print order.
const std::vector<core::Column>& scaling_columns();

}  // namespace trainbench::bench
