#include "bench/flop_count.h"

#include <torch/csrc/autograd/function.h>
#include <torch/torch.h>

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <unordered_set>
#include <utility>
#include <vector>

#include "core/error.h"
#include "models/registry.h"

namespace trainbench::bench {
namespace {

using torch::autograd::Edge;
using torch::autograd::Node;
using Shape = std::vector<std::int64_t>;

double element_count(const Shape& shape) {
  double count = 1.0;
  for (std::int64_t size : shape) count *= static_cast<double>(size);
  return count;
}

// A backward node's inputs are its forward op's outputs: input_metadata(i)
// records the shape of forward output i. InputMetadata spells its shape
// accessors differently across LibTorch versions (private in 1.13, SymInt
// based and public in 2.x); zeros_like() is public and the same in both, so
// the shape is read off a throw-away tensor of it, a few MB at most here.
Shape forward_output_shape(const Node& node, std::uint32_t index = 0) {
  if (index >= node.num_inputs()) return {};
  return node.input_metadata(index).zeros_like().sizes().vec();
}

// The shape of the tensor a forward op took in through `edge` (a weight, an
// activation): the producing node recorded it as its own output. Empty when
// nothing upstream needed a gradient, so no edge was kept.
Shape operand_shape(const Node& node, std::size_t edge_index) {
  if (edge_index >= node.next_edges().size()) return {};
  const Edge& edge = node.next_edges()[edge_index];
  if (!edge.is_valid()) return {};
  return forward_output_shape(*edge.function, edge.input_nr);
}

// Convolution backward nodes across backends and versions:
// ConvolutionBackward0 (the dispatcher-level op, CPU and CUDA, any memory
// format, 1.13 and 2.x) and the backend-specific names older or special paths
// record (CudnnConvolutionBackward0, MkldnnConvolutionBackward0,
// SlowConv2DBackward0, ConvDepthwise2DBackward0, ...). Their edges are
// (input, weight, bias).
bool is_convolution(const std::string& name) {
  return name.find("Convolution") != std::string::npos || name.find("Conv2D") != std::string::npos ||
         name.find("Conv3D") != std::string::npos || name.find("ConvDepthwise") != std::string::npos ||
         name.find("ConvDilated") != std::string::npos;
}

// Matrix products and the edges of their two factors (A is M x K, B is K x N,
// batched for bmm). nn::Linear records AddmmBackward0 for a 2-d input
// (bias, input, weight^T) and MmBackward0 without a bias.
struct MatmulOperands {
  std::size_t a_edge;
  std::size_t b_edge;
};

std::optional<MatmulOperands> matmul_operands(const std::string& name) {
  const auto starts_with = [&](const char* prefix) { return name.rfind(prefix, 0) == 0; };
  if (starts_with("AddmmBackward") || starts_with("BaddbmmBackward")) return MatmulOperands{1, 2};
  if (starts_with("MmBackward") || starts_with("BmmBackward")) return MatmulOperands{0, 1};
  return std::nullopt;
}

// 2 * output elements * (input channels per group * kernel area): the weight
// is out_channels x in_channels/groups x kernel..., so its elements per
// output channel are exactly the multiply-adds per output element.
double convolution_flops(const Node& node) {
  const Shape output = forward_output_shape(node);
  const Shape weight = operand_shape(node, 1);
  if (output.size() < 3 || weight.size() < 3 || weight[0] <= 0) return -1.0;
  return 2.0 * element_count(output) * (element_count(weight) / static_cast<double>(weight[0]));
}

// 2 * output elements * K.
double matmul_flops(const Node& node, const MatmulOperands& operands) {
  const Shape output = forward_output_shape(node);
  const Shape b = operand_shape(node, operands.b_edge);
  const Shape a = operand_shape(node, operands.a_edge);
  std::int64_t inner = -1;
  if (b.size() >= 2) {
    inner = b[b.size() - 2];
  } else if (a.size() >= 2) {
    inner = a.back();
  }
  if (output.empty() || inner < 0) return -1.0;
  return 2.0 * element_count(output) * static_cast<double>(inner);
}

// Puts every module's train/eval mode and every parameter's requires_grad
// back as they were, also when the forward pass throws.
class ModelStateGuard {
 public:
  explicit ModelStateGuard(models::Classifier& model) : model_(model), model_training_(model.is_training()) {
    // modules() lists parents before their children, the order restoring
    // needs: Module::train() sets a whole subtree.
    for (const auto& module : model.modules(/*include_self=*/false)) modes_.emplace_back(module, module->is_training());
    for (const torch::Tensor& parameter : model.parameters()) {
      requires_grad_.emplace_back(parameter, parameter.requires_grad());
    }
  }
  ~ModelStateGuard() {
    model_.train(model_training_);
    for (auto& [module, training] : modes_) module->train(training);
    for (auto& [parameter, requires_grad] : requires_grad_) parameter.requires_grad_(requires_grad);
  }
  ModelStateGuard(const ModelStateGuard&) = delete;
  ModelStateGuard& operator=(const ModelStateGuard&) = delete;

 private:
  models::Classifier& model_;
  bool model_training_;
  std::vector<std::pair<std::shared_ptr<torch::nn::Module>, bool>> modes_;
  std::vector<std::pair<torch::Tensor, bool>> requires_grad_;
};

// One forward pass with a graph that reaches every weight: eval mode (batch
// norm reads its running statistics and leaves them alone), gradients
// recorded even inside a caller's no-grad scope, and every parameter
// requiring a gradient so that frozen layers still leave their weight shape.
torch::Tensor traced_forward(models::Classifier& model, int image_size) {
  torch::TensorOptions options = torch::TensorOptions().dtype(torch::kFloat);
  const std::vector<torch::Tensor> parameters = model.parameters();
  if (!parameters.empty()) options = options.device(parameters.front().device()).dtype(parameters.front().dtype());
  model.eval();
  for (torch::Tensor parameter : parameters) parameter.requires_grad_(true);
  c10::InferenceMode not_inference(/*enabled=*/false);
  torch::AutoGradMode grad_mode(/*enabled=*/true);
  // Only shapes matter: a constant image leaves the global random stream, and
  // so a seeded run's draws after counting, untouched.
  const torch::Tensor images = torch::ones({1, 3, image_size, image_size}, options).requires_grad_(true);
  return model.forward(images);
}

}  // namespace

FlopCount count_forward_flops(models::Classifier& model, int image_size) {
  if (image_size < 1) {
    throw UsageError("cannot count FLOPs at an image size of " + std::to_string(image_size) + " px: it must be at least 1");
  }
  ModelStateGuard restore(model);
  torch::Tensor output;
  try {
    output = traced_forward(model, image_size);
  } catch (const c10::Error& e) {
    throw ModelError("cannot count the FLOPs of " + model.architecture() + " at " + std::to_string(image_size) +
                     " px: its forward pass fails there (" + e.what_without_backtrace() + ")");
  }
  if (!output.grad_fn()) {
    throw ModelError("cannot count the FLOPs of " + model.architecture() + ": its forward pass recorded no operations");
  }

  FlopCount count;
  // Depth-first over the graph from the logits; a node reached along two
  // paths (a residual block's input) is one operation, counted once.
  std::unordered_set<const Node*> visited;
  std::vector<Node*> pending = {output.grad_fn().get()};
  while (!pending.empty()) {
    Node* node = pending.back();
    pending.pop_back();
    if (!visited.insert(node).second) continue;
    const std::string name = node->name();
    if (is_convolution(name)) {
      const double flops = convolution_flops(*node);
      if (flops >= 0.0) {
        count.convolution_flops += flops;
        ++count.layers_counted;
      }
    } else if (const auto operands = matmul_operands(name)) {
      const double flops = matmul_flops(*node, *operands);
      if (flops >= 0.0) {
        count.matmul_flops += flops;
        ++count.layers_counted;
      }
    }
    for (const Edge& edge : node->next_edges()) {
      if (edge.is_valid()) pending.push_back(edge.function.get());
    }
  }
  count.forward_flops = count.convolution_flops + count.matmul_flops;
  return count;
}

double forward_flops_per_image(const std::string& model, int image_size, int classes) {
  static std::mutex mutex;
  static std::map<std::tuple<std::string, int, int>, double> counted;
  std::lock_guard<std::mutex> lock(mutex);
  const auto key = std::make_tuple(model, image_size, classes);
  auto found = counted.find(key);
  if (found == counted.end()) {
    const auto fresh = models::create_model(model, classes);
    found = counted.emplace(key, count_forward_flops(*fresh, image_size).forward_flops).first;
  }
  return found->second;
}

}  // namespace trainbench::bench
