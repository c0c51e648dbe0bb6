#pragma once
// The flags that say how a data-parallel job averages its gradients, shared
// by `train` and `bench` so both spell and explain them alike.
#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace trainbench::cli {

struct GradientFlags {
  double bucket_mb = 25.0;           // DDP's bucket_cap_mb
  std::string compression = "none";  // none, fp16, bf16
  bool find_unused_parameters = false;

  // The flags as given on a command line (for a child bench: --scaling).
  std::vector<std::string> as_arguments() const;
};

void add_gradient_flags(CLI::App* command, GradientFlags* flags, const std::string& group);

}  // namespace trainbench::cli
