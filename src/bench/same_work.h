#pragma once
// Whether two measurements did the same work, decided from their settings
// (never from the text of a note). One rule for `compare`, the end-of-run
// standing against the published cards, `compare --reference` and the report:
//
//   - A rate (images/s, a pass's time) gets a faster/slower verdict only when
//     the work is the same: model, image size, batch size, mode (train or
//     infer) and input (synthetic or real). Precision, layout, device,
//     threads and workers are how the work is done: comparing them is what
//     a comparison of machines or settings is for, so they never block it.
//   - Accuracy and loss also need the same recipe and data: epochs, steps,
//     learning rate, weight decay, AdamW's eps, augmentation, the images
//     and the starting weights.
//
// Between different work a comparison lists what differs and gives no
// verdict; `compare --normalise` asks for a FLOP-normalised estimate instead
// (normalised_estimate.h), labelled as one.
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace trainbench::bench {

enum class SettingRole {
  kWork,       // decides the rate: model, image_size, batch_size, mode, input
  kRecipe,     // decides accuracy and loss as well: epochs, lr, data, ...
  kExecution,  // how the work runs: amp, channels_last, device, threads, ...
};

// The role of a setting by its one name (image_size, never img_size).
// Names this rule does not know count as execution: they never withhold a verdict.
SettingRole role_of_setting(const std::string& name);

struct SettingDifference {
  std::string name;  // "image_size"
  std::string a;     // the value on side A, as text ("288")
  std::string b;
  SettingRole role = SettingRole::kExecution;
};

struct WorkMatch {
  // Every setting both sides know and disagree on, in A's order.
  std::vector<SettingDifference> differences;

  // No work setting differs: rates compare, with verdicts.
  bool same_work() const;
  // Neither work nor recipe differs: accuracy and loss compare too.
  bool same_recipe() const;
  // The differences of these roles only.
  std::vector<SettingDifference> of_role(SettingRole role) const;
};

// Settings are JSON objects keyed by setting name; a key missing on one side
// is unknown there and not a difference.
WorkMatch match_settings(const nlohmann::ordered_json& a, const nlohmann::ordered_json& b);

// "image_size (A: 288, B: 28); model (A: resnet18d, B: resnet18)".
std::string describe_differences(const std::vector<SettingDifference>& differences, const std::string& a_label,
                                 const std::string& b_label);

}  // namespace trainbench::bench
