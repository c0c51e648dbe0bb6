#include "train/trained_model.h"

#include <torch/torch.h>

#include "core/device.h"
#include "core/error.h"
#include "data/batch_loader.h"
#include "data/image_codec.h"
#include "data/image_folder.h"
#include "data/normalize.h"
#include "data/resize_pad.h"
#include "models/registry.h"
#include "train/model_weights.h"
#include "train/run_folder.h"
#include "train/run_record.h"
#include "train/run_summary.h"

namespace trainbench::train {
namespace fs = std::filesystem;

TrainedModel load_trained_model(const fs::path& run_dir, const ExecutionRequest& request) {
  const RunRecord run = load_run_record(run_dir);
  TrainedModel trained;
  trained.config = run.settings();
  trained.classes = run.classes;
  if (trained.classes.empty()) {
    throw RunError(run_dir.string() + " is not a trainbench run folder (no class list in " + RunFiles::kClasses + ")");
  }
  // eval and predict run in one process: no job to take a GPU from.
  const Execution& execution = trained.execution = resolve_execution(request, std::nullopt);
  trained.model = models::create_model(trained.config.model, static_cast<int>(trained.classes.size()));
  std::error_code error;
  trained.weights = run_dir / RunFiles::kBestWeights;
  if (!fs::exists(trained.weights, error)) trained.weights = run_dir / RunFiles::kLastWeights;
  if (!fs::exists(trained.weights, error)) {
    throw RunError("run " + run_dir.string() + " has no saved weights yet (it stopped before its first epoch ended)");
  }
  load_model_weights(*trained.model, trained.weights);
  place_model(*trained.model, execution);
  trained.model->eval();
  return trained;
}

RunWeights load_run_weights(const fs::path& run_dir, bool last) {
  const RunFolder run = RunFolder::open(run_dir);
  RunWeights loaded;
  loaded.file = run.file(last ? RunFiles::kLastWeights : RunFiles::kBestWeights);
  std::error_code error;
  if (!fs::exists(loaded.file, error)) {
    throw RunError("run " + run_dir.string() + " has no " + loaded.file.filename().string() +
                   (last ? "" : " (it stopped before its first epoch ended)"));
  }
  loaded.card = weights::read_model_card(weights::model_card_path(loaded.file));
  // Loading into the architecture checks every name and shape.
  loaded.model = models::create_model(loaded.card.architecture, static_cast<int>(loaded.card.classes.size()));
  load_model_weights(*loaded.model, loaded.file);
  loaded.model->eval();
  return loaded;
}

fs::path export_weights(const fs::path& run_dir, bool last, const fs::path& out, bool overwrite) {
  if (out.extension() != ".safetensors") throw UsageError("--out must end in .safetensors (got " + out.string() + ")");
  std::error_code error;
  if (fs::exists(out, error) && !overwrite) throw UsageError(out.string() + " exists; pass --overwrite to replace it");
  const RunWeights loaded = load_run_weights(run_dir, last);
  if (!out.parent_path().empty()) fs::create_directories(out.parent_path(), error);
  save_model_weights(*loaded.model, loaded.card, out);
  return weights::model_card_path(out);
}

FolderEvaluation evaluate_folder(TrainedModel& trained, const fs::path& data_dir, int batch_size, int workers,
                                 const std::function<void(std::int64_t, std::int64_t)>& on_batch) {
  const data::ImageFolder folder = data::scan_image_folder_with_classes(data_dir, trained.classes);
  data::LoaderOptions options;
  options.image_size = trained.config.image_size;
  options.batch_size = batch_size;
  options.workers = workers;
  options.pin_memory = trained.execution.device.is_cuda();
  auto skipped = std::make_shared<data::SkippedFiles>();
  data::BatchLoader loader(folder.samples, options, skipped);
  const std::int64_t total = loader.batches_per_epoch();
  FolderEvaluation evaluation{evaluate(*trained.model, loader, trained.execution,
                                       [&](std::int64_t n, const RunningMetrics&) {
                                         if (on_batch) on_batch(n, total);
                                       }),
                              0, {}};
  evaluation.skipped_files = static_cast<std::int64_t>(skipped->count());
  evaluation.skipped_examples = skipped->first(kSkippedExamplesListed);
  return evaluation;
}

nlohmann::ordered_json to_json(const FolderEvaluation& evaluation, const std::vector<std::string>& classes) {
  const EvalResult& r = evaluation.result;
  nlohmann::ordered_json per_class = nlohmann::ordered_json::object();
  nlohmann::ordered_json matrix = nlohmann::ordered_json::array();
  for (int t = 0; t < r.confusion.classes(); ++t) {
    const double accuracy = r.confusion.class_accuracy(t);
    per_class[classes[t]] = {{"accuracy", accuracy < 0 ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(accuracy)},
                             {"images", r.confusion.class_total(t)}};
    nlohmann::ordered_json row = nlohmann::ordered_json::array();
    for (int p = 0; p < r.confusion.classes(); ++p) row.push_back(r.confusion.count(t, p));
    matrix.push_back(row);
  }
  return {{"images", r.metrics.samples()},
          {"loss", r.metrics.mean_loss()},
          {"accuracy", r.metrics.accuracy()},
          {"seconds", r.seconds},
          {"skipped_files", evaluation.skipped_files},
          {"skipped_examples", to_json(evaluation.skipped_examples)},
          {"classes", classes},
          {"per_class", per_class},
          {"confusion_matrix", matrix}};
}

std::vector<Prediction> predict_images(TrainedModel& trained, const std::vector<fs::path>& images, int top_k) {
  if (top_k < 1) throw UsageError("--top-k must be at least 1");
  const int k = std::min<int>(top_k, static_cast<int>(trained.classes.size()));
  const int size = trained.config.image_size;
  torch::NoGradGuard no_grad;
  std::vector<Prediction> predictions;
  for (const fs::path& path : images) {
    Prediction prediction{path.string(), "", {}};
    try {
      const data::Image image = data::read_image_file(path, size);
      torch::Tensor pixels = torch::empty({1, size, size, 3}, torch::kUInt8);
      data::resize_pad_into(image, size, pixels.data_ptr<std::uint8_t>());
      const Execution& execution = trained.execution;
      const torch::Tensor inputs = data::normalize_batch(pixels.to(execution.device), execution.memory_format());
      torch::Tensor logits;
      {
        const core::AutocastGuard autocast(execution.amp, execution.device);
        logits = trained.model->forward(inputs);
      }
      const torch::Tensor probabilities = torch::softmax(logits.to(torch::kFloat32), 1).squeeze(0).cpu();
      const auto [values, indices] = probabilities.topk(k);
      for (int i = 0; i < k; ++i) {
        prediction.top.emplace_back(trained.classes[static_cast<std::size_t>(indices[i].item<std::int64_t>())],
                                    values[i].item<double>());
      }
    } catch (const DataError& e) {
      prediction.error = e.what();
    }
    predictions.push_back(std::move(prediction));
  }
  return predictions;
}

nlohmann::ordered_json to_json(const std::vector<Prediction>& predictions) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const Prediction& p : predictions) {
    nlohmann::ordered_json entry = {{"path", p.path}};
    if (!p.error.empty()) {
      entry["error"] = p.error;
    } else {
      nlohmann::ordered_json top = nlohmann::ordered_json::array();
      for (const auto& [name, probability] : p.top) top.push_back({{"class", name}, {"probability", probability}});
      entry["top"] = top;
    }
    out.push_back(entry);
  }
  return out;
}

}  // namespace trainbench::train
