#pragma once
// The trainer's side of a data-parallel job: who this rank is, and the few
// points where the ranks must meet.
// - At the start: rank 0's weights go to every rank, and a checksum of them
//   and a fingerprint of the run's settings and data are compared, so ranks
//   that would silently train different things stop at once.
// - Every step: the ranks agree on whether the step is taken (every rank has
//   at least two images) and on the loss (the mean over all ranks' images, so
//   a non-finite loss stops every rank at the same step); the gradients are
//   averaged in buckets during the backward pass by c10d's own Reducer
//   (dist/gradient_reducer.h), once per optimizer step (--accumulate).
// - Every pass: the figures (loss, correct, images) are summed over ranks.
// Only rank 0 writes files and draws bars; the others train in silence.
#include <torch/types.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dist/communicator.h"
#include "dist/gradient_reducer.h"
#include "dist/launch_environment.h"
#include "models/classifier.h"
#include "train/metrics.h"

namespace trainbench::train {

struct DataParallelOptions {
  std::string backend = "auto";  // --dist-backend
  bool sync_batch_norm = false;  // --sync-bn
  // Rank 0's buffers (batch-norm running statistics) to every rank before each
  // forward pass, as DDP does by default (--no-broadcast-buffers turns it off).
  bool broadcast_buffers = true;
  std::chrono::seconds timeout{300};
  // --bucket-mb, --find-unused-parameters, --grad-compression, --no-overlap.
  dist::GradientReducerOptions gradients;
};

class DataParallel {
 public:
  // `device`: the model's; the job's own collectives (agreement, sums) carry
  // their tensors there with NCCL, on the CPU with Gloo.
  DataParallel(dist::LaunchIdentity identity, std::shared_ptr<dist::Communicator> communicator,
               DataParallelOptions options, torch::Device device = torch::kCPU);

  int rank() const { return identity_.rank; }
  int world_size() const { return identity_.world_size; }
  bool leads() const { return identity_.rank == 0; }
  const dist::LaunchIdentity& identity() const { return identity_; }
  std::string backend() const { return dist::to_string(communicator_->backend()); }
  dist::Communicator& communicator() { return *communicator_; }

  // Broadcasts rank 0's parameters and buffers, then checks that every rank
  // holds the same weights and the same `fingerprint` (settings and data).
  void agree_on_start(models::Classifier& model, const std::string& fingerprint);
  // Hooks the gradient reducer into the model (and the batch-norm sync with --sync-bn).
  void attach(models::Classifier& model);

  // Rank 0's buffers to every rank (DataParallelOptions::broadcast_buffers):
  // before each training forward pass and before evaluating, so every rank
  // runs the model rank 0 saves. Nothing to do with --sync-bn, where the
  // statistics are the same everywhere already.
  void broadcast_buffers(models::Classifier& model);

  // Around a forward and backward pass whose gradients are averaged (the
  // last micro-batch of a step under --accumulate; the others only add up
  // their gradients locally and call none of these):
  void before_reduced_forward();  // may rebuild the buckets (after the first step)
  void before_backward(const torch::Tensor& loss);
  void after_backward();  // the parameters' .grad then hold the mean
  double last_all_reduce_wait_seconds() const;

  // The fewest images any rank has in this step's batch.
  std::int64_t fewest_images(std::int64_t images);
  // In place: each value summed over the ranks.
  void sum(std::vector<double>& values);
  // Whether `flag` is true on any rank (to stop every rank at the same point).
  bool any(bool flag);
  // Every rank's `value`, in rank order.
  std::vector<double> per_rank(double value);
  // A pass's figures summed over the ranks (the mean loss is over all ranks' batches).
  RunningMetrics sum(const RunningMetrics& metrics);

 private:
  dist::LaunchIdentity identity_;
  std::shared_ptr<dist::Communicator> communicator_;
  DataParallelOptions options_;
  torch::Device collective_device_;
  std::unique_ptr<dist::GradientReducer> reducer_;
};

// Joins the job `identity` describes (read once per process from torchrun's
// or Slurm's environment: dist/launch_environment.h); null for a lone process
// (nullopt). Throws RunError when the ranks do not meet within the timeout.
std::unique_ptr<DataParallel> join_data_parallel(const DataParallelOptions& options, const torch::Device& device,
                                                 const std::optional<dist::LaunchIdentity>& identity);

// --bucket-mb, --grad-compression and --find-unused-parameters as the
// reducer takes them: DDP's bucket_cap_mb (25 by default, when the first
// bucket after the rebuild is 1 MB; any other value sizes the first too).
// Throws UsageError for a size that is not positive or an unknown compression.
dist::GradientReducerOptions gradient_reducer_options(double bucket_mb, const std::string& compression,
                                                      bool find_unused_parameters);
constexpr double kDefaultBucketMb = 25.0;

// The compute threads a rank takes by default: this machine's cores shared by
// its local ranks (all of them for a lone process).
// Under Slurm, a task that srun bound to its own cores (its CPU affinity
// narrower than the job's CPUs on the node) takes them all: they are its share
// already, and dividing again would leave cores idle.
int rank_core_share(const std::optional<dist::LaunchIdentity>& identity);
// The same from `available_cores` (this process's affinity and cgroup limit).
int rank_core_share(const std::optional<dist::LaunchIdentity>& identity, int available_cores);

}  // namespace trainbench::train
