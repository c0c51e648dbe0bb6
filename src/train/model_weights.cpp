#include "train/model_weights.h"

#include <fstream>

#include "core/error.h"
#include "weights/safetensors.h"

namespace trainbench::train {
namespace fs = std::filesystem;
namespace {

// Wrappers prefix every name: DataParallel "module.", Lightning "model.".
std::string strip_wrapper_prefixes(std::string name) {
  for (bool stripped = true; stripped;) {
    stripped = false;
    for (const char* prefix : {"module.", "model."}) {
      const std::string p = prefix;
      if (name.size() > p.size() && name.compare(0, p.size(), p) == 0) {
        name.erase(0, p.size());
        stripped = true;
      }
    }
  }
  return name;
}

// A clear word for the usual wrong file: PyTorch's own .pt/.pth (a zip or a
// pickle) instead of safetensors.
void reject_pytorch_pickle(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  char magic[2] = {0, 0};
  in.read(magic, 2);
  const bool zip = magic[0] == 'P' && magic[1] == 'K';
  const bool pickle = static_cast<unsigned char>(magic[0]) == 0x80;
  if (zip || pickle) {
    throw ModelError(file.string() + " is a PyTorch pickle (.pt/.pth), not safetensors; convert it with "
                     "scripts/pth-to-safetensors " + file.string() + " OUT.safetensors");
  }
}

weights::NamedTensors read_weights(const fs::path& file) {
  std::error_code error;
  if (!fs::is_regular_file(file, error)) throw ModelError("no weights file at " + file.string());
  reject_pytorch_pickle(file);
  return weights::read_safetensors(file).tensors;
}

std::string count_text(std::size_t n, const char* what) { return std::to_string(n) + " " + what; }

}  // namespace

void save_model_weights(models::Classifier& model, const weights::ModelCard& card, const fs::path& file) {
  weights::write_safetensors(file, weights::state_dict(model), {{"format", "pt"}, {"architecture", card.architecture}});
  weights::write_model_card(weights::model_card_path(file), card);
}

void load_model_weights(models::Classifier& model, const fs::path& file) {
  const weights::LoadReport report = weights::load_state_dict(model, read_weights(file));
  if (!report.clean()) {
    throw ModelError(file.string() + " does not fit " + model.architecture() + " with " +
                     std::to_string(model.num_classes()) + " classes: " + report.describe_problems());
  }
}

PretrainedLoad load_pretrained(models::Classifier& model, const fs::path& file, bool strict) {
  weights::NamedTensors tensors = read_weights(file);
  for (auto& named : tensors) named.first = strip_wrapper_prefixes(named.first);
  weights::LoadOptions options;
  options.reinitializable_prefix = model.head_name();
  PretrainedLoad load{weights::load_state_dict(model, tensors, options), ""};
  const weights::LoadReport& report = load.report;
  if (!report.clean() && strict) {
    throw ModelError("--pretrained " + file.string() + " does not fit " + model.architecture() + ": " +
                     report.describe_problems() + " (--pretrained-strict off loads what fits and lists the rest)");
  }
  load.summary = "pretrained " + file.filename().string() + ": " + count_text(report.loaded, "tensors loaded");
  if (!report.reinitialized.empty()) {
    load.summary += "; head '" + model.head_name() + "' re-initialised for " + std::to_string(model.num_classes()) +
                    " classes (" + report.reinitialized.front() + (report.reinitialized.size() > 1 ? ", ..." : "") + ")";
  }
  if (!report.clean()) load.summary += "; WARNING " + report.describe_problems();
  return load;
}

}  // namespace trainbench::train
