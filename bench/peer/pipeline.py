"""The workload notebook's input pipeline, the usual Python way (torch 1.13 /
torchvision 0.14), as the peer that trainbench's figures are compared with.

ResizePad follows tests/reference/image_reference.py `resize_pad` (the
checked reference for trainbench's own ResizePad); TrivialAugmentWide uses
the notebook's ranges (../shared/docs/WORKLOAD.md, "Preprocessing").
"""
import os

import numpy as np
import torch
import torchvision
from PIL import Image
from torchvision import transforms

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
AUGMENTS = ("trivial-wide", "none")


def available_cores():
    """CPU cores this process may run on."""
    return len(os.sched_getaffinity(0))


class ResizePad:
    """Scale the longest side to `size` (PIL bilinear), pad the short side to
    a square by repeating edge pixels, and return an exactly size x size RGB
    PIL image."""

    def __init__(self, size):
        self.size = int(size)

    def __call__(self, img):
        size = self.size
        if img.mode != "RGB":
            img = img.convert("RGB")
        w, h = img.size
        if w >= h:
            nw, nh = size, max(1, int(round(h * size / w)))
        else:
            nw, nh = max(1, int(round(w * size / h))), size
        scaled = np.asarray(img.resize((nw, nh), Image.BILINEAR))
        left, top = (size - nw) // 2, (size - nh) // 2
        padded = np.pad(scaled, ((top, size - nh - top), (left, size - nw - left), (0, 0)), mode="edge")
        out = Image.fromarray(padded)
        if out.size != (size, size):  # cannot happen with the padding above; the notebook's last step
            out = out.resize((size, size), Image.BILINEAR)
        return out

    def __repr__(self):
        return f"{self.__class__.__name__}(size={self.size})"


class TrivialAugmentWide(transforms.TrivialAugmentWide):
    """torchvision's TrivialAugmentWide with the notebook's magnitude ranges
    (31 bins by default; signed ops get a random sign)."""

    def _augmentation_space(self, num_bins):
        return {
            # op_name: (magnitudes, signed)
            "Identity": (torch.tensor(0.0), False),
            "ShearX": (torch.linspace(0.0, 0.25, num_bins), True),
            "ShearY": (torch.linspace(0.0, 0.25, num_bins), True),
            "TranslateX": (torch.linspace(0.0, 32.0, num_bins), True),
            "TranslateY": (torch.linspace(0.0, 32.0, num_bins), True),
            "Rotate": (torch.linspace(0.0, 45.0, num_bins), True),
            "Brightness": (torch.linspace(0.0, 0.75, num_bins), True),
            "Color": (torch.linspace(0.0, 0.99, num_bins), True),
            "Contrast": (torch.linspace(0.0, 0.99, num_bins), True),
            "Sharpness": (torch.linspace(0.0, 0.99, num_bins), True),
            "Posterize": (8 - (torch.arange(num_bins) / ((num_bins - 1) / 6)).round().int(), False),
            "Solarize": (torch.linspace(255.0, 0.0, num_bins), False),
            "AutoContrast": (torch.tensor(0.0), False),
            "Equalize": (torch.tensor(0.0), False),
        }


def make_transform(img_size, augment="trivial-wide"):
    """ResizePad -> [TrivialAugmentWide] -> ToTensor -> Normalize(ImageNet)."""
    if augment not in AUGMENTS:
        raise ValueError(f"augment must be one of {AUGMENTS}, not {augment!r}")
    steps = [ResizePad(img_size)]
    if augment == "trivial-wide":
        steps.append(TrivialAugmentWide())
    steps += [transforms.ToTensor(), transforms.Normalize(IMAGENET_MEAN, IMAGENET_STD)]
    return transforms.Compose(steps)


def make_dataset(data_dir, img_size, augment="trivial-wide"):
    return torchvision.datasets.ImageFolder(data_dir, transform=make_transform(img_size, augment))


def make_loader(data_dir, img_size, batch_size, workers, augment="trivial-wide", pin_memory=None):
    """ImageFolder + a shuffling DataLoader as the notebook builds it.
    pin_memory defaults to "a CUDA device is present" (False on CPU)."""
    if pin_memory is None:
        pin_memory = torch.cuda.is_available()
    return torch.utils.data.DataLoader(
        make_dataset(data_dir, img_size, augment),
        batch_size=batch_size,
        shuffle=True,
        num_workers=workers,
        persistent_workers=workers > 0,
        pin_memory=pin_memory,
        drop_last=False,
    )


def endless(loader):
    """Batches from `loader`, starting a new epoch whenever one ends."""
    while True:
        empty = True
        for batch in loader:
            empty = False
            yield batch
        if empty:
            raise RuntimeError("the data loader yielded no batches (empty data set?)")
