#pragma once
// The printers of a Comparison: a markdown table for people and one JSON
// document for scripts (every figure with its ratio, verdict and
// beyond_spread), over the one Comparison struct of compare.h.
#include <nlohmann/json.hpp>

#include <string>

#include "bench/compare.h"

namespace trainbench::bench {

enum class CompareFormat { kMarkdown, kJson };

// "md" or "json"; throws UsageError naming them otherwise.
CompareFormat parse_compare_format(const std::string& text);

std::string format_comparison_markdown(const Comparison& comparison);
nlohmann::ordered_json comparison_to_json(const Comparison& comparison);
std::string format_comparison(const Comparison& comparison, CompareFormat format);

}  // namespace trainbench::bench
