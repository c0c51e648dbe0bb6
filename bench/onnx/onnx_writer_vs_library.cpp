// bench/onnx-writer-vs-library's program: the measurements behind keeping
// our own ONNX writer (deploy/onnx_model.cpp) rather than building the
// graphs as ONNX's onnx::ModelProto messages (Debian's libonnx-dev).
//
// For each family at its native size and 1000 classes, at opsets 13 and 17:
//   - lowering: the layer-by-layer lowering into our OnnxModel (shared by
//     both routes);
//   - ours: serialize_model, our protobuf writer;
//   - library: the same OnnxModel built as an onnx::ModelProto, field by
//     field, and serialized by protobuf (what "building on onnx.pb.h" costs);
//   - identical: whether the two routes give the same bytes;
//   - check: ONNX's checker and strict shape inference on the bytes (what
//     every export runs, whichever route wrote them);
// then ONNX's version converter on our graphs: opset 13 up to 17 and 17
// down to 13, whether it succeeds and what it gives (the issue asked for each
// opset to come from one graph through the converter).
//
//   onnx_writer_vs_library [--models LIST] [--repetitions N]
// Prints a Markdown table; times are the best of N (default 3), in ms.
#include <onnx/checker.h>
#include <onnx/onnx_pb.h>
#include <onnx/version_converter/convert.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "data/normalize.h"
#include "deploy/export_run.h"
#include "deploy/onnx_library_check.h"
#include "models/registry.h"

namespace {

using namespace trainbench;
using deploy::OnnxModel;

constexpr int kClasses = 1000;

// The OnnxModel as ONNX's own message classes: every field our writer
// writes, set through the generated setters.
onnx::ModelProto to_model_proto(const OnnxModel& model) {
  onnx::ModelProto proto;
  proto.set_ir_version(model.ir_version);
  proto.set_producer_name(model.producer_name);
  proto.set_producer_version(model.producer_version);
  if (!model.doc_string.empty()) proto.set_doc_string(model.doc_string);
  onnx::GraphProto* graph = proto.mutable_graph();
  for (const deploy::OnnxNode& node : model.graph.nodes) {
    onnx::NodeProto* out = graph->add_node();
    for (const std::string& input : node.inputs) out->add_input(input);
    for (const std::string& output : node.outputs) out->add_output(output);
    out->set_name(node.name);
    out->set_op_type(node.op_type);
    for (const deploy::OnnxAttribute& attribute : node.attributes) {
      onnx::AttributeProto* a = out->add_attribute();
      a->set_name(attribute.name);
      switch (attribute.kind) {
        case deploy::OnnxAttribute::Kind::kInt:
          a->set_i(attribute.i);
          a->set_type(onnx::AttributeProto::INT);
          break;
        case deploy::OnnxAttribute::Kind::kInts:
          for (std::int64_t v : attribute.ints) a->add_ints(v);
          a->set_type(onnx::AttributeProto::INTS);
          break;
        case deploy::OnnxAttribute::Kind::kFloat:
          a->set_f(attribute.f);
          a->set_type(onnx::AttributeProto::FLOAT);
          break;
      }
    }
  }
  graph->set_name(model.graph.name);
  for (const deploy::OnnxTensor& tensor : model.graph.initializers) {
    onnx::TensorProto* out = graph->add_initializer();
    for (std::int64_t d : tensor.dims) out->add_dims(d);
    out->set_data_type(static_cast<int>(tensor.type));
    out->set_name(tensor.name);
    out->set_raw_data(tensor.raw);
  }
  auto add_value_info = [](onnx::ValueInfoProto* out, const deploy::OnnxValueInfo& info) {
    out->set_name(info.name);
    onnx::TypeProto_Tensor* tensor = out->mutable_type()->mutable_tensor_type();
    tensor->set_elem_type(static_cast<int>(info.type));
    onnx::TensorShapeProto* shape = tensor->mutable_shape();
    for (const deploy::OnnxDim& dim : info.dims) {
      onnx::TensorShapeProto_Dimension* d = shape->add_dim();
      if (dim.value >= 0) {
        d->set_dim_value(dim.value);
      } else {
        d->set_dim_param(dim.param);
      }
    }
  };
  for (const deploy::OnnxValueInfo& input : model.graph.inputs) add_value_info(graph->add_input(), input);
  for (const deploy::OnnxValueInfo& output : model.graph.outputs) add_value_info(graph->add_output(), output);
  onnx::OperatorSetIdProto* opset = proto.add_opset_import();
  opset->set_domain("");
  opset->set_version(model.opset);
  for (const auto& [key, value] : model.metadata) {
    onnx::StringStringEntryProto* entry = proto.add_metadata_props();
    entry->set_key(key);
    entry->set_value(value);
  }
  return proto;
}

// The best of `repetitions` runs of `work`, in milliseconds.
double best_ms(int repetitions, const std::function<void()>& work) {
  double best = 1e300;
  for (int i = 0; i < repetitions; ++i) {
    const auto start = std::chrono::steady_clock::now();
    work();
    best = std::min(best, std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  return best;
}

int count_nodes(const onnx::ModelProto& model, const std::string& op_type) {
  return static_cast<int>(std::count_if(model.graph().node().begin(), model.graph().node().end(),
                                        [&](const onnx::NodeProto& node) { return node.op_type() == op_type; }));
}

// What the version converter makes of `bytes` at `target`: its node count
// and LayerNormalization count, and whether the checker takes it; or why
// it refused.
std::string convert(const std::string& bytes, int target) {
  onnx::ModelProto model;
  model.ParseFromString(bytes);
  try {
    const onnx::ModelProto converted = onnx::version_conversion::ConvertVersion(model, target);
    onnx::checker::check_model(converted);
    return "ok: " + std::to_string(converted.graph().node_size()) + " nodes, " +
           std::to_string(count_nodes(converted, "LayerNormalization")) + " LayerNormalization, checker passes";
  } catch (const std::exception& error) {
    std::string what = error.what();
    std::replace(what.begin(), what.end(), '\n', ' ');
    std::replace(what.begin(), what.end(), '|', '/');
    return "refused: " + what.substr(0, 160);
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string model_list =
      "resnet50,efficientnet_b0,mobilenetv3_large_100,convnext_tiny,vit_small_patch16_224,vit_base_patch16_224";
  int repetitions = 3;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--models" && i + 1 < argc) {
      model_list = argv[++i];
    } else if (arg == "--repetitions" && i + 1 < argc) {
      repetitions = std::max(1, std::stoi(argv[++i]));
    } else {
      std::cerr << "usage: onnx_writer_vs_library [--models LIST] [--repetitions N]\n";
      return 2;
    }
  }
  torch::set_num_threads(1);
  std::cout << "| model | opset | nodes | MiB | lowering ms | ours ms | library ms | identical bytes | check ms |\n"
            << "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |\n";
  std::vector<std::string> conversions;
  std::vector<std::string> names;
  std::stringstream list(model_list);
  for (std::string name; std::getline(list, name, ',');) names.push_back(name);
  for (const std::string& name : names) {
    torch::manual_seed(0);
    std::shared_ptr<models::Classifier> model = models::create_model(name, kClasses);
    model->eval();
    const auto& catalog = models::model_catalog();
    const auto info = std::find_if(catalog.begin(), catalog.end(), [&](const models::ModelInfo& m) { return m.name == name; });
    const int size = info->native_image_size;
    const deploy::ModelInterface interface{size, data::kImageNetMean, data::kImageNetStd, kClasses};
    std::string by_opset[2];
    for (const int opset : {13, 17}) {
      deploy::OnnxExportOptions options;
      options.opset = opset;
      OnnxModel lowered;
      const double lowering = best_ms(repetitions, [&] { lowered = deploy::classifier_to_onnx(*model, interface, options); });
      std::string ours, library;
      const double ours_ms = best_ms(repetitions, [&] { ours = deploy::serialize_model(lowered); });
      const double library_ms = best_ms(repetitions, [&] { library = to_model_proto(lowered).SerializeAsString(); });
      const double check_ms = best_ms(repetitions, [&] { deploy::check_with_onnx_library(ours, kClasses); });
      char row[512];
      std::snprintf(row, sizeof row, "| %s | %d | %zu | %.1f | %.0f | %.0f | %.0f | %s | %.0f |\n", name.c_str(), opset,
                    lowered.graph.nodes.size(), ours.size() / 1048576.0, lowering, ours_ms, library_ms,
                    ours == library ? "yes" : "NO", check_ms);
      std::cout << row << std::flush;
      by_opset[opset == 17] = std::move(ours);
    }
    conversions.push_back("| " + name + " | 13 -> 17 | " + convert(by_opset[0], 17) + " |");
    conversions.push_back("| " + name + " | 17 -> 13 | " + convert(by_opset[1], 13) + " |");
  }
  std::cout << "\nONNX's version converter on our graphs:\n\n| model | conversion | result |\n| --- | --- | --- |\n";
  for (const std::string& line : conversions) std::cout << line << "\n";
  return 0;
}
