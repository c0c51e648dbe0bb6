#pragma once
// The reference workload's published figures (../docs/WORKLOAD.md: a blog
// post of May 2023 fine-tuning resnet18d on HaGRID at 288 px, batch 32, on a
// Titan RTX and on an Arc A770), built in so that a user can hold a run of
// their own machine against them: `trainbench compare --reference titan-rtx RUN`.
// They are published figures, not measurements, and every one that is
// derived (rates from pass times, "within 10%" turned into a bound) says so.
#include <string>
#include <vector>

#include "bench/compare.h"

namespace trainbench::bench {

struct ReferenceFigures {
  std::string name;        // "titan-rtx": what --reference takes
  std::string conditions;  // "Titan RTX, fp16 AMP, native Ubuntu"
  TrainingSide side;       // label "Titan RTX (published)", published = true
};

// Says where every reference figure comes from.
constexpr const char* kPublishedSource = "published figures (blog post, May 2023), not measurements";

// titan-rtx, arc-a770, arc-a770-blocked-layout, arc-a770-wsl, arc-a770-wsl-windows-drive.
const std::vector<ReferenceFigures>& reference_figures();

// Throws UsageError naming the known references.
const ReferenceFigures& find_reference(const std::string& name);

// What `compare --reference list` prints: each reference, its conditions and figures.
std::string format_reference_list();

}  // namespace trainbench::bench
