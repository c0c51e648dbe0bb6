#include "models/resnet.h"

#include <torch/nn.h>

namespace trainbench::models {
namespace {

namespace nn = torch::nn;

nn::Conv2d conv(int in, int out, int kernel, int stride) {
  return nn::Conv2d(nn::Conv2dOptions(in, out, kernel).stride(stride).padding(kernel / 2).bias(false));
}

// The shortcut that matches a block's input to its output shape.
nn::Sequential make_downsample(int in, int out, int stride, bool avg_down) {
  nn::Sequential downsample;
  if (avg_down) {
    // timm's downsample_avg: pool first, then a stride-1 1x1 conv, so no
    // input pixel is skipped. Identity keeps the child indices stable.
    if (stride != 1) {
      downsample->push_back(nn::AvgPool2d(nn::AvgPool2dOptions(2).stride(stride).ceil_mode(true).count_include_pad(false)));
    } else {
      downsample->push_back(nn::Identity());
    }
    downsample->push_back(conv(in, out, 1, 1));
  } else {
    downsample->push_back(conv(in, out, 1, stride));
  }
  downsample->push_back(BatchNorm2d(out));
  return downsample;
}

class BasicBlockImpl : public nn::Module {
 public:
  static constexpr int kExpansion = 1;
  BasicBlockImpl(int in, int planes, int stride, nn::Sequential downsample)
      : conv1(register_module("conv1", conv(in, planes, 3, stride))),
        bn1(register_module("bn1", BatchNorm2d(planes))),
        conv2(register_module("conv2", conv(planes, planes, 3, 1))),
        bn2(register_module("bn2", BatchNorm2d(planes))),
        downsample(downsample) {
    if (downsample) register_module("downsample", downsample);
  }
  torch::Tensor forward(const torch::Tensor& x) {
    torch::Tensor out = torch::relu(bn1(conv1(x)));
    out = bn2(conv2(out));
    out += downsample ? downsample->forward(x) : x;
    return torch::relu(out);
  }
  BatchNorm2d last_norm() { return bn2; }

  nn::Conv2d conv1;
  BatchNorm2d bn1;
  nn::Conv2d conv2;
  BatchNorm2d bn2;
  nn::Sequential downsample;
};
TORCH_MODULE(BasicBlock);

class BottleneckImpl : public nn::Module {
 public:
  static constexpr int kExpansion = 4;
  BottleneckImpl(int in, int planes, int stride, nn::Sequential downsample)
      : conv1(register_module("conv1", conv(in, planes, 1, 1))),
        bn1(register_module("bn1", BatchNorm2d(planes))),
        // Stride on the 3x3 conv (ResNet v1.5), as torchvision and timm do.
        conv2(register_module("conv2", conv(planes, planes, 3, stride))),
        bn2(register_module("bn2", BatchNorm2d(planes))),
        conv3(register_module("conv3", conv(planes, planes * kExpansion, 1, 1))),
        bn3(register_module("bn3", BatchNorm2d(planes * kExpansion))),
        downsample(downsample) {
    if (downsample) register_module("downsample", downsample);
  }
  torch::Tensor forward(const torch::Tensor& x) {
    torch::Tensor out = torch::relu(bn1(conv1(x)));
    out = torch::relu(bn2(conv2(out)));
    out = bn3(conv3(out));
    out += downsample ? downsample->forward(x) : x;
    return torch::relu(out);
  }
  BatchNorm2d last_norm() { return bn3; }

  nn::Conv2d conv1;
  BatchNorm2d bn1;
  nn::Conv2d conv2;
  BatchNorm2d bn2;
  nn::Conv2d conv3;
  BatchNorm2d bn3;
  nn::Sequential downsample;
};
TORCH_MODULE(Bottleneck);

// One stage of blocks; returns the stage and updates *in to its output width.
template <typename Block>
nn::Sequential make_stage(int* in, int planes, int blocks, int stride, bool avg_down) {
  nn::Sequential stage;
  const int out = planes * Block::Impl::kExpansion;
  for (int i = 0; i < blocks; ++i) {
    const int block_stride = i == 0 ? stride : 1;
    nn::Sequential downsample{nullptr};
    if (i == 0 && (stride != 1 || *in != out)) downsample = make_downsample(*in, out, stride, avg_down);
    stage->push_back(Block(*in, planes, block_stride, downsample));
    *in = out;
  }
  return stage;
}

}  // namespace

ResNet::ResNet(const ResNetConfig& config, int num_classes) : config_(config), num_classes_(num_classes) {
  constexpr int kStemOut = 64;
  if (config.deep_stem) {
    constexpr int kStemWidth = 32;  // timm's stem_width for the -d models
    deep_stem_ = nn::Sequential(conv(3, kStemWidth, 3, 2), BatchNorm2d(kStemWidth), nn::ReLU(),
                                conv(kStemWidth, kStemWidth, 3, 1), BatchNorm2d(kStemWidth), nn::ReLU(),
                                conv(kStemWidth, kStemOut, 3, 1));
    register_module("conv1", deep_stem_);
  } else {
    conv1_ = register_module("conv1", nn::Conv2d(nn::Conv2dOptions(3, kStemOut, 7).stride(2).padding(3).bias(false)));
  }
  bn1_ = register_module("bn1", BatchNorm2d(kStemOut));

  int width = kStemOut;
  const auto& blocks = config.blocks_per_stage;
  const std::array<int, 4> planes = {64, 128, 256, 512};
  for (int i = 0; i < 4; ++i) {
    const int stride = i == 0 ? 1 : 2;
    stages_[i] = config.block == BlockKind::kBasic
                     ? make_stage<BasicBlock>(&width, planes[i], blocks[i], stride, config.avg_down)
                     : make_stage<Bottleneck>(&width, planes[i], blocks[i], stride, config.avg_down);
    register_module("layer" + std::to_string(i + 1), stages_[i]);
  }
  fc_ = register_module("fc", nn::Linear(width, num_classes));
  initialize_weights();
}

void ResNet::initialize_weights() {
  // timm's ResNet.init_weights: Kaiming-normal (fan_out) convs, unit BN, and
  // the last BN of every residual block zeroed so each block starts as an
  // identity (zero_init_last). The Linear head keeps PyTorch's default init.
  torch::NoGradGuard no_grad;
  for (auto& module : modules(/*include_self=*/false)) {
    if (auto* c = module->as<nn::Conv2d>()) {
      nn::init::kaiming_normal_(c->weight, 0.0, torch::kFanOut, torch::kReLU);
    } else if (auto* bn = module->as<BatchNorm2d>()) {
      nn::init::ones_(bn->weight);
      nn::init::zeros_(bn->bias);
    }
  }
  for (nn::Sequential& stage : stages_) {
    for (auto& block : stage->children()) {
      if (auto basic = std::dynamic_pointer_cast<BasicBlockImpl>(block)) nn::init::zeros_(basic->last_norm()->weight);
      if (auto bottle = std::dynamic_pointer_cast<BottleneckImpl>(block)) nn::init::zeros_(bottle->last_norm()->weight);
    }
  }
}

torch::Tensor ResNet::forward(torch::Tensor images) {
  torch::Tensor x = config_.deep_stem ? deep_stem_->forward(images) : conv1_(images);
  x = torch::relu(bn1_(x));
  x = torch::max_pool2d(x, 3, 2, 1);
  for (nn::Sequential& stage : stages_) x = stage->forward(x);
  x = torch::adaptive_avg_pool2d(x, {1, 1}).flatten(1);
  return fc_(x);
}

}  // namespace trainbench::models
