#pragma once
// Averages a model's gradients across the ranks of a data-parallel job with
// the engine's own reducer: c10d::Reducer, the C++ class under every PyTorch
// DistributedDataParallel job, driven the way torch/nn/parallel/distributed.py
// drives it. What that brings, as in DDP:
// - buckets: the first step reduces one bucket of everything; its backward
//   pass records the order the gradients arrive in, and the buckets are then
//   rebuilt in that order with the engine's own assignment (a small first
//   bucket, then about bucket_bytes each), identical on every rank (rank 0's
//   assignment is broadcast);
// - each bucket's all-reduce starts from the autograd hooks as soon as its
//   gradients are in, while the backward pass goes on with the layers below;
// - the parameters' .grad are views into the buckets (DDP's
//   gradient_as_bucket_view), so no model-sized copy is made, and they keep
//   each parameter's memory layout (channels-last included);
// - find_unused_parameters: parameters the forward pass did not reach are
//   found from the graph and reduced as zeros, so the ranks still agree;
// - a backward pass not prepared with prepare_for_backward() reduces nothing
//   and its gradients add up locally (DDP's no_sync, for --accumulate).
// The all-reduce itself is a communication hook of ours (gradient_hook.h):
// the mean in fp32, or compressed to fp16 / bf16 on the wire, or deferred
// until after the backward pass (to measure what the overlap hides).
#include <torch/torch.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dist/communicator.h"

namespace c10d {
class Logger;
class Reducer;
}

namespace trainbench::dist {

class GradientHook;

// --grad-compression: what travels on the wire.
enum class GradientCompression { kNone, kFp16, kBf16 };
std::string to_string(GradientCompression compression);
// "none", "fp16" or "bf16"; UsageError otherwise.
GradientCompression parse_gradient_compression(const std::string& name);

struct GradientReducerOptions {
  std::int64_t bucket_bytes = 25 * 1024 * 1024;  // --bucket-mb (DDP's bucket_cap_mb)
  // The first bucket after the rebuild (DDP: 1 MB, or bucket_bytes when the
  // user set that), so the first all-reduce starts early in the backward pass.
  std::int64_t first_bucket_bytes = 1024 * 1024;
  bool find_unused_parameters = false;  // --find-unused-parameters
  GradientCompression compression = GradientCompression::kNone;
  // false: every bucket is reduced after the backward pass, not during it
  // (--no-overlap; only to measure what the overlap gains).
  bool overlap = true;
};

class GradientReducer {
 public:
  using Clock = std::chrono::steady_clock;

  GradientReducer(std::shared_ptr<Communicator> communicator, std::vector<torch::Tensor> parameters,
                  GradientReducerOptions options = {});
  ~GradientReducer();
  GradientReducer(const GradientReducer&) = delete;
  GradientReducer& operator=(const GradientReducer&) = delete;

  // Before each forward pass whose backward is reduced (DDP's forward): may
  // rebuild the buckets (a collective, after the first step).
  void prepare_for_forward();
  // Before a backward pass whose gradients are to be averaged; `outputs` are
  // the forward pass's outputs (the loss), searched for unused parameters.
  // A backward pass without it (DDP's no_sync) only adds up gradients locally.
  void prepare_for_backward(const std::vector<torch::Tensor>& outputs);
  // After a prepared backward pass has returned: the parameters' .grad hold
  // the mean over the ranks (without overlap, the buckets are reduced here).
  void finish_backward();

  std::size_t bucket_count() const;
  // Seconds from the last gradient of the step to the averaged gradients
  // being in place: the communication the backward pass did not hide.
  double last_wait_seconds() const { return last_wait_seconds_; }
  // When each bucket's all-reduce was started in the last prepared step, in
  // bucket order.
  const std::vector<Clock::time_point>& last_bucket_starts() const;

 private:
  std::shared_ptr<Communicator> communicator_;
  GradientReducerOptions options_;
  GradientHook* hook_ = nullptr;  // owned by reducer_
  std::shared_ptr<c10d::Reducer> reducer_;
  // The Reducer reports to a logger it holds weakly, and one of its paths
  // (find_unused_parameters, when the unused set changes) uses it unchecked.
  std::shared_ptr<c10d::Logger> logger_;
  bool prepared_ = false;
  double last_wait_seconds_ = 0.0;
};

}  // namespace trainbench::dist
