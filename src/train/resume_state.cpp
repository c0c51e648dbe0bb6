#include "train/resume_state.h"

#include <cmath>
#include <limits>

#include "core/error.h"

namespace trainbench::train {
namespace {

// Every field once, so writing and reading cannot drift apart.
template <typename Visitor>
void visit_fields(ResumeState& s, Visitor&& visit) {
  visit("epoch", s.epoch);
  visit("epoch_steps", s.epoch_steps);
  visit("next_batch", s.next_batch);
  visit("step", s.step);
  visit("metrics_bytes", s.metrics_bytes);
  visit("run_seconds", s.run_seconds);
  visit("pass_correct", s.pass_correct);
  visit("pass_samples", s.pass_samples);
  visit("pass_batches", s.pass_batches);
  visit("pass_loss_sum", s.pass_loss_sum);
  visit("pass_last_loss", s.pass_last_loss);
  visit("pass_seconds", s.pass_seconds);
  visit("pass_wait_seconds", s.pass_wait_seconds);
  visit("pass_images", s.pass_images);
  visit("train_seconds", s.train_seconds);
  visit("wait_seconds", s.wait_seconds);
  visit("train_images_seen", s.train_images_seen);
  visit("first_epoch_images_per_sec", s.first_epoch_images_per_sec);
  visit("train_loss", s.train_loss);
  visit("train_accuracy", s.train_accuracy);
  visit("val_loss", s.val_loss);
  visit("val_accuracy", s.val_accuracy);
  visit("best_val_loss", s.best_val_loss);
  visit("best_epoch", s.best_epoch);
}

// JSON has no infinity: "no evaluation yet" (+inf) travels as -1.
constexpr double kNoBestYet = -1.0;

}  // namespace

nlohmann::json to_json(const ResumeState& state) {
  ResumeState copy = state;
  if (std::isinf(copy.best_val_loss)) copy.best_val_loss = kNoBestYet;
  nlohmann::json json = nlohmann::json::object();
  visit_fields(copy, [&](const char* key, const auto& value) { json[key] = value; });
  json["epoch_position"] = state.epoch_position;
  json["world_size"] = state.world_size;
  json["scaler"] = state.scaler;
  json["skipped"] = nlohmann::json::array();
  for (const auto& [path, reason] : state.skipped) json["skipped"].push_back({{"path", path}, {"reason", reason}});
  return json;
}

ResumeState resume_state_from_json(const nlohmann::json& json) {
  ResumeState state;
  if (!json.is_object()) throw RunError("checkpoint state: not a JSON object");
  visit_fields(state, [&](const char* key, auto& value) {
    using T = std::decay_t<decltype(value)>;
    const auto found = json.find(key);
    if (found == json.end() || !found->is_number()) throw RunError(std::string("checkpoint state: '") + key + "' is missing or not a number");
    if constexpr (std::is_integral_v<T>) {
      if (!found->is_number_integer()) throw RunError(std::string("checkpoint state: '") + key + "' is not a whole number");
      if (found->is_number_unsigned() ? found->get<std::uint64_t>() > static_cast<std::uint64_t>(std::numeric_limits<T>::max())
                                      : (found->get<std::int64_t>() < 0 ||
                                         static_cast<std::uint64_t>(found->get<std::int64_t>()) >
                                             static_cast<std::uint64_t>(std::numeric_limits<T>::max()))) {
        throw RunError(std::string("checkpoint state: '") + key + "' is out of range");
      }
      value = found->get<T>();
    } else {
      value = found->get<T>();
      if (!std::isfinite(value)) throw RunError(std::string("checkpoint state: '") + key + "' is not finite");
    }
  });
  if (state.epoch < 1) throw RunError("checkpoint state: 'epoch' must be at least 1");
  if (state.best_val_loss == kNoBestYet) state.best_val_loss = std::numeric_limits<double>::infinity();
  if (const auto position = json.find("epoch_position"); position != json.end()) {
    if (!position->is_number_integer() || position->get<std::int64_t>() < -1) {
      throw RunError("checkpoint state: 'epoch_position' is not a position");
    }
    state.epoch_position = position->get<std::int64_t>();
  }
  if (const auto world = json.find("world_size"); world != json.end()) {
    if (!world->is_number_integer() || world->get<std::int64_t>() < 1 || world->get<std::int64_t>() > 1 << 20) {
      throw RunError("checkpoint state: 'world_size' is not a number of ranks");
    }
    state.world_size = world->get<int>();
  }
  const auto scaler = json.find("scaler");
  if (scaler != json.end()) {
    if (!scaler->is_object()) throw RunError("checkpoint state: 'scaler' is not an object");
    for (const auto& [key, value] : scaler->items()) {
      if (!value.is_number()) throw RunError("checkpoint state: scaler '" + key + "' is not a number");
      state.scaler[key] = value.get<double>();
    }
  }
  const auto skipped = json.find("skipped");
  if (skipped != json.end()) {
    if (!skipped->is_array()) throw RunError("checkpoint state: 'skipped' is not a list");
    for (const nlohmann::json& file : *skipped) {
      if (!file.is_object() || !file.contains("path") || !file["path"].is_string() || !file.contains("reason") ||
          !file["reason"].is_string()) {
        throw RunError("checkpoint state: a skipped file needs a path and a reason");
      }
      state.skipped.emplace_back(file["path"].get<std::string>(), file["reason"].get<std::string>());
    }
  }
  return state;
}

}  // namespace trainbench::train
