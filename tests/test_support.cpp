#include "test_support.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/wait.h>
#include <torch/torch.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>

namespace trainbench::testing {
namespace fs = std::filesystem;

TempDir::TempDir() {
  std::string pattern = (fs::temp_directory_path() / "trainbench-test-XXXXXX").string();
  if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code error;
  fs::remove_all(path_, error);
}

fs::path source_dir() { return TRAINBENCH_SOURCE_DIR; }
fs::path trainbench_binary() { return TRAINBENCH_BINARY; }

std::string run_command(const std::string& command, int* exit_code) {
  std::string output;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) throw std::runtime_error("cannot run " + command);
  std::array<char, 4096> buffer;
  std::size_t n = 0;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) output.append(buffer.data(), n);
  const int status = pclose(pipe);
  *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return output;
}

int run_reference(const std::string& script, const std::vector<std::string>& args) {
  std::string command = "/usr/bin/python3 '" + (source_dir() / "tests" / "reference" / script).string() + "'";
  for (const std::string& arg : args) command += " '" + arg + "'";
  int exit_code = 0;
  const std::string output = run_command(command + " 2>&1", &exit_code);
  if (exit_code != 0) std::fprintf(stderr, "%s failed (%d):\n%s\n", script.c_str(), exit_code, output.c_str());
  return exit_code;
}

namespace {

torch::Dtype dtype_from_name(const std::string& name) {
  if (name == "F32") return torch::kFloat32;
  if (name == "F64") return torch::kFloat64;
  if (name == "I64") return torch::kInt64;
  if (name == "U8") return torch::kUInt8;
  throw std::runtime_error("unsupported dtype " + name);
}

std::string dtype_name(torch::Dtype dtype) {
  if (dtype == torch::kFloat32) return "F32";
  if (dtype == torch::kFloat64) return "F64";
  if (dtype == torch::kInt64) return "I64";
  if (dtype == torch::kUInt8) return "U8";
  throw std::runtime_error("unsupported dtype");
}

}  // namespace

std::map<std::string, torch::Tensor> read_tensor_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path.string());
  std::uint64_t header_size = 0;
  in.read(reinterpret_cast<char*>(&header_size), 8);
  std::string header(header_size, '\0');
  in.read(header.data(), static_cast<std::streamsize>(header_size));
  const std::vector<char> data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::map<std::string, torch::Tensor> tensors;
  const nlohmann::json index = nlohmann::json::parse(header);
  for (const auto& [name, entry] : index.items()) {
    if (name == "__metadata__") continue;
    const auto shape = entry.at("shape").get<std::vector<std::int64_t>>();
    const auto offsets = entry.at("data_offsets").get<std::vector<std::size_t>>();
    torch::Tensor t = torch::empty(shape, dtype_from_name(entry.at("dtype").get<std::string>()));
    if (offsets[1] - offsets[0] != static_cast<std::size_t>(t.nbytes())) throw std::runtime_error("bad size for " + name);
    std::memcpy(t.data_ptr(), data.data() + offsets[0], t.nbytes());
    tensors[name] = t;
  }
  return tensors;
}

void write_tensor_file(const fs::path& path, const std::map<std::string, torch::Tensor>& tensors) {
  nlohmann::json header = nlohmann::json::object();
  std::string data;
  for (const auto& [name, tensor] : tensors) {
    const torch::Tensor t = tensor.contiguous().cpu();
    const std::size_t begin = data.size();
    data.append(static_cast<const char*>(t.data_ptr()), t.nbytes());
    header[name] = {{"dtype", dtype_name(t.scalar_type())}, {"shape", t.sizes().vec()}, {"data_offsets", {begin, data.size()}}};
  }
  const std::string text = header.dump();
  const std::uint64_t size = text.size();
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(&size), 8);
  out << text << data;
}

data::Image test_pattern(int width, int height, int seed) {
  data::Image image(width, height);
  std::mt19937 rng(static_cast<unsigned>(seed));
  const int cx = width / 3 + seed % 7, cy = height / 2;
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      std::uint8_t* p = image.pixel(x, y);
      const bool inside = (x - cx) * (x - cx) + (y - cy) * (y - cy) < (width * height) / 16;
      p[0] = static_cast<std::uint8_t>((x * 255) / std::max(1, width - 1));
      p[1] = static_cast<std::uint8_t>((y * 255) / std::max(1, height - 1));
      p[2] = inside ? 230 : static_cast<std::uint8_t>(rng() % 40);
    }
  }
  return image;
}

}  // namespace trainbench::testing
