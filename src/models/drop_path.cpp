#include "models/drop_path.h"

#include <torch/torch.h>

#include <vector>

namespace trainbench::models {

torch::Tensor drop_path(const torch::Tensor& x, double p, bool training) {
  if (!training || p <= 0.0) return x;
  const double keep = 1.0 - p;
  std::vector<std::int64_t> shape(x.dim(), 1);
  shape[0] = x.size(0);
  torch::Tensor mask = torch::empty(shape, x.options().dtype(torch::kFloat)).bernoulli_(keep);
  if (keep > 0.0) mask.div_(keep);
  return x * mask.to(x.scalar_type());
}

}  // namespace trainbench::models
