#pragma once
// Which samples of an epoch one rank of a data-parallel job takes, as
// PyTorch's DistributedSampler does it: the epoch's one global order (the
// same on every rank, from the seed and the epoch), padded by wrapping to its
// start until it divides evenly, and rank r takes positions r, r+W, r+2W...
// So every rank has as many samples (and steps) as the others, and the union
// of the ranks' batches at step k is the one-process epoch's batch k at W
// times the batch size.
//
// Validation is not padded (each sample is counted once): ranks then differ
// by at most one sample, and their sums are added up afterwards.
//
// A shard can begin at a global position other than 0: a run resumed
// mid-epoch with another number of ranks deals out what the epoch has left.
#include <cstdint>
#include <vector>

namespace trainbench::data {

struct ShardSpec {
  int rank = 0;
  int world_size = 1;
  bool pad = true;  // training: equal shards; validation: every sample once
};

struct ShardOrder {
  std::vector<std::int64_t> samples;    // indices into the sample list
  std::vector<std::int64_t> positions;  // each one's global position in the epoch (keys augmentation draws)
};

// This rank's share of `global_order` from global position `first` on.
// Throws UsageError for a rank outside the world.
ShardOrder shard_order(const std::vector<std::int64_t>& global_order, const ShardSpec& spec, std::int64_t first = 0);

// How many samples shard_order() gives, without building it.
std::int64_t shard_size(std::int64_t total, const ShardSpec& spec, std::int64_t first = 0);

}  // namespace trainbench::data
