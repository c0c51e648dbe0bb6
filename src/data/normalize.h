#pragma once
// From the loader's uint8 NHWC batch to the model's input: float in [0, 1],
// normalised with the ImageNet mean and std the workload uses. Runs as
// tensor ops wherever the batch lives, so on a GPU the GPU does it.
#include <torch/types.h>

#include <array>

namespace trainbench::data {

constexpr std::array<float, 3> kImageNetMean = {0.485f, 0.456f, 0.406f};
constexpr std::array<float, 3> kImageNetStd = {0.229f, 0.224f, 0.225f};

// uint8 [n, h, w, 3] -> float [n, 3, h, w] in the requested memory format.
torch::Tensor normalize_batch(const torch::Tensor& images_nhwc,
                              torch::MemoryFormat format = torch::MemoryFormat::Contiguous);

}  // namespace trainbench::data
