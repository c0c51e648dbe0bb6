#pragma once
// Turns a list of image files into uint8 batches, in worker threads, ahead of
// the trainer. Each batch is decoded and ResizePad-ed straight into one
// (optionally pinned) [n, size, size, 3] tensor. A bounded window of batches
// in flight keeps memory flat; batches come out in epoch order whatever the
// number of workers, and the order depends only on the seed and the epoch.
#include <torch/types.h>

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "data/image_folder.h"
#include "data/shard.h"
#include "data/skipped_files.h"

namespace trainbench::data {

struct Batch;

struct LoaderOptions {
  int image_size = 288;
  int batch_size = 32;
  int workers = 1;
  int prefetch_per_worker = 2;  // batches in flight = workers * this
  bool shuffle = false;
  std::uint64_t seed = 1234;
  bool pin_memory = false;  // page-locked host memory for fast copies to a GPU
  // Let TurboJPEG decode at the smallest DCT scale (1/8 .. 1) that still
  // covers image_size, instead of at full size (off only to measure the gain).
  bool dct_scaling = true;
  // Run by the worker on each finished batch (e.g. augmentation when the
  // training device is the CPU itself, so it runs in parallel in the workers
  // instead of serially in the trainer's thread). May replace batch.images.
  std::function<void(Batch&)> finish_batch;
  // This process's share of each epoch in a data-parallel job (all of it in one process).
  ShardSpec shard;
  // Deliver a batch whose files all failed (as 0 images) instead of passing
  // over it: data-parallel ranks must take the same number of steps.
  bool deliver_empty_batches = false;
};

struct Batch {
  int epoch = 0;
  std::int64_t index = 0;  // position of the batch within the epoch
  torch::Tensor images;    // uint8 [n, size, size, 3], n <= batch_size (bad files are left out)
  torch::Tensor labels;    // int64 [n]
  // Each image's position in the epoch's sample order: with the seed and the
  // epoch, a key for per-image random draws that does not depend on which
  // worker loaded it or on skipped files.
  std::vector<std::int64_t> positions;
};

class BatchLoader {
 public:
  BatchLoader(std::vector<Sample> samples, LoaderOptions options, std::shared_ptr<SkippedFiles> skipped);
  ~BatchLoader();
  BatchLoader(const BatchLoader&) = delete;
  BatchLoader& operator=(const BatchLoader&) = delete;

  std::int64_t sample_count() const { return static_cast<std::int64_t>(samples_.size()); }
  const std::vector<Sample>& samples() const { return samples_; }
  // This rank's batches in an epoch (from global position `first_position`).
  std::int64_t batches_per_epoch(std::int64_t first_position = 0) const;
  const LoaderOptions& options() const { return options_; }

  // Begins an epoch: fixes its sample order and starts the workers. A
  // resumed run starts at `first_batch`: the batches before it are not
  // loaded, and the ones after are exactly those of an uninterrupted epoch.
  // `first_position` deals out only the epoch's samples from that global
  // position on (a run resumed with another number of ranks).
  void start_epoch(int epoch, std::int64_t first_batch = 0, std::int64_t first_position = 0);

  // The next batch of the epoch, in order; std::nullopt at its end. Blocks
  // while workers catch up. A batch whose files all failed is passed over
  // (unless deliver_empty_batches).
  // Rethrows an unexpected error from a worker.
  std::optional<Batch> next();

 private:
  void stop_workers();
  void worker_loop();
  Batch load_batch(std::int64_t batch_index);

  std::vector<Sample> samples_;
  LoaderOptions options_;
  std::shared_ptr<SkippedFiles> skipped_;

  int epoch_ = 0;
  std::vector<std::int64_t> order_;      // this rank's samples of the epoch, in order
  std::vector<std::int64_t> positions_;  // their global positions in the epoch
  std::int64_t epoch_batches_ = 0;
  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable changed_;
  bool stopping_ = false;
  std::int64_t next_to_claim_ = 0;
  std::int64_t next_to_deliver_ = 0;
  std::map<std::int64_t, Batch> ready_;
  std::exception_ptr worker_error_;
};

}  // namespace trainbench::data
