#pragma once
// The checks the EfficientNet and MobileNetV3 tests share: parity with
// torchvision (tests/reference/mobile_reference.py) and a channels-last
// forward pass (the bf16 step is test_support's, shared with the others).
#include <string>

#include "models/classifier.h"

namespace trainbench::testing {

// Runs mobile_reference.py for `arch` (torchvision's model, dropout and
// stochastic depth off), loads its weights and statistics into `model`
// (built with the matching options and a 19-way head), and expects the
// same eval logits, train-mode logits, batch-norm running statistics after
// that step, and cross-entropy gradients of every parameter, each within
// 1e-4 of the largest expected value.
void expect_matches_torchvision(const std::string& arch, models::Classifier& model);

// In eval mode, the model converted to channels-last gives the logits it
// gave on a contiguous input (within 1e-4), on a channels-last input.
void expect_channels_last_forward_matches(models::Classifier& model);

}  // namespace trainbench::testing
