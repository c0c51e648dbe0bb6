#include "data/normalize.h"

#include <torch/torch.h>

namespace trainbench::data {

torch::Tensor normalize_batch(const torch::Tensor& images_nhwc, torch::MemoryFormat format) {
  const auto float_options = torch::TensorOptions().dtype(torch::kFloat32).device(images_nhwc.device());
  const torch::Tensor mean = torch::tensor({kImageNetMean[0], kImageNetMean[1], kImageNetMean[2]}, float_options);
  const torch::Tensor std = torch::tensor({kImageNetStd[0], kImageNetStd[1], kImageNetStd[2]}, float_options);
  // (x/255 - mean) / std == x * (1 / (255 std)) - mean / std, computed on the
  // NHWC layout where the channel is the last, broadcastable dimension.
  const torch::Tensor scale = 1.0 / (255.0 * std);
  const torch::Tensor shift = -mean / std;
  torch::Tensor normalized = torch::addcmul(shift, images_nhwc.to(torch::kFloat32), scale);
  // A permuted NHWC tensor already is NCHW in channels-last layout.
  return normalized.permute({0, 3, 1, 2}).contiguous(format);
}

}  // namespace trainbench::data
