#pragma once
// `trainbench bench --profile`: what a device is good at, across the shapes of
// network people train. One model per family (dense convolutions, depthwise
// convolutions, attention...) at its native size, each trained and run for
// inference at the device's best precision and at fp32, in the device's
// default layout. The rows are ordinary bench rows (stored, compared and
// reported as any); the profile table puts a family's train and infer figures
// side by side, with achieved TFLOP/s, the figure that compares across
// families (images/s do not: a ViT-B image is 20 times a MobileNet's work).
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "bench/bench_matrix.h"
#include "core/table.h"
#include "store/bench_row.h"

namespace trainbench::bench {

// A model the profile measures, and the family it stands for.
struct ProfileModel {
  std::string family;  // "ResNet", "ViT", ...
  std::string model;   // what --model takes
  int native_image_size = 224;
};

struct ProfileRequest {
  std::vector<ProfileModel> models;
  std::string device;                  // as --device accepts it (one)
  std::string best_amp;                // the device's best precision, resolved ("off" when it has none)
  int batch_size = 32;
  std::optional<int> image_size;       // every model at this size instead of its native one
};

// The tests, model by model in the given order: for each precision (best,
// then "off" unless best is "off"), train then infer; synthetic input, the
// device's default layout. Throws UsageError for an empty model list or a
// batch or image size below 1.
std::vector<BenchCase> profile_cases(const ProfileRequest& request);

// One line per model and precision: train and infer images/s (± sd),
// achieved TFLOP/s and peak memory, and the batch that ran. `family_of`
// maps a model to its family ("" when absent). Failed tests read "failed"
// and their error is kept in the line's note. Lines follow the rows' order.
core::Table profile_table(const std::vector<store::BenchRow>& rows,
                          const std::map<std::string, std::string>& family_of);

}  // namespace trainbench::bench
