"""Reference FLOP counts for the FLOP counter test.

usage: flops_reference.py OUT_JSON NUM_CLASSES ARCH@SIZE [ARCH@SIZE ...]

Counts what fvcore and torch.utils.flop_counter count, independently of the
C++ counter (which walks the autograd graph): forward hooks on every Conv2d
and Linear read the real output shape of one 1-image forward pass and add
2 * multiply-adds (a multiply-add is 2 FLOPs). Batch norm, activations,
pooling, additions and biases are not counted. The models come from
resnet_reference.build: torchvision for resnet18/34/50, the transcription of
timm's layout for the -d variants.
Writes {"ARCH@SIZE": {"forward_flops", "convolution_flops", "matmul_flops",
"layers"}} as JSON.
"""
import json
import sys

import torch
import torch.nn as nn

import resnet_reference


def count(model, image_size):
    totals = {"forward_flops": 0.0, "convolution_flops": 0.0, "matmul_flops": 0.0, "layers": 0}

    def conv_hook(module, inputs, output):
        kh, kw = module.kernel_size
        macs = output.numel() * (module.in_channels // module.groups) * kh * kw
        totals["convolution_flops"] += 2.0 * macs
        totals["layers"] += 1

    def linear_hook(module, inputs, output):
        macs = output.numel() * module.in_features
        totals["matmul_flops"] += 2.0 * macs
        totals["layers"] += 1

    handles = []
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            handles.append(module.register_forward_hook(conv_hook))
        elif isinstance(module, nn.Linear):
            handles.append(module.register_forward_hook(linear_hook))
    model.eval()
    with torch.no_grad():
        model(torch.randn(1, 3, image_size, image_size))
    for handle in handles:
        handle.remove()
    totals["forward_flops"] = totals["convolution_flops"] + totals["matmul_flops"]
    return totals


def main():
    out, num_classes, specs = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    torch.manual_seed(0)
    results = {}
    for spec in specs:
        arch, size = spec.split("@")
        results[spec] = count(resnet_reference.build(arch, num_classes), int(size))
    with open(out, "w") as f:
        json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
