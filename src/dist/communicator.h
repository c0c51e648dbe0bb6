#pragma once
// This process's link to the other ranks of a data-parallel job, on PyTorch's
// own distributed engine (c10d): a TCPStore on the master for the rendezvous,
// then ProcessGroupGloo (CPU tensors) or ProcessGroupNCCL (CUDA tensors, in
// builds with CUDA) for the collectives. The process groups' class names,
// options and base classes differ between LibTorch 1.13 and 2.x;
// communicator.cpp is the one file that makes them, and hands the gradient
// reducer a c10d::ProcessGroup either way (process_group()).
//
// Every wait is bounded: the rendezvous and every collective use the timeout
// given here (c10d's own default is 30 minutes), so a rank that never comes,
// or dies mid-run, ends the others with an error instead of a hang.
#include <c10/util/intrusive_ptr.h>
#include <torch/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "dist/launch_environment.h"

namespace c10d {
class ProcessGroup;
}

namespace trainbench::dist {

enum class Backend { kGloo, kNccl };
std::string to_string(Backend backend);

// --dist-backend: "auto" (NCCL for a CUDA device, Gloo otherwise), "gloo" or
// "nccl". Throws UsageError for an unknown name, NCCL off CUDA, or a backend
// this build lacks.
Backend resolve_backend(const std::string& name, const torch::Device& device);

enum class ReduceOp { kSum, kMin, kMax };

// A collective started without waiting: wait() blocks until it is done on
// this rank (throwing RunError when it failed or timed out).
class PendingCollective {
 public:
  virtual ~PendingCollective() = default;
  virtual void wait() = 0;
};

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int world_size() const = 0;
  virtual Backend backend() const = 0;

  // In place, on every rank, blocking. All tensors of one call share a
  // device; every rank must make the same calls in the same order.
  virtual void all_reduce(std::vector<torch::Tensor>& tensors, ReduceOp op = ReduceOp::kSum) = 0;
  virtual std::unique_ptr<PendingCollective> all_reduce_async(torch::Tensor tensor) = 0;  // a sum
  // Rank `root`'s values into every rank's tensors.
  virtual void broadcast(std::vector<torch::Tensor>& tensors, int root = 0) = 0;
  virtual void barrier() = 0;

  // The c10d process group itself, as the engine's gradient reducer
  // (dist/gradient_reducer.h) takes it: in LibTorch 2.x the Gloo or NCCL
  // backend wrapped in a ProcessGroup, in 1.13 the group as it is.
  virtual c10::intrusive_ptr<c10d::ProcessGroup> process_group() = 0;
};

struct ConnectOptions {
  Backend backend = Backend::kGloo;
  // How long the rendezvous waits for every rank, and each collective for
  // the slowest rank.
  std::chrono::seconds timeout{300};
  // The device whose tensors the collectives carry (NCCL binds to one GPU).
  torch::Device device = torch::kCPU;
};

// Joins the job `identity` describes: rank 0 hosts the store on
// master_address:master_port and waits for the others; they connect to it.
// Throws RunError naming the address when the master is not there within the
// timeout, the port is taken, or some rank never arrives.
std::shared_ptr<Communicator> connect(const LaunchIdentity& identity, const ConnectOptions& options);

}  // namespace trainbench::dist
