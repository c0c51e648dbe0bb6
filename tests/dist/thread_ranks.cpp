#include "dist/thread_ranks.h"

#include "dist/local_launcher.h"

#include <exception>
#include <stdexcept>
#include <thread>
#include <vector>

namespace trainbench::testing {

int free_port() { return dist::free_loopback_port(); }

void run_thread_ranks(int world_size, const std::function<void(int, const std::shared_ptr<dist::Communicator>&)>& body,
                      std::chrono::seconds timeout) {
  const int port = free_port();
  std::vector<std::exception_ptr> errors(static_cast<std::size_t>(world_size));
  std::vector<std::thread> ranks;
  for (int rank = 0; rank < world_size; ++rank) {
    ranks.emplace_back([&, rank] {
      try {
        dist::LaunchIdentity identity;
        identity.launcher = "test";
        identity.rank = rank;
        identity.world_size = world_size;
        identity.local_rank = rank;
        identity.local_world_size = world_size;
        identity.master_address = "127.0.0.1";
        identity.master_port = port;
        dist::ConnectOptions options;
        options.timeout = timeout;
        std::shared_ptr<dist::Communicator> communicator = dist::connect(identity, options);
        body(rank, communicator);
      } catch (...) {
        errors[static_cast<std::size_t>(rank)] = std::current_exception();
      }
    });
  }
  for (std::thread& rank : ranks) rank.join();
  for (const std::exception_ptr& error : errors) {
    if (error) std::rethrow_exception(error);
  }
}

}  // namespace trainbench::testing
