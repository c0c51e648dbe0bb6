#include "data/shard.h"

#include <string>

#include "core/error.h"

namespace trainbench::data {
namespace {

void check(const ShardSpec& spec) {
  if (spec.world_size < 1 || spec.rank < 0 || spec.rank >= spec.world_size) {
    throw UsageError("rank " + std::to_string(spec.rank) + " is outside a world of " + std::to_string(spec.world_size));
  }
}

}  // namespace

std::int64_t shard_size(std::int64_t total, const ShardSpec& spec, std::int64_t first) {
  check(spec);
  const std::int64_t left = total > first ? total - first : 0;
  if (left == 0) return 0;
  const std::int64_t world = spec.world_size;
  if (spec.pad) return (left + world - 1) / world;
  return left > spec.rank ? (left - spec.rank + world - 1) / world : 0;
}

ShardOrder shard_order(const std::vector<std::int64_t>& global_order, const ShardSpec& spec, std::int64_t first) {
  const auto total = static_cast<std::int64_t>(global_order.size());
  const std::int64_t count = shard_size(total, spec, first);
  ShardOrder shard;
  shard.samples.reserve(static_cast<std::size_t>(count));
  shard.positions.reserve(static_cast<std::size_t>(count));
  for (std::int64_t j = 0; j < count; ++j) {
    const std::int64_t position = first + spec.rank + j * spec.world_size;
    // Past the end only when padding: wrap to the epoch's first samples.
    shard.samples.push_back(global_order[static_cast<std::size_t>(position % total)]);
    shard.positions.push_back(position);
  }
  return shard;
}

}  // namespace trainbench::data
