#pragma once
// LibTorch keys an optimizer's per-parameter state by the parameter's
// TensorImpl: as the pointer printed to a string in 1.13, as the pointer
// itself in 2.x. state_key builds the right one from the parameter.
#include <torch/optim/optimizer.h>

#include <sstream>
#include <string>
#include <type_traits>

namespace trainbench::train {

using StateKey = std::decay_t<decltype(std::declval<torch::optim::Optimizer&>().state())>::key_type;

// A template, so that the branch for the other LibTorch is discarded unchecked.
template <typename Key>
Key state_key_as(const torch::Tensor& parameter) {
  if constexpr (std::is_same_v<Key, std::string>) {
    std::ostringstream text;  // what c10::guts::to_string does
    text << parameter.unsafeGetTensorImpl();
    return text.str();
  } else {
    return static_cast<Key>(parameter.unsafeGetTensorImpl());
  }
}

inline StateKey state_key(const torch::Tensor& parameter) { return state_key_as<StateKey>(parameter); }

}  // namespace trainbench::train
