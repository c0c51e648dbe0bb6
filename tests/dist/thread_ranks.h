#pragma once
// A data-parallel job inside one test process: each rank is a thread with its
// own c10d store client and Gloo group over loopback, so collectives, hooks
// and autograd meet exactly as they would across processes.
#include <functional>
#include <memory>

#include "dist/communicator.h"

namespace trainbench::testing {

// A TCP port nothing listens on now (the kernel's pick for port 0).
int free_port();

// Runs body(rank, communicator) on world_size threads joined into one job;
// rethrows the first rank's exception after all threads ended.
void run_thread_ranks(int world_size, const std::function<void(int, const std::shared_ptr<dist::Communicator>&)>& body,
                      std::chrono::seconds timeout = std::chrono::seconds(60));

}  // namespace trainbench::testing
