#pragma once
// Every setting of a training run, resolved (no "auto" left), and its one
// JSON form: config.json in the run folder, read back by eval and predict.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/field_table.h"

namespace trainbench::train {

struct TrainConfig {
  std::filesystem::path data;
  std::filesystem::path val_data;  // empty: split `data` with val_split
  double val_split = 0.1;
  std::string model = "resnet18d";
  int image_size = 288;
  int batch_size = 32;
  int epochs = 3;
  double lr = 1e-3;  // OneCycle max_lr
  double weight_decay = 0.01;
  double adam_eps = 1e-5;
  std::uint64_t seed = 1234;
  int workers = 0;  // 0: one per available core
  int prefetch_per_worker = 2;
  int threads = 0;  // 0: all available cores
  std::string device = "auto";
  std::string amp = "auto";              // resolved: "off", "bf16" or "fp16"
  std::optional<bool> channels_last;     // unset: the measured default for device and precision
  bool cudnn_benchmark = true;           // CUDA only: let cuDNN time its algorithms per shape
  std::string augment = "trivial-wide";  // training batches only: trivial-wide, trivial-wide-scaled or none
  std::filesystem::path pretrained;      // safetensors weights to start from (timm or torchvision names)
  bool pretrained_strict = true;         // mismatches other than the head are errors, not warnings
  std::filesystem::path output;
  std::int64_t max_steps = 0;  // 0: epochs * batches
  std::int64_t checkpoint_every = 1000;  // steps between checkpoints within an epoch; 0: at epoch ends only
  bool progress = true;
  double telemetry_interval = 0.5;  // seconds between telemetry samples; 0: no telemetry
  bool overwrite = false;
  // Data-parallel runs (under torchrun, srun or `trainbench launch`).
  std::string dist_backend = "auto";  // "auto" (NCCL on CUDA, else Gloo), "gloo", "nccl"
  bool sync_bn = false;               // batch-norm statistics over all ranks' batches
  bool broadcast_buffers = true;      // rank 0's buffers to every rank before each forward pass (DDP's default)
  int dist_timeout = 300;             // seconds the ranks wait for each other before failing
  // Gradients: micro-batches of -b images per optimizer step (their gradients
  // add up; ranks average once per step), and how the ranks average them.
  int accumulate = 1;
  double bucket_mb = 25.0;               // DDP's bucket_cap_mb
  bool find_unused_parameters = false;   // DDP's find_unused_parameters
  std::string grad_compression = "none"; // none, fp16 or bf16 on the wire
  // Tests only (hidden --simulate-oom-at-step): that step fails as out of
  // device memory, to exercise the message no CPU can produce. Not saved.
  std::int64_t simulate_oom_at_step = 0;
};

// config.json's one field table: the writer and the reader walk it.
const std::vector<core::Field<TrainConfig>>& train_config_fields();
nlohmann::ordered_json to_json(const TrainConfig& config);
// Reads config.json (earlier versions' img_size as image_size, and the
// defaults of the runs written before a setting existed); throws RunError
// naming the missing or malformed key.
TrainConfig train_config_from_json(const nlohmann::json& json);

}  // namespace trainbench::train
