#include "bench/same_work.h"

#include <set>

#include "core/text.h"

namespace trainbench::bench {
namespace {

std::string value_text(const nlohmann::ordered_json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_null()) return "unset";
  return value.dump();
}

}  // namespace

SettingRole role_of_setting(const std::string& name) {
  // accumulate: a step of N micro-batches is other work than a step of one.
  static const std::set<std::string> work = {"model", "image_size", "batch_size", "accumulate", "mode", "input"};
  static const std::set<std::string> recipe = {"epochs",    "max_steps",    "lr",         "weight_decay", "adam_eps",
                                               "augment",   "train_images", "val_images", "pretrained"};
  if (work.count(name)) return SettingRole::kWork;
  if (recipe.count(name)) return SettingRole::kRecipe;
  return SettingRole::kExecution;
}

bool WorkMatch::same_work() const { return of_role(SettingRole::kWork).empty(); }

bool WorkMatch::same_recipe() const { return same_work() && of_role(SettingRole::kRecipe).empty(); }

std::vector<SettingDifference> WorkMatch::of_role(SettingRole role) const {
  std::vector<SettingDifference> selected;
  for (const SettingDifference& difference : differences) {
    if (difference.role == role) selected.push_back(difference);
  }
  return selected;
}

WorkMatch match_settings(const nlohmann::ordered_json& a, const nlohmann::ordered_json& b) {
  WorkMatch match;
  if (!a.is_object() || !b.is_object()) return match;
  for (const auto& [name, value_a] : a.items()) {
    if (!b.contains(name)) continue;
    const nlohmann::ordered_json& value_b = b[name];
    if (value_a == value_b) continue;
    match.differences.push_back({name, value_text(value_a), value_text(value_b), role_of_setting(name)});
  }
  return match;
}

std::string describe_differences(const std::vector<SettingDifference>& differences, const std::string& a_label,
                                 const std::string& b_label) {
  std::vector<std::string> parts;
  for (const SettingDifference& d : differences) {
    parts.push_back(d.name + " (" + a_label + ": " + d.a + ", " + b_label + ": " + d.b + ")");
  }
  return core::join(parts, "; ");
}

}  // namespace trainbench::bench
