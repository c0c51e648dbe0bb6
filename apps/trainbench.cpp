#include "cli/app.h"
#include "core/malloc_tuning.h"
#include "core/thread_pool_environment.h"

int main(int argc, char** argv) {
  trainbench::core::ensure_idle_threads_sleep(argv);
  trainbench::core::keep_tensor_sized_blocks_in_heap();
  return trainbench::cli::run(argc, argv);
}
