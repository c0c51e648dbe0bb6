#pragma once
// A module's weights by name, as PyTorch's state_dict() lists them, and
// loading such a set into a module with a report of everything that did not
// fit. Names are the module's own (timm's for our models); weights files from
// elsewhere are mapped onto them by the caller.
#include <torch/nn/module.h>
#include <torch/types.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace trainbench::weights {

using NamedTensors = std::vector<std::pair<std::string, torch::Tensor>>;

// Parameters and buffers, module by module in registration order (each
// module's parameters, then its buffers), detached, where they live.
NamedTensors state_dict(torch::nn::Module& module);

struct LoadOptions {
  // Tensors under this module name ("fc") that the file lacks or has in
  // another shape are left at their fresh initialisation and reported as
  // re-initialised, instead of as missing or mismatched.
  std::string reinitializable_prefix;
  // Tensors the model has but the file may lack without complaint (BatchNorm's
  // num_batches_tracked counter, which many published files drop).
  std::vector<std::string> optional_suffixes = {"num_batches_tracked"};
};

struct LoadReport {
  std::int64_t loaded = 0;
  std::vector<std::string> missing;        // the model has it, the file does not
  std::vector<std::string> unexpected;     // the file has it, the model does not
  std::vector<std::string> mismatched;     // "name: file [a, b] vs model [c, d]"
  std::vector<std::string> reinitialized;  // under reinitializable_prefix: absent or another shape
  bool clean() const { return missing.empty() && unexpected.empty() && mismatched.empty(); }
  // One line per problem kind, names listed; "" when clean.
  std::string describe_problems() const;
};

// Copies every tensor whose name and shape match into the module (converting
// dtype, keeping the module's device and layout) and reports the rest. Does
// not throw for mismatches: the caller decides whether they are errors.
LoadReport load_state_dict(torch::nn::Module& module, const NamedTensors& tensors, const LoadOptions& options = {});

}  // namespace trainbench::weights
