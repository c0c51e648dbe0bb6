#include "weights/state_dict.h"

#include "core/text.h"

#include <torch/torch.h>

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

namespace trainbench::weights {
namespace {

std::string shape_text(const torch::Tensor& tensor) {
  std::ostringstream text;
  text << tensor.sizes();
  return text.str();
}

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool under(const std::string& name, const std::string& prefix) {
  return !prefix.empty() && name.size() > prefix.size() && name.compare(0, prefix.size(), prefix) == 0 &&
         name[prefix.size()] == '.';
}

}  // namespace

NamedTensors state_dict(torch::nn::Module& module) {
  NamedTensors tensors;
  for (const auto& item : module.named_modules()) {
    const std::string prefix = item.key().empty() ? "" : item.key() + ".";
    for (const auto& parameter : item.value()->named_parameters(/*recurse=*/false)) {
      tensors.emplace_back(prefix + parameter.key(), parameter.value().detach());
    }
    for (const auto& buffer : item.value()->named_buffers(/*recurse=*/false)) {
      tensors.emplace_back(prefix + buffer.key(), buffer.value().detach());
    }
  }
  return tensors;
}

LoadReport load_state_dict(torch::nn::Module& module, const NamedTensors& tensors, const LoadOptions& options) {
  std::map<std::string, torch::Tensor> from_file(tensors.begin(), tensors.end());
  LoadReport report;
  std::set<std::string> used;
  torch::NoGradGuard no_grad;
  for (auto& [name, target] : state_dict(module)) {
    const auto found = from_file.find(name);
    if (found == from_file.end()) {
      const bool optional = std::any_of(options.optional_suffixes.begin(), options.optional_suffixes.end(),
                                        [&](const std::string& suffix) { return ends_with(name, suffix); });
      if (under(name, options.reinitializable_prefix)) {
        report.reinitialized.push_back(name + ": not in the file");
      } else if (!optional) {
        report.missing.push_back(name);
      }
      continue;
    }
    used.insert(name);
    const torch::Tensor& source = found->second;
    if (source.sizes() != target.sizes()) {
      const std::string what = name + ": file " + shape_text(source) + " vs model " + shape_text(target);
      (under(name, options.reinitializable_prefix) ? report.reinitialized : report.mismatched).push_back(what);
      continue;
    }
    // copy_ converts the dtype (F16/BF16 files into fp32 weights) and keeps
    // the target's device and memory layout.
    target.copy_(source);
    ++report.loaded;
  }
  for (const auto& [name, tensor] : from_file) {
    if (!used.count(name)) report.unexpected.push_back(name);
  }
  return report;
}

std::string LoadReport::describe_problems() const {
  std::string text;
  const auto add = [&](const char* what, const std::vector<std::string>& names) {
    if (names.empty()) return;
    text += (text.empty() ? "" : "; ") + std::string(what) + " (" + std::to_string(names.size()) + "): " + core::join(names);
  };
  add("missing from the file", missing);
  add("not in the model", unexpected);
  add("shape differs", mismatched);
  return text;
}

}  // namespace trainbench::weights
