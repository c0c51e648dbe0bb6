#include "dist/gradient_reducer.h"

#include <chrono>
#include <map>
#include <tuple>

#include "core/error.h"

namespace trainbench::dist {

GradientReducer::GradientReducer(std::shared_ptr<Communicator> communicator, std::vector<torch::Tensor> parameters,
                                 GradientReducerOptions options)
    : communicator_(std::move(communicator)), parameters_(std::move(parameters)), options_(options) {
  if (options_.bucket_bytes < 1) throw UsageError("the gradient bucket size must be positive");
  slots_.resize(parameters_.size());
  // Reverse order: the last layers' gradients come first in the backward
  // pass. A bucket holds one dtype on one device, so that it is one tensor.
  std::map<std::tuple<int, int, int>, std::size_t> open;  // (dtype, device type, index) -> bucket filling
  std::vector<std::int64_t> sizes;
  for (std::size_t i = parameters_.size(); i-- > 0;) {
    const torch::Tensor& parameter = parameters_[i];
    if (!parameter.requires_grad()) continue;
    const auto key = std::make_tuple(static_cast<int>(parameter.scalar_type()),
                                     static_cast<int>(parameter.device().type()), parameter.device().index());
    auto found = open.find(key);
    if (found == open.end() || sizes[found->second] * static_cast<std::int64_t>(parameter.element_size()) >=
                                   options_.bucket_bytes) {
      buckets_.emplace_back();
      sizes.push_back(0);
      found = open.insert_or_assign(key, buckets_.size() - 1).first;
    }
    const std::size_t bucket = found->second;
    slots_[i] = Slot{bucket, sizes[bucket], false};
    buckets_[bucket].parameters.push_back(i);
    sizes[bucket] += parameter.numel();
  }
  for (std::size_t b = 0; b < buckets_.size(); ++b) {
    const torch::Tensor& first = parameters_[buckets_[b].parameters.front()];
    buckets_[b].flat = torch::zeros({sizes[b]}, first.options().requires_grad(false));
  }
  for (std::size_t i = 0; i < parameters_.size(); ++i) {
    if (!parameters_[i].requires_grad()) {
      hooks_.push_back(0);
      continue;
    }
    hooks_.push_back(parameters_[i].register_hook([this, i](torch::Tensor gradient) { on_gradient(i, gradient); }));
  }
}

GradientReducer::~GradientReducer() {
  for (std::size_t i = 0; i < parameters_.size(); ++i) {
    if (parameters_[i].requires_grad()) parameters_[i].remove_hook(hooks_[i]);
  }
  // A collective still in flight (after an error) must not outlive its tensor's users.
  for (Bucket& bucket : buckets_) {
    if (!bucket.pending) continue;
    try {
      bucket.pending->wait();
    } catch (...) {
    }
  }
}

void GradientReducer::prepare_for_backward() {
  std::lock_guard<std::mutex> lock(mutex_);
  for (Bucket& bucket : buckets_) {
    bucket.ready = 0;
    bucket.pending.reset();
  }
  for (Slot& slot : slots_) slot.ready = false;
  next_to_start_ = 0;
}

void GradientReducer::on_gradient(std::size_t parameter, const torch::Tensor& gradient) {
  std::lock_guard<std::mutex> lock(mutex_);
  Slot& slot = slots_[parameter];
  Bucket& bucket = buckets_[slot.bucket];
  torch::NoGradGuard no_grad;
  torch::Tensor view = bucket.flat.narrow(0, slot.offset, gradient.numel());
  if (slot.ready) {
    // A parameter used twice in the graph: its gradients add up, which is
    // too late once its bucket is on the wire (DDP refuses this case too).
    if (bucket.pending) {
      throw RunError("a parameter got a second gradient after its bucket's all-reduce started (a module used twice "
                     "in one forward pass cannot be trained data-parallel)");
    }
    view.add_(gradient.reshape({-1}));
    return;
  }
  view.copy_(gradient.reshape({-1}));
  slot.ready = true;
  ++bucket.ready;
  if (options_.overlap) start_ready_buckets();
}

void GradientReducer::start_ready_buckets() {
  while (next_to_start_ < buckets_.size()) {
    Bucket& bucket = buckets_[next_to_start_];
    if (bucket.ready < bucket.parameters.size()) return;
    start(bucket);
    ++next_to_start_;
  }
}

void GradientReducer::start(Bucket& bucket) {
  // Averaged before the sum, as DDP does: the sum of world_size values each
  // divided by world_size stays in range in fp16 too.
  bucket.flat.div_(communicator_->world_size());
  bucket.pending = communicator_->all_reduce_async(bucket.flat);
}

void GradientReducer::finish_backward() {
  const auto start_time = std::chrono::steady_clock::now();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    torch::NoGradGuard no_grad;
    for (; next_to_start_ < buckets_.size(); ++next_to_start_) {
      Bucket& bucket = buckets_[next_to_start_];
      for (std::size_t i : bucket.parameters) {
        const Slot& slot = slots_[i];
        if (!slot.ready) bucket.flat.narrow(0, slot.offset, parameters_[i].numel()).zero_();
      }
      start(bucket);
    }
  }
  for (Bucket& bucket : buckets_) {
    bucket.pending->wait();
    bucket.pending.reset();
  }
  last_wait_seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_time).count();
  torch::NoGradGuard no_grad;
  for (const Bucket& bucket : buckets_) {
    for (std::size_t i : bucket.parameters) {
      torch::Tensor& parameter = parameters_[i];
      torch::Tensor average = bucket.flat.narrow(0, slots_[i].offset, parameter.numel()).view(parameter.sizes());
      if (parameter.grad().defined()) {
        parameter.mutable_grad().copy_(average);
      } else {
        parameter.mutable_grad() = average.clone();
      }
    }
  }
}

}  // namespace trainbench::dist
