#include "train/metrics_records.h"

#include "core/error.h"

namespace trainbench::train {
namespace {

using core::field;

constexpr const char* kStepType = "train_step";
constexpr const char* kEpochType = "train_epoch";
constexpr const char* kEvalType = "eval";

template <typename Record>
nlohmann::ordered_json typed_line(const char* type, const std::vector<core::Field<Record>>& fields, const Record& record) {
  nlohmann::ordered_json line = {{"type", type}};
  const nlohmann::ordered_json values = core::write_fields(fields, record);  // alive while items() walks it
  for (const auto& [key, value] : values.items()) line[key] = value;
  return line;
}

template <typename Record>
std::vector<Record> of_kind(const std::vector<MetricsRecord>& records) {
  std::vector<Record> selected;
  for (const MetricsRecord& record : records) {
    if (const Record* typed = std::get_if<Record>(&record)) selected.push_back(*typed);
  }
  return selected;
}

}  // namespace

const std::vector<core::Field<StepRecord>>& step_record_fields() {
  static const std::vector<core::Field<StepRecord>> fields = {
      field("epoch", &StepRecord::epoch, "epoch the step belongs to (1-based)"),
      field("step", &StepRecord::step, "optimizer steps taken so far, this one included"),
      field("loss", &StepRecord::loss, "the batch's mean loss"),
      field("lr", &StepRecord::lr, "learning rate of the step"),
      field("images", &StepRecord::images, "images in the batch (this rank's)"),
      field("data_wait_seconds", &StepRecord::data_wait_seconds, "seconds the step waited for its batch"),
      field("elapsed_seconds", &StepRecord::elapsed_seconds, "seconds since the pass began, at the step's end"),
      field("run_seconds", &StepRecord::run_seconds, "seconds since the run began, at the step's end"),
  };
  return fields;
}

const std::vector<core::Field<EpochRecord>>& epoch_record_fields() {
  static const std::vector<core::Field<EpochRecord>> fields = {
      field("epoch", &EpochRecord::epoch, "the epoch (1-based)"),
      field("loss", &EpochRecord::loss, "mean batch loss of the pass"),
      field("accuracy", &EpochRecord::accuracy, "accuracy over the pass"),
      field("images", &EpochRecord::images, "images trained on in the pass, all ranks'"),
      field("seconds", &EpochRecord::seconds, "seconds of the pass"),
      field("data_wait_seconds", &EpochRecord::data_wait_seconds, "seconds the pass waited for batches"),
      field("run_seconds", &EpochRecord::run_seconds, "seconds since the run began, at the pass's end"),
  };
  return fields;
}

const std::vector<core::Field<EvalRecord>>& eval_record_fields() {
  static const std::vector<core::Field<EvalRecord>> fields = {
      field("epoch", &EvalRecord::epoch, "the epoch it followed (1-based)"),
      field("loss", &EvalRecord::loss, "mean batch loss"),
      field("accuracy", &EvalRecord::accuracy, "accuracy over the validation set"),
      field("images", &EvalRecord::images, "images evaluated"),
      field("seconds", &EvalRecord::seconds, "seconds of the pass"),
      field("run_seconds", &EvalRecord::run_seconds, "seconds since the run began, at the pass's end"),
  };
  return fields;
}

nlohmann::ordered_json to_json(const MetricsRecord& record) {
  if (const auto* step = std::get_if<StepRecord>(&record)) return typed_line(kStepType, step_record_fields(), *step);
  if (const auto* epoch = std::get_if<EpochRecord>(&record)) return typed_line(kEpochType, epoch_record_fields(), *epoch);
  return typed_line(kEvalType, eval_record_fields(), std::get<EvalRecord>(record));
}

std::optional<MetricsRecord> metrics_record_from_json(const nlohmann::json& line) {
  if (!line.is_object()) throw UsageError("a metrics record is not a JSON object");
  std::string type;
  core::read_field(line, "type", &type);
  if (type == kStepType) {
    StepRecord record;
    core::read_fields(step_record_fields(), line, &record);
    return record;
  }
  if (type == kEpochType) {
    EpochRecord record;
    core::read_fields(epoch_record_fields(), line, &record);
    return record;
  }
  if (type == kEvalType) {
    EvalRecord record;
    core::read_fields(eval_record_fields(), line, &record);
    return record;
  }
  return std::nullopt;
}

std::vector<StepRecord> RunMetrics::steps() const { return of_kind<StepRecord>(records); }
std::vector<EpochRecord> RunMetrics::epochs() const { return of_kind<EpochRecord>(records); }
std::vector<EvalRecord> RunMetrics::evaluations() const { return of_kind<EvalRecord>(records); }

}  // namespace trainbench::train
