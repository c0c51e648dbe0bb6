#pragma once
// What the trainer needs of any image classifier: a module mapping a float
// NCHW batch to logits, with a name and parameter names that follow timm so
// weights can move between trainbench and PyTorch.
#include <torch/nn/module.h>

#include <memory>
#include <string>

namespace trainbench::models {

class Classifier : public torch::nn::Module {
 public:
  virtual torch::Tensor forward(torch::Tensor images) = 0;
  virtual const std::string& architecture() const = 0;
  virtual int num_classes() const = 0;
  // The module whose shape depends on num_classes ("fc" for ResNets): the
  // part pretrained weights for another class count cannot fill.
  virtual std::string head_name() const = 0;
};

}  // namespace trainbench::models
