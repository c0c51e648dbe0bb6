#pragma once
// Floating-point operations of a model, counted from its layers: one forward
// pass of a single image of a given size goes through the model, and the
// autograd graph it leaves is walked, adding up each convolution and matrix
// product from the shapes recorded there. Nothing is hard-coded per model, so
// a new architecture or image size is counted the same way.
//
// What is counted is what the common counters report (fvcore,
// torch.utils.flop_counter, timm's tables), with a multiply-add as 2 FLOPs:
// convolutions (2 * output elements * input channels per group * kernel
// area) and matrix products of linear layers (2 * M * N * K). Batch norm,
// activations, pooling, additions and biases are left out: together they are
// well under 1% of a ResNet's convolutions. Transposed convolutions are not
// told apart from direct ones (no model here has one).
#include <cstdint>
#include <string>

#include "models/classifier.h"

namespace trainbench::bench {

struct FlopCount {
  double forward_flops = 0.0;      // per image: convolution_flops + matmul_flops
  double convolution_flops = 0.0;
  double matmul_flops = 0.0;       // linear layers and matrix products
  std::int64_t layers_counted = 0; // convolutions and matrix products found
};

// One forward pass of a 1-image random batch, with autograd recording, in the
// dtype and on the device of the model's parameters (fp32 on the CPU before a
// run moves it). The model runs in eval mode, so batch-norm statistics do not
// move; afterwards every module's train/eval mode and every parameter
// (values and requires_grad) is as it was. Throws UsageError for an image
// size below 1 and ModelError when the model cannot run at that size.
FlopCount count_forward_flops(models::Classifier& model, int image_size);

// The forward FLOPs per image of a fresh `model` (registry name) with
// `classes` outputs at `image_size`, counted once per process and cached:
// what bench rows and FLOP-normalised estimates both need.
double forward_flops_per_image(const std::string& model, int image_size, int classes);

}  // namespace trainbench::bench
