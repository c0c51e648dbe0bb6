#pragma once
// The communication hook trainbench gives c10d's Reducer (gradient_reducer.h):
// the Reducer calls runHook with each bucket as soon as its gradients are in,
// and copies what the returned future holds into the gradients. Ours
// averages the bucket over the ranks, as DDP's default hook does (divided by
// the world size first, so the sum stays in range), optionally compressed to
// fp16 or bf16 on the wire and widened back on arrival (DDP's
// fp16_compress_hook, and its bf16 twin). It also notes when each bucket
// started, and can hold every bucket back until the backward pass is over
// (--no-overlap). Only gradient_reducer.cpp includes this header.
#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>
#include <torch/csrc/distributed/c10d/comm.hpp>

#include <chrono>
#include <mutex>
#include <vector>

namespace trainbench::dist {

class GradientHook final : public c10d::CommHookInterface {
 public:
  using Clock = std::chrono::steady_clock;

  // `wire_type`: the dtype the all-reduce carries (the gradients' own when
  // at::ScalarType::Undefined). `deferred`: hold the buckets back until
  // reduce_deferred().
  GradientHook(c10::intrusive_ptr<c10d::ProcessGroup> group, at::ScalarType wire_type, bool deferred);

  c10::intrusive_ptr<c10::ivalue::Future> runHook(c10d::GradBucket& bucket) override;
  at::Tensor parseHookResult(const c10::IValue& result) override;

  // Forgets the last step's start times; before each reduced backward pass.
  void begin_step();
  // Without overlap: all-reduces the held-back buckets in place, in order,
  // and waits for them. The parameters' gradients are views into those
  // buckets, so this is where they become the mean.
  void reduce_deferred();
  const std::vector<Clock::time_point>& starts() const { return starts_; }

 private:
  // The mean of `bucket` over the ranks, in place, once the future completes.
  c10::intrusive_ptr<c10::ivalue::Future> start_mean(at::Tensor bucket);

  c10::intrusive_ptr<c10d::ProcessGroup> group_;
  at::ScalarType wire_type_;
  bool deferred_;
  std::mutex mutex_;  // the Reducer may call runHook from an autograd device thread
  std::vector<Clock::time_point> starts_;
  std::vector<at::Tensor> held_back_;
};

}  // namespace trainbench::dist
