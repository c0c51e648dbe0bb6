#include "bench/normalised_estimate.h"

#include <cstdio>

#include "bench/flop_count.h"

namespace trainbench::bench {

double step_flops_per_image(const std::string& model, int image_size, bool training) {
  // The class count barely moves the FLOPs (one linear layer): the workload's 19.
  return forward_flops_per_image(model, image_size, 19) * (training ? 3.0 : 1.0);
}

NormalisedRate normalise_rate(double images_per_sec, const std::string& model, int image_size,
                              const std::string& target_model, int target_image_size, bool training) {
  NormalisedRate rate;
  const double flops = step_flops_per_image(model, image_size, training);
  const double target_flops = step_flops_per_image(target_model, target_image_size, training);
  rate.achieved_tflops = images_per_sec * flops / 1e12;
  if (target_flops > 0) rate.images_per_sec = images_per_sec * flops / target_flops;
  return rate;
}

std::string describe_normalised(const NormalisedRate& rate, const std::string& model, int image_size) {
  char text[256];
  std::snprintf(text, sizeof text,
                "about %.3g images/s (estimate: FLOP-normalised from %.3g GFLOP/s achieved on %s at %d px)",
                rate.images_per_sec, rate.achieved_tflops * 1e3, model.c_str(), image_size);
  return text;
}

}  // namespace trainbench::bench
