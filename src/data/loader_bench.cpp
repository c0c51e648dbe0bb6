#include "data/loader_bench.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>

#include "core/error.h"
#include "core/threads.h"
#include "data/normalize.h"

namespace trainbench::data {

LoaderBenchResult bench_loader(const std::vector<Sample>& samples, const LoaderBenchOptions& options,
                               const std::function<void(double, std::int64_t)>& on_progress) {
  if (samples.empty()) throw DataError("no images to benchmark");
  if (options.seconds <= 0) throw UsageError("--seconds must be positive");
  using Clock = std::chrono::steady_clock;
  LoaderOptions loader_options = options.loader;
  loader_options.shuffle = true;
  loader_options.pin_memory = options.device.is_cuda();
  const bool in_workers = augment_in_workers(loader_options, options.augment, options.device);
  auto skipped = std::make_shared<SkippedFiles>();
  BatchLoader loader(samples, loader_options, skipped);

  LoaderBenchResult result;
  result.workers = loader_options.workers;
  result.cores = std::min(loader_options.workers, core::available_cores());
  int warmup_left = options.warmup_batches;
  Clock::time_point start = Clock::now();
  double elapsed = 0.0;
  torch::NoGradGuard no_grad;
  for (int epoch = 0; elapsed < options.seconds; ++epoch) {
    loader.start_epoch(epoch);
    std::int64_t batches_this_epoch = 0;
    while (std::optional<Batch> batch = loader.next()) {
      ++batches_this_epoch;
      // What the trainer does with a batch before the model sees it.
      torch::Tensor images = batch->images.to(options.device, /*non_blocking=*/batch->images.is_pinned());
      if (!in_workers) images = options.augment.apply(images, *batch);
      const torch::Tensor inputs = normalize_batch(images, options.format);
      // On a GPU the work above is queued; wait for it, so time counts it.
      if (!options.device.is_cpu()) inputs.sum().item<float>();
      if (warmup_left > 0) {
        if (--warmup_left == 0) start = Clock::now();
        continue;
      }
      result.images += inputs.size(0);
      ++result.batches;
      elapsed = std::chrono::duration<double>(Clock::now() - start).count();
      if (on_progress) on_progress(elapsed, result.images);
      if (elapsed >= options.seconds) break;
    }
    if (batches_this_epoch == 0) throw DataError("no image in the folder could be read");
  }
  result.seconds = elapsed;
  result.images_per_sec = elapsed > 0 ? result.images / elapsed : 0.0;
  result.images_per_sec_per_core = result.cores > 0 ? result.images_per_sec / result.cores : 0.0;
  result.skipped_files = static_cast<std::int64_t>(skipped->count());
  return result;
}

}  // namespace trainbench::data
