#pragma once
// The models' batch-norm sync point (models/batch_norm.h) over a
// Communicator: what `train --sync-bn` hands every BatchNorm2d.
#include <memory>

#include "dist/communicator.h"
#include "models/batch_norm.h"

namespace trainbench::dist {

class CommunicatorStatisticsSync final : public models::StatisticsSync {
 public:
  explicit CommunicatorStatisticsSync(std::shared_ptr<Communicator> communicator)
      : communicator_(std::move(communicator)) {}
  int rank() const override { return communicator_->rank(); }
  int world_size() const override { return communicator_->world_size(); }
  void all_reduce_sum(torch::Tensor& tensor) override {
    std::vector<torch::Tensor> tensors{tensor};
    communicator_->all_reduce(tensors, ReduceOp::kSum);
  }

 private:
  std::shared_ptr<Communicator> communicator_;
};

}  // namespace trainbench::dist
