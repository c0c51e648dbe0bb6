#include "train/train_config.h"

#include "core/error.h"

namespace trainbench::train {
namespace {

using ConfigField = core::Field<TrainConfig>;
using core::field;

// Keys every config.json has held since the first release: a file without
// one of them is not a run's config.
const std::vector<std::string>& required_keys() {
  static const std::vector<std::string> keys = {
      "data",   "val_data",     "val_split", "model", "image_size", "batch_size", "epochs",  "lr",        "weight_decay",
      "adam_eps", "seed",       "workers",   "prefetch", "threads", "device",     "output",  "max_steps"};
  return keys;
}

}  // namespace

const std::vector<core::Field<TrainConfig>>& train_config_fields() {
  static const std::vector<ConfigField> fields = {
      field("data", &TrainConfig::data, "image folder trained on"),
      field("val_data", &TrainConfig::val_data, "separate validation folder (empty: a split of data)"),
      field("val_split", &TrainConfig::val_split, "share of data held out for validation"),
      field("model", &TrainConfig::model, "model architecture"),
      field("image_size", &TrainConfig::image_size, "square input side in pixels", {"img_size"}),
      field("batch_size", &TrainConfig::batch_size, "images per batch (per rank)"),
      field("epochs", &TrainConfig::epochs, "passes over the training set"),
      field("lr", &TrainConfig::lr, "OneCycle's peak learning rate"),
      field("weight_decay", &TrainConfig::weight_decay, "AdamW weight decay"),
      field("adam_eps", &TrainConfig::adam_eps, "AdamW eps"),
      field("seed", &TrainConfig::seed, "seed of the split, the order and the initial weights"),
      field("workers", &TrainConfig::workers, "loader threads (0: one per available core)"),
      field("prefetch", &TrainConfig::prefetch_per_worker, "batches each worker may prepare ahead"),
      field("threads", &TrainConfig::threads, "compute threads (0: all available cores)"),
      field("device", &TrainConfig::device, "the device asked for (auto, cpu, cuda, cuda:N, ...)"),
      field("amp", &TrainConfig::amp, "mixed precision asked for (auto, off, bf16, fp16)"),
      field("channels_last", &TrainConfig::channels_last, "channels-last asked for (null: the device's default)"),
      field("cudnn_benchmark", &TrainConfig::cudnn_benchmark, "CUDA: cuDNN times its algorithms per shape"),
      field("augment", &TrainConfig::augment, "training-batch augmentation: trivial-wide, trivial-wide-scaled or none"),
      field("pretrained", &TrainConfig::pretrained, "weights the run started from (empty: from scratch)"),
      field("pretrained_strict", &TrainConfig::pretrained_strict, "mismatched weights other than the head are errors"),
      field("output", &TrainConfig::output, "the run folder"),
      field("max_steps", &TrainConfig::max_steps, "optimizer steps at most (0: epochs x batches)"),
      field("telemetry_interval", &TrainConfig::telemetry_interval, "seconds between telemetry samples (0: none)"),
      field("checkpoint_every", &TrainConfig::checkpoint_every, "steps between checkpoints within an epoch"),
      field("dist_backend", &TrainConfig::dist_backend, "data-parallel backend asked for (auto, gloo, nccl)"),
      field("sync_bn", &TrainConfig::sync_bn, "batch-norm statistics over all ranks' batches"),
      field("broadcast_buffers", &TrainConfig::broadcast_buffers,
            "rank 0's buffers (batch-norm statistics) to every rank before each forward pass"),
      field("dist_timeout", &TrainConfig::dist_timeout, "seconds a rank waits for the others"),
      field("accumulate", &TrainConfig::accumulate, "micro-batches of batch_size images per optimizer step"),
      field("bucket_mb", &TrainConfig::bucket_mb, "data-parallel gradient bucket size, MB"),
      field("find_unused_parameters", &TrainConfig::find_unused_parameters,
            "data-parallel: parameters the forward pass does not reach are averaged as zeros"),
      field("grad_compression", &TrainConfig::grad_compression, "data-parallel: dtype on the wire (none, fp16, bf16)"),
  };
  return fields;
}

nlohmann::ordered_json to_json(const TrainConfig& config) { return core::write_fields(train_config_fields(), config); }

TrainConfig train_config_from_json(const nlohmann::json& json) {
  if (!json.is_object()) throw RunError("config.json is not a JSON object");
  for (const std::string& key : required_keys()) {
    const bool present = json.contains(key) || (key == "image_size" && json.contains("img_size"));
    if (!present) throw RunError("config.json is incomplete: it has no '" + key + "'");
  }
  // Settings added after the first release: runs written before them trained
  // in full precision, contiguous, unaugmented, from scratch, unsampled, with
  // checkpoints at epoch ends only, each rank with its own buffers.
  TrainConfig config;
  config.amp = "off";
  config.channels_last = false;
  config.augment = "none";
  config.telemetry_interval = 0.0;
  config.checkpoint_every = 0;
  config.broadcast_buffers = false;  // each rank kept its own batch-norm statistics before it
  try {
    core::read_fields(train_config_fields(), json, &config);
  } catch (const UsageError& e) {
    throw RunError(std::string("config.json is malformed: ") + e.what());
  }
  return config;
}

}  // namespace trainbench::train
