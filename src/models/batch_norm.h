#pragma once
// The models' batch norm: torch.nn.BatchNorm2d (same parameters, buffers
// and names, so weights, checkpoints and exports are unchanged) that can
// instead normalise a training batch with the statistics of every rank's
// batch together, as PyTorch's SyncBatchNorm does (`train --sync-bn`). Then
// N ranks of batch B train exactly like one process of batch N*B.
//
// The ranks are reached through StatisticsSync, which the data-parallel layer
// implements; the models know nothing of process groups.
#include <torch/nn/cloneable.h>
#include <torch/nn/pimpl.h>

#include <cstdint>
#include <memory>
#include <ostream>

namespace trainbench::models {

class StatisticsSync {
 public:
  virtual ~StatisticsSync() = default;
  virtual int rank() const = 0;
  virtual int world_size() const = 0;
  // Sums `tensor` (contiguous, float) over all ranks, in place; blocking.
  virtual void all_reduce_sum(torch::Tensor& tensor) = 0;
};

// LibTorch's BatchNorm2d cannot be subclassed against Debian's LibTorch (its
// base template's virtuals are not exported), so this is a module of its own
// with the same parameters, buffers, names, order and defaults (eps 1e-5,
// momentum 0.1, affine, tracking running statistics). Momentum is PyTorch's:
// running = (1 - momentum) * running + momentum * batch statistic.
class BatchNorm2dImpl : public torch::nn::Cloneable<BatchNorm2dImpl> {
 public:
  explicit BatchNorm2dImpl(std::int64_t features, double eps = kEps, double momentum = kMomentum);
  void reset() override;
  void pretty_print(std::ostream& stream) const override;
  // torch.nn.BatchNorm2d's, except in training with a sync of more than one
  // rank: then the statistics are those of every rank's batch together.
  torch::Tensor forward(const torch::Tensor& input);
  void synchronize_with(std::shared_ptr<StatisticsSync> sync) { sync_ = std::move(sync); }

  static constexpr double kEps = 1e-5;
  static constexpr double kMomentum = 0.1;
  std::int64_t features;
  double eps, momentum;
  torch::Tensor weight, bias, running_mean, running_var, num_batches_tracked;

 private:
  torch::Tensor synchronized_forward(const torch::Tensor& input);
  std::shared_ptr<StatisticsSync> sync_;
};
TORCH_MODULE(BatchNorm2d);

// Points every BatchNorm2d of `model` at `sync` (nullptr: local statistics
// again); returns how many there are.
int synchronize_batch_norms(torch::nn::Module& model, const std::shared_ptr<StatisticsSync>& sync);

}  // namespace trainbench::models
