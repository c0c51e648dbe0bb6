#include "dist/gradient_reducer.h"

#include <c10/util/Exception.h>
#include <torch/csrc/distributed/c10d/logger.hpp>
#include <torch/csrc/distributed/c10d/reducer.hpp>
#include <torch/version.h>

#include <algorithm>
#include <limits>
#include <tuple>

#include "core/error.h"
#include "dist/gradient_hook.h"

namespace trainbench::dist {
namespace {

// c10d's errors (a parameter without a gradient, a rank gone) in our words,
// with what to do about the one a user can fix.
template <typename Action>
void as_run_error(const char* what, Action&& action) {
  try {
    action();
  } catch (const c10::Error& error) {
    std::string detail = error.what_without_backtrace();
    const bool unused = detail.find("find_unused_parameters") != std::string::npos;
    if (detail.size() > 600) detail = detail.substr(0, 600) + "...";
    throw RunError(std::string("averaging the gradients over the ranks failed ") + what + ": " + detail +
                   (unused ? " (a parameter the forward pass does not use needs --find-unused-parameters)" : ""));
  }
}

at::ScalarType wire_type_of(GradientCompression compression) {
  switch (compression) {
    case GradientCompression::kNone: return at::ScalarType::Undefined;
    case GradientCompression::kFp16: return at::kHalf;
    case GradientCompression::kBf16: return at::kBFloat16;
  }
  return at::ScalarType::Undefined;
}

// Whether the process group can sum `type` (Gloo in LibTorch 1.13 cannot sum
// bf16): one all-reduce of a single value, which every rank makes or refuses
// alike before anything travels.
void check_group_sums(c10d::ProcessGroup& group, at::ScalarType type, const at::Device& device,
                      GradientCompression compression) {
  std::vector<at::Tensor> probe{at::zeros({1}, at::TensorOptions().dtype(type).device(device))};
  try {
    group.allreduce(probe)->wait();
  } catch (const c10::Error& error) {
    throw UsageError("--grad-compression " + to_string(compression) + ": this process group (" +
                     group.getBackendName() + ") cannot sum " + c10::toString(type) + " tensors (" +
                     error.what_without_backtrace() + "); use fp16 or none");
  }
}

}  // namespace

std::string to_string(GradientCompression compression) {
  switch (compression) {
    case GradientCompression::kNone: return "none";
    case GradientCompression::kFp16: return "fp16";
    case GradientCompression::kBf16: return "bf16";
  }
  return "none";
}

GradientCompression parse_gradient_compression(const std::string& name) {
  if (name == "none") return GradientCompression::kNone;
  if (name == "fp16") return GradientCompression::kFp16;
  if (name == "bf16") return GradientCompression::kBf16;
  throw UsageError("--grad-compression must be none, fp16 or bf16 (got '" + name + "')");
}

GradientReducer::GradientReducer(std::shared_ptr<Communicator> communicator, std::vector<torch::Tensor> parameters,
                                 GradientReducerOptions options)
    : communicator_(std::move(communicator)), options_(options) {
  if (options_.bucket_bytes < 1 || options_.first_bucket_bytes < 1) {
    throw UsageError("the gradient bucket size must be positive");
  }
  // The Reducer holds what it needs of them; the trainable ones are its variables.
  std::vector<torch::Tensor> trainable;
  for (torch::Tensor& parameter : parameters) {
    if (parameter.requires_grad()) trainable.push_back(std::move(parameter));
  }
  if (trainable.empty()) throw UsageError("data-parallel training needs a model with trainable parameters");
  c10::intrusive_ptr<c10d::ProcessGroup> group = communicator_->process_group();
  const at::ScalarType wire_type = wire_type_of(options_.compression);
  if (wire_type != at::ScalarType::Undefined) {
    check_group_sums(*group, wire_type, trainable.front().device(), options_.compression);
  }

  // As DistributedDataParallel sets its Reducer up (torch/nn/parallel/
  // distributed.py): without find_unused_parameters, one bucket of
  // everything for the first step, rebuilt from the order its gradients
  // arrive in; with it, the size limits at once (the graph may change, so no
  // rebuild). The engine assigns in parameter order; the list is reversed
  // since the backward pass produces the last layers' gradients first.
  const std::vector<std::size_t> limits =
      options_.find_unused_parameters
          ? std::vector<std::size_t>{static_cast<std::size_t>(options_.first_bucket_bytes),
                                     static_cast<std::size_t>(options_.bucket_bytes)}
          : std::vector<std::size_t>{std::numeric_limits<std::size_t>::max()};
  const std::vector<bool> sparse(trainable.size(), false);
  auto [buckets, bucket_limits] = c10d::compute_bucket_assignment_by_size(trainable, limits, sparse);
  std::reverse(buckets.begin(), buckets.end());
  std::reverse(bucket_limits.begin(), bucket_limits.end());

  as_run_error("setting up", [&] {
    // PyTorch 2.7 dropped the per-bucket limits from the constructor (the
    // Reducer keeps its own); 1.13 to 2.6 take them.
    reducer_ = std::make_shared<c10d::Reducer>(
        std::move(trainable), std::move(buckets),
#if !(TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 7))
        std::move(bucket_limits),
#endif
        group, sparse, options_.bucket_bytes, options_.find_unused_parameters, /*gradient_as_bucket_view=*/true,
        std::unordered_map<std::size_t, std::string>{}, options_.first_bucket_bytes);
    logger_ = std::make_shared<c10d::Logger>(reducer_);
    reducer_->set_logger(logger_);
    auto hook = std::make_unique<GradientHook>(group, wire_type, !options_.overlap);
    hook_ = hook.get();
    reducer_->register_comm_hook(std::move(hook));
  });
}

// The logger holds the Reducer, so it goes first; the Reducer's destructor
// then removes its autograd hooks from the parameters.
GradientReducer::~GradientReducer() {
  logger_.reset();
  reducer_.reset();
}

void GradientReducer::prepare_for_forward() {
  as_run_error("before the forward pass", [&] {
    reducer_->prepare_for_forward();
    reducer_->rebuild_buckets();  // only after the first step, once; a broadcast from rank 0
  });
}

void GradientReducer::prepare_for_backward(const std::vector<torch::Tensor>& outputs) {
  hook_->begin_step();
  as_run_error("before the backward pass", [&] {
    // The outputs are walked only to find unused parameters (DDP passes none otherwise).
    reducer_->prepare_for_backward(options_.find_unused_parameters ? outputs : std::vector<torch::Tensor>{});
  });
  prepared_ = true;
}

void GradientReducer::finish_backward() {
  if (!prepared_) return;
  prepared_ = false;
  // The Reducer waited for every bucket at the end of the backward pass (its
  // final autograd callback), after the last bucket started: that wait, and
  // without overlap the whole reduction, is what the backward did not hide.
  as_run_error("after the backward pass", [&] { hook_->reduce_deferred(); });
  const std::vector<Clock::time_point>& starts = hook_->starts();
  last_wait_seconds_ =
      starts.empty() ? 0.0 : std::chrono::duration<double>(Clock::now() - starts.back()).count();
}

std::size_t GradientReducer::bucket_count() const {
  return reducer_->get_grad_buckets(/*return_zero_tensors=*/true).size();
}

const std::vector<GradientReducer::Clock::time_point>& GradientReducer::last_bucket_starts() const {
  return hook_->starts();
}

}  // namespace trainbench::dist
