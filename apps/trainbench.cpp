#include "cli/app.h"
#include "core/malloc_tuning.h"
#include "core/openmp_environment.h"

int main(int argc, char** argv) {
  trainbench::core::ensure_openmp_wait_policy(argv);
  trainbench::core::keep_tensor_sized_blocks_in_heap();
  return trainbench::cli::run(argc, argv);
}
