#include "train/train_config.h"

#include "core/error.h"

namespace trainbench::train {

nlohmann::ordered_json to_json(const TrainConfig& c) {
  return {{"data", c.data.string()},
          {"val_data", c.val_data.string()},
          {"val_split", c.val_split},
          {"model", c.model},
          {"img_size", c.image_size},
          {"batch_size", c.batch_size},
          {"epochs", c.epochs},
          {"lr", c.lr},
          {"weight_decay", c.weight_decay},
          {"adam_eps", c.adam_eps},
          {"seed", c.seed},
          {"workers", c.workers},
          {"prefetch", c.prefetch_per_worker},
          {"threads", c.threads},
          {"device", c.device},
          {"amp", c.amp},
          {"channels_last", c.channels_last ? nlohmann::ordered_json(*c.channels_last) : nlohmann::ordered_json(nullptr)},
          {"cudnn_benchmark", c.cudnn_benchmark},
          {"augment", c.augment},
          {"pretrained", c.pretrained.string()},
          {"pretrained_strict", c.pretrained_strict},
          {"output", c.output.string()},
          {"max_steps", c.max_steps},
          {"telemetry_interval", c.telemetry_interval},
          {"checkpoint_every", c.checkpoint_every},
          {"dist_backend", c.dist_backend},
          {"sync_bn", c.sync_bn},
          {"dist_timeout", c.dist_timeout}};
}

TrainConfig train_config_from_json(const nlohmann::json& json) {
  TrainConfig c;
  try {
    c.data = json.at("data").get<std::string>();
    c.val_data = json.at("val_data").get<std::string>();
    c.val_split = json.at("val_split").get<double>();
    c.model = json.at("model").get<std::string>();
    c.image_size = json.at("img_size").get<int>();
    c.batch_size = json.at("batch_size").get<int>();
    c.epochs = json.at("epochs").get<int>();
    c.lr = json.at("lr").get<double>();
    c.weight_decay = json.at("weight_decay").get<double>();
    c.adam_eps = json.at("adam_eps").get<double>();
    c.seed = json.at("seed").get<std::uint64_t>();
    c.workers = json.at("workers").get<int>();
    c.prefetch_per_worker = json.at("prefetch").get<int>();
    c.threads = json.at("threads").get<int>();
    c.device = json.at("device").get<std::string>();
    c.output = json.at("output").get<std::string>();
    // Settings added after the first release: runs written before them
    // trained in full precision, contiguous, from scratch.
    c.amp = json.value("amp", std::string("off"));
    const nlohmann::json channels_last = json.value("channels_last", nlohmann::json(false));
    if (!channels_last.is_null()) c.channels_last = channels_last.get<bool>();
    c.cudnn_benchmark = json.value("cudnn_benchmark", true);
    c.augment = json.value("augment", std::string("none"));
    c.pretrained = json.value("pretrained", std::string());
    c.pretrained_strict = json.value("pretrained_strict", true);
    c.max_steps = json.at("max_steps").get<std::int64_t>();
    c.telemetry_interval = json.value("telemetry_interval", 0.0);
    c.checkpoint_every = json.value("checkpoint_every", std::int64_t{0});
    c.dist_backend = json.value("dist_backend", std::string("auto"));
    c.sync_bn = json.value("sync_bn", false);
    c.dist_timeout = json.value("dist_timeout", 300);
  } catch (const nlohmann::json::exception& e) {
    throw RunError(std::string("config.json is incomplete or malformed: ") + e.what());
  }
  return c;
}

}  // namespace trainbench::train
