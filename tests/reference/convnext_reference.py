"""Reference logits and gradients for the ConvNeXt parity test.

usage: convnext_reference.py OUT_FILE [IMAGE_SIZE]

torchvision 0.14's convnext_tiny (depths 3, 3, 9, 3; widths 96, 192, 384,
768) with a 19-way head and stochastic depth off (stochastic_depth_prob=0,
so train mode computes what eval does), every tensor drawn at random from a
fixed seed (layer scale near 0.1, not torchvision's 1e-6, so the blocks
count; LayerNorm weights near 1), its state_dict renamed to timm's keys
(layer_scale [C, 1, 1] becomes gamma [C]). The file holds those tensors plus
"input" (2 images, 64 px by default), "labels", "logits" (eval),
"logits_train" and "grad.<timm name>": the gradient of the mean
cross-entropy of the train-mode logits, for the first and last blocks'
parameters and every parameter outside the blocks.
"""
import re
import sys

import torch
from torchvision.models import convnext_tiny

import parity
import tensor_file

CLASSES = 19
DEPTHS = (3, 3, 9, 3)

BLOCK_PARTS = {"0": "conv_dw", "2": "norm", "3": "mlp.fc1", "5": "mlp.fc2"}


def timm_name(name):
    if m := re.fullmatch(r"features\.0\.([01])\.(weight|bias)", name):
        return f"stem.{m[1]}.{m[2]}"
    if m := re.fullmatch(r"features\.([1357])\.(\d+)\.block\.(\d)\.(weight|bias)", name):
        return f"stages.{(int(m[1]) - 1) // 2}.blocks.{m[2]}.{BLOCK_PARTS[m[3]]}.{m[4]}"
    if m := re.fullmatch(r"features\.([1357])\.(\d+)\.layer_scale", name):
        return f"stages.{(int(m[1]) - 1) // 2}.blocks.{m[2]}.gamma"
    if m := re.fullmatch(r"features\.([246])\.([01])\.(weight|bias)", name):
        return f"stages.{int(m[1]) // 2}.downsample.{m[2]}.{m[3]}"
    if m := re.fullmatch(r"classifier\.0\.(weight|bias)", name):
        return f"head.norm.{m[1]}"
    if m := re.fullmatch(r"classifier\.2\.(weight|bias)", name):
        return f"head.fc.{m[1]}"
    raise SystemExit(f"no timm name for {name}")


def timm_tensor(name, tensor):
    # torchvision's layer_scale is [C, 1, 1]; timm's gamma is [C].
    return tensor.reshape(-1) if name.endswith("layer_scale") else tensor


def is_layer_norm_weight(name):
    return (name == "features.0.1.weight" or re.fullmatch(r"features\.[246]\.0\.weight", name)
            or re.fullmatch(r"features\.\d\.\d+\.block\.2\.weight", name) or name == "classifier.0.weight")


def main():
    out = sys.argv[1]
    image_size = int(sys.argv[2]) if len(sys.argv) > 2 else 64
    torch.manual_seed(0)
    model = convnext_tiny(num_classes=CLASSES, stochastic_depth_prob=0.0)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("layer_scale"):
                p.copy_(0.1 + 0.05 * torch.randn_like(p))
            elif is_layer_norm_weight(name):
                p.copy_(1 + 0.1 * torch.randn_like(p))
            else:
                p.copy_(0.05 * torch.randn_like(p))
    x = torch.randn(2, 3, image_size, image_size)
    labels = torch.tensor([3, 11])
    tensors = {timm_name(k): timm_tensor(k, v).detach().clone() for k, v in model.state_dict().items()}
    tensors["logits"], tensors["logits_train"] = parity.logits_and_gradients(model, x, labels)
    # Gradients of the first and last blocks and of everything outside the
    # blocks (stem, downsampling layers, head): every kind of tensor.
    last = f"stages.3.blocks.{DEPTHS[3] - 1}."
    for name, p in model.named_parameters():
        timm = timm_name(name)
        if ".blocks." not in timm or timm.startswith("stages.0.blocks.0.") or timm.startswith(last):
            tensors["grad." + timm] = timm_tensor(name, p.grad).detach().clone()
    tensors["input"] = x
    tensors["labels"] = labels
    tensor_file.write(out, tensors)


if __name__ == "__main__":
    main()
