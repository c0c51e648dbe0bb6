#pragma once
// Stands in for PyTorch's torch/csrc/distributed/autograd/context/context.h,
// which Debian's libtorch-dev 1.13 does not ship although c10d's reducer.hpp
// includes it (PyTorch 2.x's LibTorch ships the real one, and CMakeLists.txt
// adds this folder only when the real header is missing).
//
// reducer.hpp uses exactly two names from it, and only in ways that fix no
// layout of ours: DistAutogradContext::GradCallback in a static_assert that
// it equals the Reducer's own std::function<bool(at::Tensor&)>, and
// ContextPtr (a shared_ptr) as the type of one member holder. Both are
// declared here as PyTorch declares them, so the Reducer compiled into
// libtorch_cpu.so and the one our code sees have the same members and sizes.
// Nothing else of distributed autograd is declared, so nothing can call it.
#include <ATen/core/Tensor.h>

#include <functional>
#include <memory>

namespace torch::distributed::autograd {

class DistAutogradContext {
 public:
  using GradCallback = std::function<bool(at::Tensor&)>;
};

using ContextPtr = std::shared_ptr<DistAutogradContext>;

}  // namespace torch::distributed::autograd
