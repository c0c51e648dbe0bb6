#include "train/data_parallel.h"

#include <torch/torch.h>

#include <algorithm>
#include <functional>

#include "core/device.h"
#include "core/error.h"
#include "core/threads.h"
#include "core/torch_compat.h"
#include "dist/statistics_sync.h"
#include "models/batch_norm.h"

namespace trainbench::train {
namespace {

// Equal on every rank exactly when the values are: the low and high of a
// value over the ranks, compared.
bool same_everywhere(dist::Communicator& communicator, torch::Tensor values) {
  std::vector<torch::Tensor> low{values.clone()}, high{values.clone()};
  communicator.all_reduce(low, dist::ReduceOp::kMin);
  communicator.all_reduce(high, dist::ReduceOp::kMax);
  return torch::equal(low[0], high[0]);
}

// The model's weights folded into two numbers (on the CPU, in double): the
// plain sum and a position-weighted one, so swapped tensors differ too.
torch::Tensor weights_checksum(models::Classifier& model) {
  torch::NoGradGuard no_grad;
  double sum = 0.0, weighted = 0.0;
  double index = 1.0;
  std::vector<torch::Tensor> tensors = model.parameters();
  for (const torch::Tensor& buffer : model.buffers()) tensors.push_back(buffer);
  for (const torch::Tensor& tensor : tensors) {
    const double total = tensor.to(torch::kCPU, torch::kDouble).sum().item<double>();
    sum += total;
    weighted += total * index++;
  }
  return torch::tensor({sum, weighted}, torch::kDouble);
}

}  // namespace

DataParallel::DataParallel(dist::LaunchIdentity identity, std::shared_ptr<dist::Communicator> communicator,
                           DataParallelOptions options, torch::Device device)
    : identity_(std::move(identity)),
      communicator_(std::move(communicator)),
      options_(std::move(options)),
      collective_device_(communicator_->backend() == dist::Backend::kNccl ? device : torch::Device(torch::kCPU)) {}

void DataParallel::agree_on_start(models::Classifier& model, const std::string& fingerprint) {
  const auto hash = static_cast<std::int64_t>(std::hash<std::string>{}(fingerprint));
  if (!same_everywhere(*communicator_, torch::tensor({hash}, torch::kInt64))) {
    throw RunError("rank " + std::to_string(rank()) +
                   ": the ranks do not share the same settings and data (flags, model, the image folder's files and "
                   "classes must be the same on every rank)");
  }
  {
    torch::NoGradGuard no_grad;
    std::vector<torch::Tensor> tensors = model.parameters();
    for (const torch::Tensor& buffer : model.buffers()) tensors.push_back(buffer);
    communicator_->broadcast(tensors, 0);
  }
  // Collectives carry the model's device; the checksum travels on the CPU
  // with Gloo, on the device with NCCL.
  torch::Tensor checksum = weights_checksum(model);
  checksum = checksum.to(collective_device_);
  if (!same_everywhere(*communicator_, checksum)) {
    throw RunError("rank " + std::to_string(rank()) + ": the weights differ between ranks after rank 0's broadcast");
  }
}

void DataParallel::attach(models::Classifier& model) {
  if (options_.sync_batch_norm) {
    models::synchronize_batch_norms(model, std::make_shared<dist::CommunicatorStatisticsSync>(communicator_));
  }
  reducer_ = std::make_unique<dist::GradientReducer>(communicator_, model.parameters(), options_.gradients);
}

void DataParallel::broadcast_buffers(models::Classifier& model) {
  if (!options_.broadcast_buffers || options_.sync_batch_norm) return;
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> buffers = model.buffers();
  if (!buffers.empty()) communicator_->broadcast(buffers, 0);
}

void DataParallel::before_reduced_forward() {
  if (reducer_) reducer_->prepare_for_forward();
}

void DataParallel::before_backward(const torch::Tensor& loss) {
  if (reducer_) reducer_->prepare_for_backward({loss});
}

void DataParallel::after_backward() {
  if (reducer_) reducer_->finish_backward();
}

double DataParallel::last_all_reduce_wait_seconds() const { return reducer_ ? reducer_->last_wait_seconds() : 0.0; }

std::int64_t DataParallel::fewest_images(std::int64_t images) {
  std::vector<torch::Tensor> count{torch::tensor({images}, torch::kInt64)};
  count[0] = count[0].to(collective_device_);
  communicator_->all_reduce(count, dist::ReduceOp::kMin);
  return count[0].item<std::int64_t>();
}

void DataParallel::sum(std::vector<double>& values) {
  if (values.empty()) return;
  std::vector<torch::Tensor> tensor{torch::tensor(values, torch::kDouble)};
  tensor[0] = tensor[0].to(collective_device_);
  communicator_->all_reduce(tensor, dist::ReduceOp::kSum);
  const torch::Tensor summed = tensor[0].cpu();
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = summed[static_cast<std::int64_t>(i)].item<double>();
}

bool DataParallel::any(bool flag) {
  std::vector<double> count{flag ? 1.0 : 0.0};
  sum(count);
  return count[0] > 0;
}

std::vector<double> DataParallel::per_rank(double value) {
  std::vector<double> values(static_cast<std::size_t>(world_size()), 0.0);
  values[static_cast<std::size_t>(rank())] = value;
  sum(values);
  return values;
}

RunningMetrics DataParallel::sum(const RunningMetrics& metrics) {
  std::vector<double> values{static_cast<double>(metrics.correct()), static_cast<double>(metrics.samples()),
                             static_cast<double>(metrics.batches()), metrics.loss_sum()};
  sum(values);
  return RunningMetrics::restored(static_cast<std::int64_t>(values[0]), static_cast<std::int64_t>(values[1]),
                                  static_cast<std::int64_t>(values[2]), values[3], metrics.last_loss());
}

dist::GradientReducerOptions gradient_reducer_options(double bucket_mb, const std::string& compression,
                                                      bool find_unused_parameters) {
  if (!(bucket_mb > 0) || bucket_mb > 1024 * 1024) throw UsageError("--bucket-mb must be above 0 and at most 1048576 (MB)");
  dist::GradientReducerOptions options;
  options.bucket_bytes = static_cast<std::int64_t>(bucket_mb * 1024 * 1024);
  options.bucket_bytes = std::max<std::int64_t>(options.bucket_bytes, 1);
  options.first_bucket_bytes = bucket_mb == kDefaultBucketMb ? 1024 * 1024 : options.bucket_bytes;
  options.find_unused_parameters = find_unused_parameters;
  options.compression = dist::parse_gradient_compression(compression);
  return options;
}

int rank_core_share(const std::optional<dist::LaunchIdentity>& identity) {
  return rank_core_share(identity, core::available_cores());
}

int rank_core_share(const std::optional<dist::LaunchIdentity>& identity, int available_cores) {
  if (identity && identity->cpus_on_node && available_cores < *identity->cpus_on_node) {
    return std::max(1, available_cores);  // srun bound this task to its cores
  }
  const int local_ranks = identity ? std::max(1, identity->local_world_size) : 1;
  return std::max(1, available_cores / local_ranks);
}

std::unique_ptr<DataParallel> join_data_parallel(const DataParallelOptions& options, const torch::Device& device,
                                                 const std::optional<dist::LaunchIdentity>& identity) {
  if (!identity) return nullptr;
  dist::ConnectOptions connect;
  connect.backend = dist::resolve_backend(options.backend, device);
  connect.timeout = options.timeout;
  connect.device = device;
  // NCCL binds to the current GPU: this rank's, before anything touches CUDA.
  if (device.is_cuda()) compat::set_current_cuda_device(device.index());
  std::shared_ptr<dist::Communicator> communicator = dist::connect(*identity, connect);
  return std::make_unique<DataParallel>(*identity, std::move(communicator), options, device);
}

}  // namespace trainbench::train
