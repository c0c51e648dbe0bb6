#include "cli/gradient_flags.h"

#include "cli/option_checks.h"
#include "core/text.h"

namespace trainbench::cli {

std::vector<std::string> GradientFlags::as_arguments() const {
  std::vector<std::string> args{"--bucket-mb", core::format("%.17g", bucket_mb), "--grad-compression", compression};
  if (find_unused_parameters) args.push_back("--find-unused-parameters");
  return args;
}

void add_gradient_flags(CLI::App* command, GradientFlags* flags, const std::string& group) {
  command
      ->add_option("--bucket-mb", flags->bucket_mb,
                   "Gradients are averaged in buckets of about this many MB, each starting as soon as its gradients "
                   "are in (DDP's bucket_cap_mb; at 25 the first bucket is 1 MB, as in DDP)")
      ->capture_default_str()
      ->check(positive_number("MB"))
      ->group(group);
  command
      ->add_option("--grad-compression", flags->compression,
                   "What the gradients travel as: none (their own dtype), fp16 or bf16 (half the bytes; averaged "
                   "in that precision, as DDP's fp16/bf16 compression hooks do)")
      ->capture_default_str()
      ->check(one_of({"none", "fp16", "bf16"}))
      ->group(group);
  command
      ->add_flag("--find-unused-parameters", flags->find_unused_parameters,
                 "Search each step's graph for parameters the forward pass did not use, and average them as zeros "
                 "(DDP's find_unused_parameters; needed by models with branches a step can skip, costs a graph walk)")
      ->group(group);
}

}  // namespace trainbench::cli
