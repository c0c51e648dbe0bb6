#pragma once
// What a device can attain on the operation deep learning spends its time in:
// a large square matrix product in the run's precision, timed with the device
// synchronised, once through the matrix-product kernel (mm: the BLAS on a CPU)
// and once as the same product written as a 1x1 convolution (oneDNN on a CPU,
// cuDNN on NVIDIA); the faster counts. `bench --peak` reports each step's
// share of it.
#include <torch/types.h>

#include <string>

#include "core/precision.h"

namespace trainbench::bench {

struct PeakProbe {
  double tflops = 0.0;  // best of the timed batches of products
  int matrix_size = 0;  // n of the n x n x n product
  std::string dtype;    // "float32", "bfloat16", "float16"
  std::string kernel;   // the faster one: "matmul" or "conv1x1"
};

// fp32 for AmpMode::kOff, else the autocast dtype (bf16/fp16 tensors, not
// autocast). The matrix grows from 256 by doubling while one product is
// predicted to stay under a quarter of `seconds`, up to 2048 on a CPU and
// 8192 on an accelerator (sizes at which a tuned BLAS or a GPU's tensor cores
// reach their plateau), so a device or precision without fast kernels still
// finishes. Then batches of products are timed, the device synchronised at
// their edges, for about `seconds`; the best batch counts. With sizing and
// warm-up the whole probe takes about 1.5 x `seconds`.
// Throws UsageError for seconds <= 0 and DeviceError when the device cannot
// multiply matrices of that dtype (fp16 on a CPU with LibTorch 1.13).
PeakProbe measure_peak_matmul(const torch::Device& device, core::AmpMode amp, double seconds = 1.0);

// The dtype name PeakProbe::dtype reports for an AMP mode.
std::string peak_dtype_name(core::AmpMode amp);

}  // namespace trainbench::bench
