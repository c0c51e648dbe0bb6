#include "dist/gradient_hook.h"

#include <ATen/core/jit_type.h>

namespace trainbench::dist {
namespace {

c10::intrusive_ptr<c10::ivalue::Future> completed_with(const at::Tensor& tensor) {
  auto future = c10::make_intrusive<c10::ivalue::Future>(c10::TensorType::get());
  future->markCompleted(c10::IValue(tensor));
  return future;
}

}  // namespace

GradientHook::GradientHook(c10::intrusive_ptr<c10d::ProcessGroup> group, at::ScalarType wire_type, bool deferred)
    : group_(std::move(group)), wire_type_(wire_type), deferred_(deferred) {}

c10::intrusive_ptr<c10::ivalue::Future> GradientHook::runHook(c10d::GradBucket& bucket) {
  at::Tensor buffer = bucket.getBuffer();
  std::lock_guard<std::mutex> lock(mutex_);
  starts_.push_back(Clock::now());
  if (deferred_) {
    // The Reducer takes the bucket back as it is; with gradients as bucket
    // views, reducing it in place later reaches them all the same.
    held_back_.push_back(buffer);
    return completed_with(buffer);
  }
  return start_mean(buffer);
}

c10::intrusive_ptr<c10::ivalue::Future> GradientHook::start_mean(at::Tensor bucket) {
  const double world_size = group_->getSize();
  if (wire_type_ == at::ScalarType::Undefined || wire_type_ == bucket.scalar_type()) {
    bucket.div_(world_size);
    std::vector<at::Tensor> tensors{bucket};
    return group_->allreduce(tensors)->getFuture();
  }
  std::vector<at::Tensor> wire{bucket.to(wire_type_).div_(world_size)};
  c10::intrusive_ptr<c10::ivalue::Future> reduced = group_->allreduce(wire)->getFuture();
  return reduced->then(
      [bucket](c10::ivalue::Future& done) mutable {
        bucket.copy_(done.value().toTensorVector().at(0));
        return c10::IValue(bucket);
      },
      c10::TensorType::get());
}

at::Tensor GradientHook::parseHookResult(const c10::IValue& result) {
  // A process group's future holds the list it reduced; ours the bucket.
  return result.isTensor() ? result.toTensor() : result.toTensorVector().at(0);
}

void GradientHook::begin_step() {
  std::lock_guard<std::mutex> lock(mutex_);
  starts_.clear();
  held_back_.clear();
}

void GradientHook::reduce_deferred() {
  std::vector<at::Tensor> buckets;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    buckets.swap(held_back_);
  }
  std::vector<c10::intrusive_ptr<c10::ivalue::Future>> pending;
  pending.reserve(buckets.size());
  for (const at::Tensor& bucket : buckets) pending.push_back(start_mean(bucket));
  for (const auto& future : pending) {
    future->wait();
    if (future->hasError()) future->value();  // rethrows the collective's error
  }
}

}  // namespace trainbench::dist
