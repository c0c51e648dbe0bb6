#pragma once
// `trainbench data bench`: the input pipeline alone, no model. Decode,
// ResizePad, augmentation and normalisation of training batches for a fixed
// time, to tell whether this storage and CPU can feed a given GPU.
#include <cstdint>
#include <functional>

#include <torch/types.h>
#include <vector>

#include "data/batch_augment.h"
#include "data/batch_loader.h"
#include "data/image_folder.h"

namespace trainbench::data {

struct LoaderBenchOptions {
  LoaderOptions loader;        // shuffle is forced on, as for training
  BatchAugment augment;
  // Where training would run: batches are copied there, augmented and
  // normalised into `format` there, as the trainer does. On the CPU the
  // augmentation runs in the loader workers (see augment_in_workers).
  torch::Device device{torch::kCPU};
  torch::MemoryFormat format = torch::MemoryFormat::Contiguous;
  double seconds = 20.0;       // measured time, after the warm-up
  int warmup_batches = 5;      // not measured: threads starting, caches filling
};

struct LoaderBenchResult {
  std::int64_t images = 0;  // delivered, augmented and normalised in the measured time
  std::int64_t batches = 0;
  double seconds = 0.0;
  double images_per_sec = 0.0;
  // images/s divided by the cores the workers could use: min(workers, available cores).
  double images_per_sec_per_core = 0.0;
  int workers = 0;
  int cores = 0;
  std::int64_t skipped_files = 0;
};

// Runs epochs back to back until the measured time is over. on_progress
// (measured seconds so far, images so far) after each measured batch.
LoaderBenchResult bench_loader(const std::vector<Sample>& samples, const LoaderBenchOptions& options,
                               const std::function<void(double, std::int64_t)>& on_progress = {});

}  // namespace trainbench::data
