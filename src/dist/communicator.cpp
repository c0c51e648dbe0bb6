#include "dist/communicator.h"

#include <c10/util/Exception.h>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/csrc/distributed/c10d/comm.hpp>
#include <torch/csrc/distributed/c10d/Types.hpp>
#include <torch/version.h>

#include <cstdlib>
#include <stdexcept>
#include <thread>
#include <type_traits>

#include "core/error.h"
#include "dist/network_checks.h"

// Gloo needs its own headers (Debian: libgloo-dev; CMakeLists.txt defines
// USE_C10D_GLOO when it finds them). NCCL exists only in CUDA builds of LibTorch.
#if defined(USE_C10D_GLOO)
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#define TRAINBENCH_HAVE_GLOO 1
#else
#define TRAINBENCH_HAVE_GLOO 0
#endif
#if defined(TRAINBENCH_WITH_CUDA) && defined(USE_C10D_NCCL)
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#define TRAINBENCH_HAVE_NCCL 1
#else
#define TRAINBENCH_HAVE_NCCL 0
#endif

namespace trainbench::dist {
namespace {

#if TRAINBENCH_HAVE_NCCL
using NcclGroup = c10d::ProcessGroupNCCL;
#else
struct NcclGroup;  // never instantiated: no NCCL in this build
#endif

std::string address_text(const LaunchIdentity& identity) {
  return identity.master_address + ":" + std::to_string(identity.master_port);
}

c10d::ReduceOp to_c10d(ReduceOp op) {
  switch (op) {
    case ReduceOp::kSum: return c10d::ReduceOp(c10d::ReduceOp::SUM);
    case ReduceOp::kMin: return c10d::ReduceOp(c10d::ReduceOp::MIN);
    case ReduceOp::kMax: return c10d::ReduceOp(c10d::ReduceOp::MAX);
  }
  throw std::logic_error("unknown ReduceOp");
}

// c10d's failures (a peer gone, a timeout) as our error, with what was being done.
template <typename Action>
auto collective(const char* what, int rank, Action&& action) {
  try {
    return action();
  } catch (const c10::Error& error) {
    throw RunError(std::string(what) + " failed on rank " + std::to_string(rank) +
                   " (another rank stopped or is too slow; see its output): " + error.what_without_backtrace());
  } catch (const std::runtime_error& error) {
    throw RunError(std::string(what) + " failed on rank " + std::to_string(rank) +
                   " (another rank stopped or is too slow; see its output): " + error.what());
  }
}

// c10d's Work handles: the class is c10d::Work in both 1.13 and 2.x; the
// process groups derive from ProcessGroup (1.13) or Backend (2.x), so the
// group is a template parameter rather than a base-class pointer.
template <typename Work>
class PendingWork final : public PendingCollective {
 public:
  PendingWork(c10::intrusive_ptr<Work> work, int rank) : work_(std::move(work)), rank_(rank) {}
  void wait() override {
    collective("an all-reduce", rank_, [&] { return work_->wait(); });
  }

 private:
  c10::intrusive_ptr<Work> work_;
  int rank_;
};

// The group as a c10d::ProcessGroup, which the engine's Reducer takes. In
// 1.13 the Gloo and NCCL groups are ProcessGroups. In 2.x they are Backends,
// and a ProcessGroup dispatches each collective to the backend registered for
// its tensors' device type, as torch.distributed's new_group does.
template <typename Group>
c10::intrusive_ptr<c10d::ProcessGroup> as_process_group([[maybe_unused]] const c10::intrusive_ptr<c10d::Store>& store,
                                                        const c10::intrusive_ptr<Group>& group,
                                                        [[maybe_unused]] int rank, [[maybe_unused]] int world_size) {
#if TORCH_VERSION_MAJOR >= 2
  constexpr bool kNccl = std::is_same_v<Group, NcclGroup>;
  const auto type = kNccl ? c10d::ProcessGroup::BackendType::NCCL : c10d::ProcessGroup::BackendType::GLOO;
#if TORCH_VERSION_MINOR >= 5
  auto process_group = c10::make_intrusive<c10d::ProcessGroup>(store, rank, world_size);
  process_group->setDefaultBackend(type);
#else
  auto process_group = c10::make_intrusive<c10d::ProcessGroup>(
      store, rank, world_size, c10::make_intrusive<c10d::ProcessGroup::Options>(kNccl ? "nccl" : "gloo"));
#endif
  process_group->setBackend(kNccl ? c10::DeviceType::CUDA : c10::DeviceType::CPU, type, group);
  return process_group;
#else
  return group;
#endif
}

template <typename Group>
class C10dCommunicator final : public Communicator {
 public:
  C10dCommunicator(c10::intrusive_ptr<c10d::Store> store, c10::intrusive_ptr<Group> group, int rank, int world_size,
                   Backend backend)
      : store_(std::move(store)), group_(std::move(group)), rank_(rank), world_size_(world_size), backend_(backend) {}

  int rank() const override { return rank_; }
  int world_size() const override { return world_size_; }
  Backend backend() const override { return backend_; }

  void all_reduce(std::vector<torch::Tensor>& tensors, ReduceOp op) override {
    if (tensors.empty()) return;
    c10d::AllreduceOptions options;
    options.reduceOp = to_c10d(op);
    // One collective per tensor: Gloo reduces a list only of one dtype.
    for (torch::Tensor& tensor : tensors) {
      std::vector<torch::Tensor> one{tensor};
      collective("an all-reduce", rank_, [&] { return group_->allreduce(one, options)->wait(); });
    }
  }

  std::unique_ptr<PendingCollective> all_reduce_async(torch::Tensor tensor) override {
    std::vector<torch::Tensor> tensors{std::move(tensor)};
    auto work = collective("an all-reduce", rank_, [&] { return group_->allreduce(tensors); });
    return std::make_unique<PendingWork<typename decltype(work)::element_type>>(std::move(work), rank_);
  }

  // The engine's coalesced broadcast (what DDP uses for its buffers): the
  // tensors flattened into a few buffers by dtype and device, a collective
  // each, copied back. One collective per tensor cost resnet18's 60 batch-norm
  // buffers about as much per step as its gradients' exposed all-reduce.
  void broadcast(std::vector<torch::Tensor>& tensors, int root) override {
    if (tensors.empty()) return;
    constexpr std::size_t kBufferBytes = 256 * 1024 * 1024;
    collective("a broadcast", rank_, [&] {
      c10d::broadcast_coalesced(process_group(), tensors, kBufferBytes, root);
      return true;
    });
  }

  void barrier() override {
    collective("a barrier", rank_, [&] { return group_->barrier()->wait(); });
  }

  c10::intrusive_ptr<c10d::ProcessGroup> process_group() override {
    if (!process_group_) process_group_ = as_process_group(store_, group_, rank_, world_size_);
    return process_group_;
  }

 private:
  c10::intrusive_ptr<c10d::Store> store_;  // the group keeps using it
  c10::intrusive_ptr<Group> group_;
  c10::intrusive_ptr<c10d::ProcessGroup> process_group_;  // made when first asked for
  int rank_;
  int world_size_;
  Backend backend_;
};

// Every rank checks in at the store and waits until all have. (LibTorch
// 1.13's TCPStore server gives up waiting for its workers silently when its
// timeout passes, and the group's creation then fails with a bare "Socket
// Timeout": this wait is what lets the error say who did not come.)
void wait_for_every_rank(c10d::Store& store, const LaunchIdentity& identity, std::chrono::milliseconds timeout) {
  // The first rank to arrive records its world size; a rank started with
  // another one stops at once, naming both, instead of waiting for ranks
  // that will never come (or going on with too few).
  const std::string size_text = std::to_string(identity.world_size);
  const std::vector<std::uint8_t> mine(size_text.begin(), size_text.end());
  const std::vector<std::uint8_t> recorded = store.compareSet("trainbench/world_size", {}, mine);
  if (recorded != mine) {
    throw RunError("rank " + std::to_string(identity.rank) + " was started with a world size of " + size_text +
                   ", but a rank before it at " + address_text(identity) + " with " +
                   std::string(recorded.begin(), recorded.end()) +
                   ": every rank needs the same WORLD_SIZE (--nproc-per-node x --nnodes)");
  }
  const std::string key = "trainbench/ranks_arrived";
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::int64_t arrived = store.add(key, 1);
  while (arrived < identity.world_size) {
    if (std::chrono::steady_clock::now() > deadline) {
      const std::string seconds = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(timeout).count());
      throw RunError("rank " + std::to_string(identity.rank) + " waited " + seconds + " s at " + address_text(identity) +
                     " for the other " + std::to_string(identity.world_size - 1) + " rank(s); " +
                     std::to_string(arrived) + " of " + std::to_string(identity.world_size) +
                     " arrived (did every rank start, with the same MASTER_ADDR, MASTER_PORT and WORLD_SIZE? under "
                     "Slurm, was it started with srun?)");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    arrived = store.add(key, 0);
  }
}

c10::intrusive_ptr<c10d::Store> rendezvous(const LaunchIdentity& identity, std::chrono::milliseconds timeout) {
  c10d::TCPStoreOptions options;
  options.port = static_cast<std::uint16_t>(identity.master_port);
  // Under torchrun's agent store every rank is a client of the agent's
  // server; otherwise rank 0 hosts it and waits for the others.
  options.isServer = identity.rank == 0 && !identity.agent_store;
  options.numWorkers = static_cast<std::size_t>(identity.world_size);
  options.waitWorkers = !identity.agent_store;
  options.timeout = timeout;
  const std::string seconds = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(timeout).count());
  try {
    c10::intrusive_ptr<c10d::Store> store = c10::make_intrusive<c10d::TCPStore>(identity.master_address, options);
    if (identity.agent_store) {
      // torchrun's own prefix (rendezvous.py, _create_c10d_store): an attempt
      // after a restart meets under new keys and starts clean.
      store = c10::make_intrusive<c10d::PrefixStore>("/worker/attempt_" + std::to_string(identity.restart_count), store);
    }
    wait_for_every_rank(*store, identity, timeout);
    return store;
  } catch (const RunError&) {
    throw;
  } catch (const std::exception& error) {
    const std::string detail = error.what();
    if (identity.agent_store) {
      throw RunError("rank " + std::to_string(identity.rank) + " could not reach torchrun's store at " +
                     address_text(identity) + " within " + seconds + " s: " + detail.substr(0, 300));
    }
    if (identity.rank == 0) {
      if (detail.find("in use") != std::string::npos || detail.find("bind") != std::string::npos) {
        throw RunError("rank 0 cannot listen on " + address_text(identity) +
                       " (port taken? choose another MASTER_PORT / --master-port): " + detail.substr(0, 300));
      }
      throw RunError("rank 0 waited " + seconds + " s at " + address_text(identity) + " for the other " +
                     std::to_string(identity.world_size - 1) +
                     " rank(s), which did not all arrive (did every rank start, with the same MASTER_ADDR and "
                     "MASTER_PORT? under Slurm, was it started with srun?): " + detail.substr(0, 300));
    }
    throw RunError("rank " + std::to_string(identity.rank) + " could not reach the master at " +
                   address_text(identity) + " within " + seconds +
                   " s (is rank 0 running, and is the address reachable from here?): " + detail.substr(0, 300));
  }
}

#if TRAINBENCH_HAVE_GLOO
// The network interface Gloo's peers connect to: GLOO_SOCKET_IFNAME when set
// (as in PyTorch), loopback for a job on one machine, else this host's name.
std::shared_ptr<::gloo::transport::Device> gloo_device(const LaunchIdentity& identity) {
  if (const char* interface = std::getenv("GLOO_SOCKET_IFNAME"); interface && *interface) {
    return c10d::ProcessGroupGloo::createDeviceForInterface(interface);
  }
  const std::string& master = identity.master_address;
  if (master == "localhost" || master.rfind("127.", 0) == 0) {
    return c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1");
  }
  return c10d::ProcessGroupGloo::createDefaultDevice();
}
#endif

}  // namespace

std::string to_string(Backend backend) { return backend == Backend::kNccl ? "nccl" : "gloo"; }

Backend resolve_backend(const std::string& name, const torch::Device& device) {
  Backend backend;
  if (name == "auto") {
    backend = device.is_cuda() ? Backend::kNccl : Backend::kGloo;
  } else if (name == "gloo") {
    backend = Backend::kGloo;
  } else if (name == "nccl") {
    backend = Backend::kNccl;
  } else {
    throw UsageError("--dist-backend must be auto, gloo or nccl (got '" + name + "')");
  }
  if (backend == Backend::kNccl && !device.is_cuda()) {
    throw UsageError("--dist-backend nccl needs a CUDA device (this run's is " + device.str() + "); use gloo");
  }
  if (backend == Backend::kNccl && !TRAINBENCH_HAVE_NCCL) {
    throw UsageError("this trainbench was built without NCCL (a CUDA LibTorch with c10d NCCL is needed); use "
                     "--dist-backend gloo");
  }
  if (backend == Backend::kGloo && !TRAINBENCH_HAVE_GLOO) {
    throw UsageError("this trainbench was built without Gloo's headers (Debian: libgloo-dev), so it cannot run "
                     "data-parallel on the CPU");
  }
  if (backend == Backend::kGloo && device.type() != torch::kCPU && device.type() != torch::kCUDA) {
    throw UsageError("Gloo carries CPU and CUDA tensors only; " + device.str() + " cannot run data-parallel");
  }
  return backend;
}

std::shared_ptr<Communicator> connect(const LaunchIdentity& identity, const ConnectOptions& options) {
  if (identity.world_size < 1 || identity.rank < 0 || identity.rank >= identity.world_size) {
    throw UsageError("rank " + std::to_string(identity.rank) + " is outside a world of " +
                     std::to_string(identity.world_size));
  }
  if (identity.world_size > identity.local_world_size) {
    HostFacts host;
    host.host_name = this_host_name();
    host.host_addresses = resolve_host(host.host_name);
    const char* interface = std::getenv("GLOO_SOCKET_IFNAME");
    host.interface_chosen = interface != nullptr && *interface != '\0';
    host.uses_gloo = options.backend == Backend::kGloo;
    if (std::optional<std::string> problem = cross_node_address_problem(identity, host)) {
      throw RunError("rank " + std::to_string(identity.rank) + ": " + *problem);
    }
  }
  const auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(options.timeout);
  c10::intrusive_ptr<c10d::Store> store = rendezvous(identity, timeout);
  if (options.backend == Backend::kNccl) {
#if TRAINBENCH_HAVE_NCCL
    auto nccl_options = c10d::ProcessGroupNCCL::Options::create();
    nccl_options->timeout = timeout;
    auto group = collective("creating the NCCL group", identity.rank, [&] {
      return c10::make_intrusive<c10d::ProcessGroupNCCL>(store, identity.rank, identity.world_size, nccl_options);
    });
    return std::make_shared<C10dCommunicator<c10d::ProcessGroupNCCL>>(store, group, identity.rank,
                                                                      identity.world_size, Backend::kNccl);
#else
    throw UsageError("this trainbench was built without NCCL");
#endif
  }
#if TRAINBENCH_HAVE_GLOO
  auto gloo_options = c10d::ProcessGroupGloo::Options::create(timeout);
  gloo_options->devices.push_back(gloo_device(identity));
  auto group = collective("creating the Gloo group", identity.rank, [&] {
    return c10::make_intrusive<c10d::ProcessGroupGloo>(store, identity.rank, identity.world_size, gloo_options);
  });
  return std::make_shared<C10dCommunicator<c10d::ProcessGroupGloo>>(store, group, identity.rank, identity.world_size,
                                                                    Backend::kGloo);
#else
  throw UsageError("this trainbench was built without Gloo's headers (Debian: libgloo-dev)");
#endif
}

}  // namespace trainbench::dist
