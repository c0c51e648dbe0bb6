#include "bench/peak_probe.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "core/device.h"
#include "core/error.h"
#include "core/synchronize.h"

namespace trainbench::bench {
namespace {

constexpr int kSmallestSize = 256;
constexpr int kLargestCpuSize = 2048;
constexpr int kLargestAcceleratorSize = 8192;
// Timed batches: at least this many, each about this share of the budget, so
// the synchronisations at their edges cost nothing worth counting.
constexpr int kMinimumBatches = 3;
constexpr double kBatchShareOfBudget = 0.1;

c10::ScalarType probe_dtype(core::AmpMode amp) {
  switch (amp) {
    case core::AmpMode::kBf16:
      return torch::kBFloat16;
    case core::AmpMode::kFp16:
      return torch::kHalf;
    case core::AmpMode::kOff:
      break;
  }
  return torch::kFloat;
}

double product_flops(int n) { return 2.0 * n * static_cast<double>(n) * n; }

// The two factors and the output of an n x n x n product, reused across
// products so that timing sees no allocation.
struct Operands {
  int n = 0;
  torch::Tensor a, b, out;
};

Operands make_operands(int n, const torch::Device& device, c10::ScalarType dtype) {
  // Random, not constant, factors: a GPU multiplying constants draws less
  // power and can clock higher than it does on real weights. They are drawn
  // on the CPU in fp32 from a generator of their own (the global random
  // stream, and so a seeded run's draws, stay untouched; random fill is not
  // implemented for every reduced-precision dtype on every backend), then
  // moved and converted.
  at::Generator generator = at::detail::createCPUGenerator(/*seed_val=*/n);
  const auto draw = [&] { return torch::randn({n, n}, generator, torch::kFloat).to(device, dtype); };
  Operands operands;
  operands.n = n;
  operands.a = draw();
  operands.b = draw();
  operands.out = torch::empty({n, n}, torch::TensorOptions().device(device).dtype(dtype));
  return operands;
}

// The same n x n x n product as a 1x1 convolution: n input channels, n
// output channels, n positions (4 x 16 x n/64). On a CPU convolutions run on
// oneDNN rather than on the BLAS that serves mm, and oneDNN can be the faster
// of the two (measured here: 0.30-0.36 TFLOP/s in a resnet18 fp32 training
// step against 0.25 from OpenBLAS's mm), so the attainable rate is the
// better of both.
// (Which of b's values land at which position does not change the work.)
torch::Tensor as_convolution_input(const Operands& operands) {
  return operands.b.reshape({4, operands.n, 16, operands.n / 64});
}

enum class Kernel { kMatmul, kConvolution };

// Seconds for `repeats` products, with the device idle at the start and
// finished at the end.
double time_products(Operands& operands, int repeats, const torch::Device& device, Kernel kernel = Kernel::kMatmul) {
  torch::Tensor input, weight;
  if (kernel == Kernel::kConvolution) {
    input = as_convolution_input(operands);
    weight = operands.a.reshape({operands.n, operands.n, 1, 1});
  }
  core::synchronize(device);
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < repeats; ++i) {
    if (kernel == Kernel::kMatmul) {
      torch::mm_out(operands.out, operands.a, operands.b);
    } else {
      operands.out = torch::conv2d(input, weight);
    }
  }
  core::synchronize(device);
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  return std::max(elapsed.count(), 1e-9);
}

// One untimed product (kernel selection, BLAS thread pools, page faults),
// then one timed.
double warm_product_seconds(Operands& operands, const torch::Device& device) {
  time_products(operands, 1, device);
  return time_products(operands, 1, device);
}

// The largest size the budget allows: doubling n costs 8x, so the next size
// is taken while 8x the current product stays within a quarter of `seconds`
// (warm-up and sizing then cost about half the budget at most).
// An accelerator that runs out of memory keeps the size it had.
Operands choose_operands(const torch::Device& device, c10::ScalarType dtype, double seconds, double* product_seconds) {
  const int largest = device.is_cpu() ? kLargestCpuSize : kLargestAcceleratorSize;
  Operands operands = make_operands(kSmallestSize, device, dtype);
  *product_seconds = warm_product_seconds(operands, device);
  while (operands.n * 2 <= largest && *product_seconds * 8.0 <= seconds / 4.0) {
    Operands larger;
    try {
      larger = make_operands(operands.n * 2, device, dtype);
    } catch (const c10::Error&) {
      break;  // out of device memory: the current size has to do
    }
    operands = std::move(larger);
    *product_seconds = warm_product_seconds(operands, device);
  }
  return operands;
}

}  // namespace

std::string peak_dtype_name(core::AmpMode amp) {
  switch (probe_dtype(amp)) {
    case torch::kBFloat16:
      return "bfloat16";
    case torch::kHalf:
      return "float16";
    default:
      return "float32";
  }
}

PeakProbe measure_peak_matmul(const torch::Device& device, core::AmpMode amp, double seconds) {
  if (!(seconds > 0.0) || !std::isfinite(seconds)) {
    throw UsageError("the peak probe needs a positive number of seconds (got " + std::to_string(seconds) + ")");
  }
  const c10::ScalarType dtype = probe_dtype(amp);
  PeakProbe probe;
  probe.dtype = peak_dtype_name(amp);
  try {
    double product_seconds = 0.0;
    Operands operands = choose_operands(device, dtype, seconds, &product_seconds);
    probe.matrix_size = operands.n;
    const int repeats = std::max(1, static_cast<int>(seconds * kBatchShareOfBudget / product_seconds));
    const double batch_flops = product_flops(operands.n) * repeats;
    // Half the budget each for the matrix product and the convolution.
    for (const Kernel kernel : {Kernel::kMatmul, Kernel::kConvolution}) {
      time_products(operands, 1, device, kernel);  // warm-up: kernel selection
      double spent = 0.0;
      for (int batch = 0; batch < kMinimumBatches || spent < seconds / 2; ++batch) {
        const double elapsed = time_products(operands, repeats, device, kernel);
        spent += elapsed;
        if (batch_flops / elapsed > probe.tflops * 1e12) {
          probe.tflops = batch_flops / elapsed / 1e12;
          probe.kernel = kernel == Kernel::kMatmul ? "matmul" : "conv1x1";
        }
      }
    }
  } catch (const c10::Error& e) {
    throw DeviceError(probe.dtype + " matrix products do not run on " + core::device_id(device) +
                      " with this LibTorch (" + e.what_without_backtrace() +
                      "); probe another precision with --amp, or leave out --peak");
  }
  return probe;
}

}  // namespace trainbench::bench
