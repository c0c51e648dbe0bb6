#include "bench/profile.h"

#include "core/error.h"

namespace trainbench::bench {
namespace {

using core::ColumnType;
using core::Row;

const std::vector<core::Column>& profile_columns() {
  static const std::vector<core::Column> columns = {
      {"family", ColumnType::kText, "the family the model stands for"},
      {"model", ColumnType::kText, "architecture"},
      {"device", ColumnType::kText, "device the tests ran on"},
      {"amp", ColumnType::kText, "precision: the device's best, then off (fp32)"},
      {"channels_last", ColumnType::kBool, "memory layout (the device's default for the precision)"},
      {"image_size", ColumnType::kInteger, "input size in pixels"},
      {"batch_size", ColumnType::kInteger, "the batch that ran (smaller than asked after an out-of-memory back-off)"},
      {"train_images_per_sec", ColumnType::kReal, "training images per second (forward, backward, AdamW step)"},
      {"train_images_per_sec_std", ColumnType::kReal, "sample standard deviation over repetitions"},
      {"train_tflops", ColumnType::kReal, "achieved TFLOP/s in training (3 x forward FLOPs per image)"},
      {"train_peak_memory_mib", ColumnType::kReal, "peak memory while training (MiB; see memory_source)"},
      {"infer_images_per_sec", ColumnType::kReal, "inference images per second (eval mode, no gradients)"},
      {"infer_images_per_sec_std", ColumnType::kReal, "sample standard deviation over repetitions"},
      {"infer_tflops", ColumnType::kReal, "achieved TFLOP/s in inference"},
      {"infer_peak_memory_mib", ColumnType::kReal, "peak memory in inference (MiB)"},
      {"memory_source", ColumnType::kText, "cuda-allocator (peak allocated) or process-rss (peak resident set)"},
      {"note", ColumnType::kText, "out-of-memory back-offs and failures"},
  };
  return columns;
}

// The line a row belongs to: one per model, precision and layout.
std::string line_key(const store::BenchRow& row) {
  return row.model + "|" + row.device + "|" + row.amp + "|" + (row.channels_last ? "1" : "0") + "|" +
         std::to_string(row.image_size) + "|" + std::to_string(row.requested_batch_size);
}

Row optional_mib(const std::optional<std::int64_t>& bytes) {
  return bytes ? Row(static_cast<double>(*bytes) / (1024.0 * 1024.0)) : Row(nullptr);
}

// Fills the line's columns of one mode ("train_" or "infer_") from its row.
void fill_mode(Row& line, const store::BenchRow& row) {
  const std::string prefix = row.mode + "_";
  const bool ok = row.status == "ok";
  line[prefix + "images_per_sec"] = ok ? Row(row.images_per_sec) : Row(nullptr);
  line[prefix + "images_per_sec_std"] = ok ? Row(row.images_per_sec_std) : Row(nullptr);
  line[prefix + "tflops"] = ok ? Row(row.achieved_tflops) : Row(nullptr);
  line[prefix + "peak_memory_mib"] = ok ? optional_mib(row.peak_memory_bytes) : Row(nullptr);
  if (ok && !row.memory_source.empty()) line["memory_source"] = row.memory_source;
  const std::string said = ok ? row.note : row.mode + " failed: " + row.error;
  if (!said.empty()) {
    const std::string before = line["note"].is_string() ? line["note"].get<std::string>() + "; " : "";
    line["note"] = before + said;
  }
  // A back-off in either mode is the batch that ran: the smaller one.
  if (ok && (line["batch_size"].is_null() || row.batch_size < line["batch_size"].get<int>())) {
    line["batch_size"] = row.batch_size;
  }
}

}  // namespace

std::vector<BenchCase> profile_cases(const ProfileRequest& request) {
  if (request.models.empty()) throw UsageError("--profile: no model to measure");
  if (request.batch_size < 1) throw UsageError("--profile: the batch size must be at least 1");
  if (request.image_size && *request.image_size < 1) throw UsageError("--profile: the image size must be at least 1");
  std::vector<std::string> amps = {request.best_amp};
  if (request.best_amp != "off") amps.push_back("off");
  std::vector<BenchCase> cases;
  for (const ProfileModel& model : request.models) {
    for (const std::string& amp : amps) {
      for (const char* mode : {"train", "infer"}) {
        BenchCase test;
        test.model = model.model;
        test.device = request.device;
        test.image_size = request.image_size.value_or(model.native_image_size);
        test.batch_size = request.batch_size;
        test.amp = amp;
        test.channels_last = "auto";
        test.input = "synthetic";
        test.workers = 0;
        test.mode = mode;
        cases.push_back(test);
      }
    }
  }
  return cases;
}

core::Table profile_table(const std::vector<store::BenchRow>& rows,
                          const std::map<std::string, std::string>& family_of) {
  core::Table table{"bench_profile", profile_columns(), {}};
  std::map<std::string, std::size_t> line_of;  // line_key -> index in table.rows
  for (const store::BenchRow& row : rows) {
    const std::string key = line_key(row);
    auto found = line_of.find(key);
    if (found == line_of.end()) {
      Row line = Row::object();
      for (const core::Column& column : profile_columns()) line[column.name] = nullptr;
      const auto family = family_of.find(row.model);
      line["family"] = family == family_of.end() ? "" : family->second;
      line["model"] = row.model;
      line["device"] = row.device;
      line["amp"] = row.amp;
      line["channels_last"] = row.channels_last;
      line["image_size"] = row.image_size;
      found = line_of.emplace(key, table.rows.size()).first;
      table.rows.push_back(std::move(line));
    }
    fill_mode(table.rows[found->second], row);
  }
  return table;
}

}  // namespace trainbench::bench
