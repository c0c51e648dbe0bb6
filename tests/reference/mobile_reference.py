"""Reference tensors for the EfficientNet and MobileNetV3 parity tests.

usage: mobile_reference.py ARCH OUT_FILE [IMAGE_SIZE]

ARCH is efficientnet_b0 or mobilenetv3_large_100; torchvision 0.14 builds the
same network (efficientnet_b0, mobilenet_v3_large) with a 19-way head, its
dropout and stochastic depth off (p = 0), every parameter and batch-norm
statistic drawn at random from a fixed seed (small and well-conditioned:
convolutions at std 1/sqrt(fan_in), batch-norm weights near 1, positive
running variances), and its state_dict renamed to timm's keys. The file
holds those tensors, "input" (2 images), "labels", "logits" (eval),
"logits_train" (train mode), "after.<bn>.running_mean"/"running_var" (the
statistics after that train-mode forward) and "grad.<timm name>": the
gradient of the mean cross-entropy of the train-mode logits, every parameter.
"""
import sys

import torch
import torchvision
from torchvision.ops import SqueezeExcitation, StochasticDepth

import tensor_file

CLASSES = 19


def block_names(block):
    """timm's names for the children of torchvision's MBConv / InvertedResidual
    `block` Sequential: conv-norm-act layers in order, squeeze-excite as "se"."""
    layers = list(block.children())
    convs = ["conv_pw", "conv_dw", "conv_pwl"] if sum(not isinstance(m, SqueezeExcitation) for m in layers) == 3 \
        else ["conv_dw", "conv_pw"]
    names, n = {}, 0
    for i, layer in enumerate(layers):
        if isinstance(layer, SqueezeExcitation):
            names[f"{i}.fc1"] = "se.conv_reduce"
            names[f"{i}.fc2"] = "se.conv_expand"
        else:
            names[f"{i}.0"] = convs[n]
            names[f"{i}.1"] = f"bn{n + 1}"
            n += 1
    return names


def timm_names(arch, model):
    """torchvision module prefix -> timm module prefix."""
    names = {"features.0.0": "conv_stem", "features.0.1": "bn1"}
    last = len(model.features) - 1
    if arch == "efficientnet_b0":
        # features.1-7 are timm's stages 0-6, features.8 the head conv.
        for s in range(1, last):
            for b, mbconv in enumerate(model.features[s]):
                for tv, timm in block_names(mbconv.block).items():
                    names[f"features.{s}.{b}.block.{tv}"] = f"blocks.{s - 1}.{b}.{timm}"
        names[f"features.{last}.0"] = "conv_head"
        names[f"features.{last}.1"] = "bn2"
        names["classifier.1"] = "classifier"
    else:
        # features.1-15 are flat: timm groups them in stages of 1, 2, 3, 4, 2, 3
        # blocks; features.16, the last conv-bn-act, is timm's stage 6.
        positions = [(s, b) for s, count in enumerate([1, 2, 3, 4, 2, 3]) for b in range(count)]
        for i, (s, b) in enumerate(positions, start=1):
            for tv, timm in block_names(model.features[i].block).items():
                names[f"features.{i}.block.{tv}"] = f"blocks.{s}.{b}.{timm}"
        names[f"features.{last}.0"] = "blocks.6.0.conv"
        names[f"features.{last}.1"] = "blocks.6.0.bn1"
        names["classifier.0"] = "conv_head"  # a Linear on the pooled features; timm's is a 1x1 conv
        names["classifier.3"] = "classifier"
    return names


def timm_name(names, key):
    prefix, leaf = key.rsplit(".", 1)
    if prefix not in names:
        raise SystemExit(f"no timm name for {key}")
    return names[prefix] + "." + leaf


def randomize(model):
    torch.manual_seed(0)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.weight.copy_(1 + 0.1 * torch.randn_like(module.weight))
                module.bias.copy_(0.1 * torch.randn_like(module.bias))
                module.running_mean.copy_(0.1 * torch.randn_like(module.running_mean))
                module.running_var.copy_(0.5 + torch.rand_like(module.running_var))
                module.num_batches_tracked.fill_(7)
            elif isinstance(module, (torch.nn.Conv2d, torch.nn.Linear)):
                fan_in = module.weight[0].numel()
                module.weight.copy_(torch.randn_like(module.weight) / fan_in ** 0.5)
                if module.bias is not None:
                    module.bias.copy_(0.1 * torch.randn_like(module.bias))
            elif isinstance(module, (torch.nn.Dropout, StochasticDepth)):
                module.p = 0.0


def main():
    arch, out = sys.argv[1], sys.argv[2]
    image_size = int(sys.argv[3]) if len(sys.argv) > 3 else 64
    if arch == "efficientnet_b0":
        model = torchvision.models.efficientnet_b0(num_classes=CLASSES)
    elif arch == "mobilenetv3_large_100":
        model = torchvision.models.mobilenet_v3_large(num_classes=CLASSES)
    else:
        raise SystemExit(f"unknown arch {arch}")
    randomize(model)
    names = timm_names(arch, model)
    tensors = {}
    for key, value in model.state_dict().items():
        name = timm_name(names, key)
        if name.startswith("conv_head.weight") and value.dim() == 2:
            value = value[:, :, None, None]
        tensors[name] = value.detach().clone()

    torch.manual_seed(1)
    x = torch.randn(2, 3, image_size, image_size)
    labels = torch.tensor([3, 11])
    model.eval()
    with torch.no_grad():
        tensors["logits"] = model(x)
    model.train()
    logits = model(x)
    tensors["logits_train"] = logits.detach().clone()
    for key, value in model.state_dict().items():
        if key.endswith("running_mean") or key.endswith("running_var"):
            tensors["after." + timm_name(names, key)] = value.detach().clone()
    torch.nn.functional.cross_entropy(logits, labels).backward()
    for key, p in model.named_parameters():
        name = timm_name(names, key)
        grad = p.grad.detach().clone()
        tensors["grad." + name] = grad[:, :, None, None] if grad.dim() == 2 and name.startswith("conv_head") else grad
    tensors["input"] = x
    tensors["labels"] = labels
    tensor_file.write(out, tensors)


if __name__ == "__main__":
    main()
