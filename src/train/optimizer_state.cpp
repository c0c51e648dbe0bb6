#include "train/optimizer_state.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <memory>

#include "core/error.h"
#include "train/optimizer_state_key.h"

namespace trainbench::train {
namespace {

using torch::optim::AdamWOptions;
using torch::optim::AdamWParamState;

constexpr const char* kFields[] = {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"};

// The parameters of all groups, in the order their indices count them.
std::vector<torch::Tensor> all_parameters(const torch::optim::Optimizer& optimizer) {
  std::vector<torch::Tensor> parameters;
  for (const auto& group : optimizer.param_groups()) {
    parameters.insert(parameters.end(), group.params().begin(), group.params().end());
  }
  return parameters;
}

// The tensors read for one parameter, by field name, before they are checked together.
using ParameterFields = std::map<std::string, torch::Tensor>;

double number(const nlohmann::json& group, const char* key, const std::string& where) {
  const auto found = group.find(key);
  if (found == group.end() || !found->is_number() || !std::isfinite(found->get<double>())) {
    throw RunError(where + ": \"" + key + "\" must be a finite number");
  }
  return found->get<double>();
}

AdamWOptions group_options(const nlohmann::json& group, const std::string& where) {
  const double lr = number(group, "lr", where);
  const double beta1 = number(group, "beta1", where);
  const double beta2 = number(group, "beta2", where);
  const double eps = number(group, "eps", where);
  const double weight_decay = number(group, "weight_decay", where);
  const auto amsgrad = group.find("amsgrad");
  if (amsgrad == group.end() || !amsgrad->is_boolean()) throw RunError(where + ": \"amsgrad\" must be true or false");
  if (lr < 0 || beta1 < 0 || beta1 >= 1 || beta2 < 0 || beta2 >= 1 || eps <= 0 || weight_decay < 0) {
    throw RunError(where + ": lr, betas, eps or weight_decay out of range");
  }
  return AdamWOptions(lr)
      .betas(std::make_tuple(beta1, beta2))
      .eps(eps)
      .weight_decay(weight_decay)
      .amsgrad(amsgrad->get<bool>());
}

// Checks one parameter's fields against the parameter and builds its state.
std::unique_ptr<AdamWParamState> parameter_state(const ParameterFields& fields, const torch::Tensor& parameter,
                                                 bool amsgrad, const std::string& where) {
  const bool complete = fields.count("step") && fields.count("exp_avg") && fields.count("exp_avg_sq") &&
                        amsgrad == (fields.count("max_exp_avg_sq") == 1);
  if (!complete) {
    throw RunError(where + " needs step, exp_avg and exp_avg_sq" +
                   std::string(amsgrad ? " and max_exp_avg_sq (amsgrad)" : " and no max_exp_avg_sq (no amsgrad)"));
  }
  const torch::Tensor& step = fields.at("step");
  if (step.scalar_type() != torch::kInt64 || step.dim() != 0 || step.item<std::int64_t>() < 0) {
    throw RunError(where + "/step must be a non-negative int64 scalar");
  }
  // A moment as the optimizer keeps it: the parameter's dtype, shape and device.
  const auto moment = [&](const char* name) {
    const torch::Tensor& tensor = fields.at(name);
    if (tensor.scalar_type() != parameter.scalar_type() || tensor.sizes() != parameter.sizes()) {
      throw RunError(where + "/" + name + " is " + std::string(c10::toString(tensor.scalar_type())) + " " +
                     c10::str(tensor.sizes()) + "; the parameter is " +
                     std::string(c10::toString(parameter.scalar_type())) + " " + c10::str(parameter.sizes()));
    }
    return tensor.to(parameter.device(), /*non_blocking=*/false, /*copy=*/true).contiguous();
  };
  auto state = std::make_unique<AdamWParamState>();
  state->step(step.item<std::int64_t>());
  state->exp_avg(moment("exp_avg"));
  state->exp_avg_sq(moment("exp_avg_sq"));
  if (amsgrad) state->max_exp_avg_sq(moment("max_exp_avg_sq"));
  return state;
}

}  // namespace

OptimizerState adamw_state(const torch::optim::AdamW& optimizer) {
  OptimizerState saved;
  const auto& state = optimizer.state();
  std::int64_t index = 0;
  for (const auto& group : optimizer.param_groups()) {
    const auto& options = static_cast<const AdamWOptions&>(group.options());
    saved.groups.push_back({{"parameters", group.params().size()},
                            {"lr", options.lr()},
                            {"beta1", std::get<0>(options.betas())},
                            {"beta2", std::get<1>(options.betas())},
                            {"eps", options.eps()},
                            {"weight_decay", options.weight_decay()},
                            {"amsgrad", options.amsgrad()}});
    for (const torch::Tensor& parameter : group.params()) {
      const auto found = state.find(state_key(parameter));
      if (found != state.end()) {
        const auto& parameter_state = static_cast<const AdamWParamState&>(*found->second);
        const std::string prefix = std::to_string(index) + "/";
        const auto cpu_copy = [](const torch::Tensor& t) { return t.to(torch::kCPU, false, true).contiguous(); };
        saved.tensors.emplace_back(prefix + "step", torch::tensor(parameter_state.step(), torch::kInt64));
        saved.tensors.emplace_back(prefix + "exp_avg", cpu_copy(parameter_state.exp_avg()));
        saved.tensors.emplace_back(prefix + "exp_avg_sq", cpu_copy(parameter_state.exp_avg_sq()));
        if (parameter_state.max_exp_avg_sq().defined()) {
          saved.tensors.emplace_back(prefix + "max_exp_avg_sq", cpu_copy(parameter_state.max_exp_avg_sq()));
        }
      }
      ++index;
    }
  }
  return saved;
}

void load_adamw_state(torch::optim::AdamW& optimizer, const OptimizerState& state, const std::string& name_for_errors) {
  const std::string where = name_for_errors + ": optimizer";
  // The groups: as many as the optimizer has, with as many parameters each.
  auto& groups = optimizer.param_groups();
  if (!state.groups.is_array() || state.groups.size() != groups.size()) {
    throw RunError(where + " has " + (state.groups.is_array() ? std::to_string(state.groups.size()) : "no") +
                   " parameter groups; the run's optimizer has " + std::to_string(groups.size()));
  }
  std::vector<AdamWOptions> options;
  std::vector<bool> amsgrad_of_parameter;
  for (std::size_t g = 0; g < groups.size(); ++g) {
    const nlohmann::json& group = state.groups[g];
    const std::string group_where = where + " group " + std::to_string(g);
    if (!group.is_object()) throw RunError(group_where + " is not a JSON object");
    const auto count = group.find("parameters");
    if (count == group.end() || !count->is_number_unsigned() || count->get<std::uint64_t>() != groups[g].params().size()) {
      throw RunError(group_where + " does not have the run's " + std::to_string(groups[g].params().size()) +
                     " parameters: the checkpoint is of another model");
    }
    options.push_back(group_options(group, group_where));
    amsgrad_of_parameter.insert(amsgrad_of_parameter.end(), groups[g].params().size(), options.back().amsgrad());
  }

  // The tensors, by parameter index, each name checked.
  const std::vector<torch::Tensor> parameters = all_parameters(optimizer);
  std::map<std::size_t, ParameterFields> fields_of_parameter;
  for (const auto& [name, tensor] : state.tensors) {
    const std::size_t slash = name.find('/');
    const std::string index_text = name.substr(0, slash);
    const std::string field = slash == std::string::npos ? std::string() : name.substr(slash + 1);
    const bool digits = !index_text.empty() && index_text.size() <= 9 &&
                        index_text.find_first_not_of("0123456789") == std::string::npos &&
                        (index_text == "0" || index_text[0] != '0');
    const bool known_field = std::find(std::begin(kFields), std::end(kFields), field) != std::end(kFields);
    const std::size_t index = digits ? std::stoul(index_text) : parameters.size();
    if (!known_field || index >= parameters.size()) {
      throw RunError(where + " has an unexpected tensor 'optimizer/" + name + "'");
    }
    fields_of_parameter[index].emplace(field, tensor);  // names are unique in a safetensors file
  }
  std::decay_t<decltype(optimizer.state())> loaded;
  for (const auto& [index, fields] : fields_of_parameter) {
    loaded[state_key(parameters[index])] = parameter_state(fields, parameters[index], amsgrad_of_parameter[index],
                                                           where + " parameter " + std::to_string(index));
  }

  // Everything checked: only now is the optimizer changed.
  for (std::size_t g = 0; g < groups.size(); ++g) {
    static_cast<AdamWOptions&>(groups[g].options()) = options[g];
  }
  optimizer.state() = std::move(loaded);
}

}  // namespace trainbench::train
