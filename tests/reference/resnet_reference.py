"""Reference logits for the ResNet parity test.

usage: resnet_reference.py ARCH OUT_FILE

torchvision builds resnet18/34/50. timm (not packaged by Debian) builds the
-d variants; resnet_d() below is a faithful transcription of timm's
ResNet(stem_type='deep', stem_width=32, avg_down=True) layout and naming, so
the test also pins our deep stem and average-pool shortcuts.
Weights, BN statistics and the input are random with a fixed seed; the file
holds every state_dict entry plus "input" and "logits".
"""
import sys

import torch
import torch.nn as nn
import torchvision

import tensor_file


class BasicBlockD(nn.Module):
    expansion = 1

    def __init__(self, inplanes, planes, stride, downsample):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.act1 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.act2 = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        shortcut = x if self.downsample is None else self.downsample(x)
        x = self.act1(self.bn1(self.conv1(x)))
        x = self.bn2(self.conv2(x))
        return self.act2(x + shortcut)


class BottleneckD(nn.Module):
    expansion = 4

    def __init__(self, inplanes, planes, stride, downsample):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        shortcut = x if self.downsample is None else self.downsample(x)
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.relu(self.bn2(self.conv2(x)))
        x = self.bn3(self.conv3(x))
        return self.relu(x + shortcut)


def downsample_avg(inplanes, outplanes, stride):
    # timm.models.resnet.downsample_avg with dilation 1
    pool = nn.Identity() if stride == 1 else nn.AvgPool2d(2, stride, ceil_mode=True, count_include_pad=False)
    return nn.Sequential(pool, nn.Conv2d(inplanes, outplanes, 1, 1, 0, bias=False), nn.BatchNorm2d(outplanes))


class ResNetD(nn.Module):
    def __init__(self, block, layers, num_classes):
        super().__init__()
        self.conv1 = nn.Sequential(
            nn.Conv2d(3, 32, 3, 2, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU(inplace=True),
            nn.Conv2d(32, 32, 3, 1, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU(inplace=True),
            nn.Conv2d(32, 64, 3, 1, 1, bias=False))
        self.bn1 = nn.BatchNorm2d(64)
        self.act1 = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        inplanes = 64
        for i, (planes, count) in enumerate(zip((64, 128, 256, 512), layers)):
            stride = 1 if i == 0 else 2
            blocks = []
            for b in range(count):
                ds = None
                if b == 0 and (stride != 1 or inplanes != planes * block.expansion):
                    ds = downsample_avg(inplanes, planes * block.expansion, stride)
                blocks.append(block(inplanes, planes, stride if b == 0 else 1, ds))
                inplanes = planes * block.expansion
            setattr(self, f"layer{i + 1}", nn.Sequential(*blocks))
        self.global_pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(inplanes, num_classes)

    def forward(self, x):
        x = self.maxpool(self.act1(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(self.global_pool(x).flatten(1))


def build(arch, num_classes):
    if arch in ("resnet18", "resnet34", "resnet50"):
        return getattr(torchvision.models, arch)(num_classes=num_classes)
    layers = {"resnet18d": (2, 2, 2, 2), "resnet34d": (3, 4, 6, 3), "resnet50d": (3, 4, 6, 3)}[arch]
    block = BottleneckD if arch == "resnet50d" else BasicBlockD
    return ResNetD(block, layers, num_classes)


def main():
    arch, out = sys.argv[1], sys.argv[2]
    torch.manual_seed(0)
    model = build(arch, num_classes=19)
    with torch.no_grad():
        for name, tensor in model.state_dict().items():
            if name.endswith("running_var"):
                tensor.uniform_(0.5, 1.5)
            elif name.endswith("running_mean") or name.endswith(".bias"):
                tensor.normal_(0.0, 0.1)
            elif name.endswith("num_batches_tracked"):
                tensor.fill_(7)
            elif tensor.dim() == 1:  # BN weight
                tensor.uniform_(0.5, 1.5)
            else:  # conv and fc weights, scaled to keep activations O(1)
                fan_in = tensor[0].numel()
                tensor.normal_(0.0, (2.0 / fan_in) ** 0.5)
    model.eval()
    x = torch.randn(2, 3, 64, 80)
    with torch.no_grad():
        logits = model(x)
    tensors = dict(model.state_dict())
    tensors["input"] = x
    tensors["logits"] = logits
    tensor_file.write(out, tensors)


if __name__ == "__main__":
    main()
