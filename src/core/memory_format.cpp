#include "core/memory_format.h"

#include <torch/torch.h>

namespace trainbench::core {

namespace {

// A copy with channels-last's own strides. contiguous(ChannelsLast) keeps a
// 1x1 kernel's [c, 1, 1, 1] strides (already "channels-last" when h = w = 1),
// while the backward pass makes its gradient [c, 1, c, c]: c10d's reducer,
// whose bucket views take the parameter's strides, would then copy that
// gradient every first step and warn that the layouts differ.
torch::Tensor with_channels_last_strides(const torch::Tensor& tensor) {
  return torch::empty_like(tensor, torch::MemoryFormat::ChannelsLast).copy_(tensor);
}

}  // namespace

void convert_to_channels_last(torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  for (torch::Tensor& parameter : module.parameters()) {
    if (parameter.dim() != 4) continue;
    parameter.set_data(with_channels_last_strides(parameter.data()));
    if (parameter.grad().defined()) parameter.mutable_grad() = with_channels_last_strides(parameter.grad());
  }
}

bool default_channels_last(const torch::Device& device, AmpMode amp) {
  // Measured with bench/precision-layout and scripts/gpu-check: resnet18d,
  // 160 px, batch 32, train images/s (contiguous -> channels-last).
  switch (device.type()) {
    case c10::DeviceType::CPU:
      // AMD EPYC with avx512_bf16, 2 cores, oneDNN (LibTorch 1.13), 2026-11-27:
      // off 39.5 -> 42.8 (+8%), bf16 68.0 -> 75.6 (+11%). oneDNN's convolutions
      // work in NHWC-blocked layouts, so contiguous input costs reorders.
      return true;
    case c10::DeviceType::CUDA:
      // H100, LibTorch 2.11 + cuDNN 9.19, second (steady) epoch, 2026-11-27:
      // fp16 1502 -> 1634 (+9%), bf16 1625 -> 1808 (+11%), fp32 1859 -> 1675
      // (-10%). Tensor-core kernels want NHWC; fp32 (TF32) ones do not gain.
      // The first epoch, dominated by cuDNN autotuning, was 8-13% faster in
      // channels-last for every precision.
      return amp != AmpMode::kOff;
    case c10::DeviceType::XPU:
      // Not measured here. The reference workload's Arc A770 ran bf16
      // backward passes 2.5x slower until oneDNN's blocked layout was on
      // (WORKLOAD.md); channels-last asks for that layout.
      return true;
    default:
      // MPS and others: not measured; the contiguous layout is the safe one.
      return false;
  }
}

}  // namespace trainbench::core
