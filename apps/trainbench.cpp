#include "cli/app.h"
#include "core/openmp_environment.h"

int main(int argc, char** argv) {
  trainbench::core::ensure_openmp_wait_policy(argv);
  return trainbench::cli::run(argc, argv);
}
