#include "data/batch_loader.h"

#include <torch/torch.h>

#include <algorithm>
#include <numeric>

#include "core/error.h"
#include "core/random.h"
#include "core/threads.h"
#include "data/image_codec.h"
#include "data/resize_pad.h"

namespace trainbench::data {

BatchLoader::BatchLoader(std::vector<Sample> samples, LoaderOptions options, std::shared_ptr<SkippedFiles> skipped)
    : samples_(std::move(samples)), options_(options), skipped_(std::move(skipped)) {
  if (options_.batch_size < 1) throw UsageError("batch size must be at least 1");
  if (options_.image_size < 8) throw UsageError("image size must be at least 8 pixels");
  if (options_.workers < 1) throw UsageError("the loader needs at least one worker");
  if (options_.prefetch_per_worker < 1) throw UsageError("prefetch must be at least 1 batch per worker");
  if (!skipped_) skipped_ = std::make_shared<SkippedFiles>();
}

BatchLoader::~BatchLoader() { stop_workers(); }

std::int64_t BatchLoader::batches_per_epoch(std::int64_t first_position) const {
  // Like PyTorch's DataLoader with drop_last=False: the last batch may be short.
  return (shard_size(sample_count(), options_.shard, first_position) + options_.batch_size - 1) / options_.batch_size;
}

void BatchLoader::start_epoch(int epoch, std::int64_t first_batch, std::int64_t first_position) {
  stop_workers();
  epoch_ = epoch;
  std::vector<std::int64_t> global_order;
  if (options_.shuffle) {
    global_order =
        core::seeded_permutation(sample_count(), core::mix_seed(options_.seed, {0x0DE7, static_cast<std::uint64_t>(epoch)}));
  } else {
    global_order.resize(samples_.size());
    std::iota(global_order.begin(), global_order.end(), 0);
  }
  ShardOrder shard = shard_order(global_order, options_.shard, first_position);
  order_ = std::move(shard.samples);
  positions_ = std::move(shard.positions);
  epoch_batches_ = (static_cast<std::int64_t>(order_.size()) + options_.batch_size - 1) / options_.batch_size;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = false;
    next_to_claim_ = std::clamp<std::int64_t>(first_batch, 0, epoch_batches_);
    next_to_deliver_ = next_to_claim_;
    ready_.clear();
    worker_error_ = nullptr;
  }
  for (int i = 0; i < options_.workers; ++i) workers_.emplace_back([this] { worker_loop(); });
}

void BatchLoader::stop_workers() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  for (std::thread& worker : workers_) worker.join();
  workers_.clear();
}

void BatchLoader::worker_loop() {
  core::use_one_compute_thread_here();  // finish_batch may run tensor ops
  const std::int64_t total = epoch_batches_;
  const std::int64_t window = static_cast<std::int64_t>(options_.workers) * options_.prefetch_per_worker;
  for (;;) {
    std::int64_t index = 0;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      // Claim the next batch only while it is inside the prefetch window.
      changed_.wait(lock, [&] { return stopping_ || next_to_claim_ >= total || next_to_claim_ < next_to_deliver_ + window; });
      if (stopping_ || next_to_claim_ >= total) return;
      index = next_to_claim_++;
    }
    Batch batch;
    std::exception_ptr error;
    try {
      batch = load_batch(index);
    } catch (...) {
      error = std::current_exception();
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (error && !worker_error_) worker_error_ = error;
      ready_[index] = std::move(batch);
    }
    changed_.notify_all();
  }
}

Batch BatchLoader::load_batch(std::int64_t batch_index) {
  const std::int64_t begin = batch_index * options_.batch_size;
  const std::int64_t end = std::min<std::int64_t>(begin + options_.batch_size, static_cast<std::int64_t>(order_.size()));
  const int size = options_.image_size;
  const auto options = torch::TensorOptions().dtype(torch::kUInt8).pinned_memory(options_.pin_memory);
  Batch batch;
  batch.epoch = epoch_;
  batch.index = batch_index;
  batch.positions.reserve(static_cast<std::size_t>(end - begin));
  batch.images = torch::empty({end - begin, size, size, 3}, options);
  batch.labels = torch::empty({end - begin}, torch::TensorOptions().dtype(torch::kInt64).pinned_memory(options_.pin_memory));
  std::uint8_t* pixels = batch.images.data_ptr<std::uint8_t>();
  std::int64_t* labels = batch.labels.data_ptr<std::int64_t>();
  const std::size_t image_bytes = static_cast<std::size_t>(size) * size * 3;
  std::int64_t loaded = 0;
  for (std::int64_t i = begin; i < end; ++i) {
    const Sample& sample = samples_[static_cast<std::size_t>(order_[static_cast<std::size_t>(i)])];
    Image image;
    // The reason alone: the skipped-files list already names the file.
    const std::string problem = read_image_problem(sample.path, options_.dct_scaling ? size : 0, &image);
    if (!problem.empty()) {
      skipped_->add(sample.path.string(), problem);
      continue;
    }
    resize_pad_into(image, size, pixels + loaded * image_bytes);
    labels[loaded++] = sample.label;
    batch.positions.push_back(positions_[static_cast<std::size_t>(i)]);
  }
  if (loaded < end - begin) {
    batch.images = batch.images.narrow(0, 0, loaded);
    batch.labels = batch.labels.narrow(0, 0, loaded);
  }
  if (options_.finish_batch && loaded > 0) options_.finish_batch(batch);
  return batch;
}

std::optional<Batch> BatchLoader::next() {
  const std::int64_t total = epoch_batches_;
  for (;;) {
    Batch batch;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      if (next_to_deliver_ >= total) return std::nullopt;
      if (workers_.empty()) throw RunError("BatchLoader::next() called before start_epoch()");
      changed_.wait(lock, [&] { return worker_error_ || ready_.count(next_to_deliver_) > 0; });
      if (worker_error_) std::rethrow_exception(worker_error_);
      auto it = ready_.find(next_to_deliver_);
      batch = std::move(it->second);
      ready_.erase(it);
      ++next_to_deliver_;
    }
    changed_.notify_all();
    if (batch.labels.size(0) > 0 || options_.deliver_empty_batches) return batch;
  }
}

}  // namespace trainbench::data
