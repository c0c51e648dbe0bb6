#pragma once
// Using a finished run: its model with the best weights, and the two things
// people do with it, evaluating a labelled folder and predicting images.
#include <nlohmann/json.hpp>
#include <torch/types.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "models/classifier.h"
#include "train/evaluation.h"
#include "train/execution.h"
#include "train/train_config.h"
#include "weights/model_card.h"

namespace trainbench::train {

struct TrainedModel {
  TrainConfig config;
  std::vector<std::string> classes;
  std::shared_ptr<models::Classifier> model;
  Execution execution;
  std::filesystem::path weights;  // the file the weights came from
};

// Loads RUN_DIR's best weights (the last ones when no best was saved yet).
// Throws DeviceError when the device cannot run the requested precision.
TrainedModel load_trained_model(const std::filesystem::path& run_dir, const ExecutionRequest& request);

// A run's best weights (the last epoch's with `last`) loaded into a fresh
// model of their architecture on the CPU, every name and shape checked
// against it, with the model card saved beside them.
struct RunWeights {
  std::shared_ptr<models::Classifier> model;
  weights::ModelCard card;
  std::filesystem::path file;
};
RunWeights load_run_weights(const std::filesystem::path& run_dir, bool last);

// `trainbench export`: the run's best weights (the last ones with
// `last`) checked against its architecture and written to OUT (.safetensors)
// with the model card OUT.json. An existing OUT is an error unless
// `overwrite`. Returns the card's path.
std::filesystem::path export_weights(const std::filesystem::path& run_dir, bool last,
                                     const std::filesystem::path& out, bool overwrite);

struct FolderEvaluation {
  EvalResult result;
  std::int64_t skipped_files = 0;
  std::vector<data::SkippedFile> skipped_examples;
};

// Evaluates a labelled image folder whose class folders are among the run's classes.
FolderEvaluation evaluate_folder(TrainedModel& trained, const std::filesystem::path& data_dir, int batch_size,
                                 int workers, const std::function<void(std::int64_t, std::int64_t)>& on_batch = {});

// eval's JSON: loss, accuracy, per-class accuracy, confusion matrix.
nlohmann::ordered_json to_json(const FolderEvaluation& evaluation, const std::vector<std::string>& classes);

struct Prediction {
  std::string path;
  std::string error;  // non-empty when the image could not be read
  std::vector<std::pair<std::string, double>> top;  // class, probability; most likely first
};

// Predicts each image with the validation preprocessing (ResizePad, normalise).
std::vector<Prediction> predict_images(TrainedModel& trained, const std::vector<std::filesystem::path>& images, int top_k);

nlohmann::ordered_json to_json(const std::vector<Prediction>& predictions);

}  // namespace trainbench::train
