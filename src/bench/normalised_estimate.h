#pragma once
// A rate at other settings, estimated from the FLOPs of the work: this
// machine's achieved FLOP/s on the work it did, divided by the FLOPs per
// image of the other work. It is an estimate, and every text that shows it
// says so: small images keep a device further from its peak than large ones
// (less work per kernel launch, per weight fetched), so the estimate leans
// optimistic for a slow device measured on small images, and the other way
// round. `compare --normalise` and a run's end-of-run text use it where no
// measurement of the same work exists.
#include <string>

namespace trainbench::bench {

// FLOPs per image of one training step (forward and backward: 3x the
// forward pass, as the bench rows count it) or, for training = false, one
// forward pass; counted from the model's layers, cached per model and size.
double step_flops_per_image(const std::string& model, int image_size, bool training);

struct NormalisedRate {
  double images_per_sec = 0.0;  // the estimate at the target work
  double achieved_tflops = 0.0; // of the measured work
};

// `images_per_sec` of `model` at `image_size` turned into the same FLOP/s on
// `target_model` at `target_image_size` (batch size does not enter: FLOPs per
// image do not depend on it).
NormalisedRate normalise_rate(double images_per_sec, const std::string& model, int image_size,
                              const std::string& target_model, int target_image_size, bool training = true);

// "about 8.2 images/s (estimate: FLOP-normalised from 79 GFLOP/s achieved on resnet18 at 28 px)".
std::string describe_normalised(const NormalisedRate& rate, const std::string& model, int image_size);

}  // namespace trainbench::bench
