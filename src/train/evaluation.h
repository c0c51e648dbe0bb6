#pragma once
// One evaluation pass: the model in eval mode over every batch of a loader,
// without gradients, under the execution's autocast. Shared by the trainer's Eval pass and `trainbench eval`.
#include <torch/types.h>

#include <cstdint>
#include <functional>

#include "data/batch_loader.h"
#include "models/classifier.h"
#include "train/execution.h"
#include "train/metrics.h"

namespace trainbench::train {

struct EvalResult {
  RunningMetrics metrics;  // mean batch loss, accuracy over samples
  ConfusionMatrix confusion;
  double seconds = 0.0;
};

// on_batch(batches_done, metrics_so_far) after every batch, for progress.
EvalResult evaluate(models::Classifier& model, data::BatchLoader& loader, const Execution& execution,
                    const std::function<void(std::int64_t, const RunningMetrics&)>& on_batch = {});

}  // namespace trainbench::train
