#pragma once
// Averages the gradients of a model across the ranks of a data-parallel job,
// the way PyTorch's DistributedDataParallel does: parameters are grouped into
// buckets of about 25 MB in reverse order (the order the backward pass
// produces their gradients), each gradient is copied into its bucket from a
// hook as soon as autograd computes it, and a bucket whose gradients are all
// in starts its all-reduce at once, while the backward pass goes on with the
// layers below. finish_backward() waits for the last bucket and writes the
// averages into the parameters' .grad.
//
// Buckets start strictly in order (bucket 1 waits for bucket 0 even if it
// fills first), since the collectives must be issued in the same order on
// every rank. A parameter that got no gradient on this rank contributes
// zeros, so the ranks still agree (DDP's find_unused_parameters).
#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "dist/communicator.h"

namespace trainbench::dist {

struct GradientReducerOptions {
  std::int64_t bucket_bytes = 25 * 1024 * 1024;
  // false: every bucket is reduced after the backward pass, not during it
  // (only to measure what the overlap gains).
  bool overlap = true;
};

class GradientReducer {
 public:
  GradientReducer(std::shared_ptr<Communicator> communicator, std::vector<torch::Tensor> parameters,
                  GradientReducerOptions options = {});
  ~GradientReducer();  // removes its hooks from the parameters
  GradientReducer(const GradientReducer&) = delete;
  GradientReducer& operator=(const GradientReducer&) = delete;

  // Before each backward pass.
  void prepare_for_backward();
  // After the backward pass: starts what is left, waits for every bucket,
  // and sets each parameter's .grad to the average over the ranks.
  void finish_backward();

  std::size_t bucket_count() const { return buckets_.size(); }
  // Seconds finish_backward() spent waiting for all-reduces in the last step
  // (communication the backward pass did not hide).
  double last_wait_seconds() const { return last_wait_seconds_; }

 private:
  struct Bucket {
    torch::Tensor flat;                   // the bucket's gradients, end to end
    std::vector<std::size_t> parameters;  // indices into parameters_
    std::size_t ready = 0;                // gradients in, this step
    std::unique_ptr<PendingCollective> pending;
  };
  struct Slot {
    std::size_t bucket = 0;
    std::int64_t offset = 0;  // in elements, within the bucket's flat tensor
    bool ready = false;
  };

  void on_gradient(std::size_t parameter, const torch::Tensor& gradient);
  void start_ready_buckets();  // with mutex_ held
  void start(Bucket& bucket);

  std::shared_ptr<Communicator> communicator_;
  std::vector<torch::Tensor> parameters_;
  GradientReducerOptions options_;
  std::vector<Bucket> buckets_;
  std::vector<Slot> slots_;  // per parameter
  std::vector<unsigned> hooks_;
  std::mutex mutex_;  // hooks may run on an autograd device thread
  std::size_t next_to_start_ = 0;
  double last_wait_seconds_ = 0.0;
};

}  // namespace trainbench::dist
