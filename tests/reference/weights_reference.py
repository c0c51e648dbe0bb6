"""torchvision's side of the weights round trip.

usage: weights_reference.py make ARCH NUM_CLASSES WEIGHTS.safetensors CHECK_FILE [PTH_FILE]
       weights_reference.py check ARCH NUM_CLASSES WEIGHTS.safetensors CHECK_FILE

make:  a torchvision ResNet with random weights and BatchNorm statistics
       (fixed seed) saved as safetensors (and, with PTH_FILE, as torch.save'd
       .pth too); CHECK_FILE gets an "input" batch and torchvision's "logits".
check: loads WEIGHTS into a torchvision ResNet with load_state_dict(strict=True)
       and exits 0 when its logits on CHECK_FILE's "input" match CHECK_FILE's
       "logits" within 1e-4 relative (1 and a message otherwise).
"""
import sys

import torch
import torchvision

import tensor_file


def build(arch, num_classes):
    return getattr(torchvision.models, arch)(num_classes=num_classes)


def make(arch, num_classes, weights_path, check_path, pth_path=None):
    torch.manual_seed(7)
    model = build(arch, num_classes)
    with torch.no_grad():
        for name, tensor in model.state_dict().items():
            if name.endswith("running_var"):
                tensor.uniform_(0.5, 1.5)
            elif name.endswith("num_batches_tracked"):
                tensor.fill_(3)
            elif tensor.is_floating_point():
                tensor.normal_(0, 0.05)
    model.eval()
    state = model.state_dict()
    tensor_file.write(weights_path, state)
    if pth_path:
        torch.save(state, pth_path)
    inputs = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        logits = model(inputs)
    tensor_file.write(check_path, {"input": inputs, "logits": logits})


def check(arch, num_classes, weights_path, check_path):
    model = build(arch, num_classes)
    model.load_state_dict(tensor_file.read(weights_path), strict=True)
    model.eval()
    expected = tensor_file.read(check_path)
    with torch.no_grad():
        logits = model(expected["input"])
    error = (logits - expected["logits"]).abs().max().item() / expected["logits"].abs().max().item()
    print(f"torchvision {arch}: max relative logit difference {error:.3g}")
    return 0 if error < 1e-4 else 1


if __name__ == "__main__":
    mode, arch, classes, weights, check_file = sys.argv[1:6]
    if mode == "make":
        make(arch, int(classes), weights, check_file, sys.argv[6] if len(sys.argv) > 6 else None)
        sys.exit(0)
    sys.exit(check(arch, int(classes), weights, check_file))
