#pragma once
// Seeded randomness that gives the same numbers on every platform and for
// every thread count. The standard library's distributions and std::shuffle
// are implementation-defined, so sample order and random draws go through
// this instead.
#include <cstdint>
#include <initializer_list>
#include <vector>

namespace trainbench::core {

// Mixes a seed with stream identifiers (epoch, sample index, ...) into an
// independent 64-bit seed (splitmix64 finaliser over each value).
std::uint64_t mix_seed(std::uint64_t seed, std::initializer_list<std::uint64_t> stream);

// xoshiro256** seeded through splitmix64: fast, good, and fully specified.
class Rng {
 public:
  explicit Rng(std::uint64_t seed);
  std::uint64_t next_u64();
  // Uniform in [0, bound), unbiased (Lemire's multiply-and-reject).
  std::uint64_t uniform_index(std::uint64_t bound);
  // Uniform in [0, 1) with 53 random bits.
  double uniform();

 private:
  std::uint64_t state_[4];
};

// 0..n-1 in a seeded random order (Fisher-Yates over uniform_index).
std::vector<std::int64_t> seeded_permutation(std::int64_t n, std::uint64_t seed);

}  // namespace trainbench::core
