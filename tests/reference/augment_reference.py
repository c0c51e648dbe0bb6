"""torchvision's TrivialAugmentWide, op by op, for the batched C++ version's
tests, with the workload notebook's magnitude ranges.

usage: augment_reference.py IN.tensors OUT.tensors
IN holds "bins" (int64 [1]), "maxima" (float64 [7]: shear, translate,
rotate, brightness, color, contrast, sharpness) and any number of case sets:
"images_<set>" (uint8 [k, h, w, 3], NHWC) with "draws_<set>_<op>" (int64
[m, 4]: image index, op index, magnitude bin, negative).
OUT gets "expected_<set>_<op>" (uint8 [m, h, w, 3]): each draw applied to its
image exactly as TrivialAugmentWide.forward does for a uint8 CHW tensor
(magnitude from the op's table, negated for signed ops, then _apply_op with
NEAREST interpolation and fill=None), and "magnitudes" (float64
[14, bins, 2]: the magnitude forward() passes to _apply_op for each op, bin
and sign, sign index 1 = negative).
"""
import sys

import torch
import torchvision
from torchvision.transforms import InterpolationMode
from torchvision.transforms.autoaugment import TrivialAugmentWide, _apply_op

import tensor_file

OP_NAMES = ["Identity", "ShearX", "ShearY", "TranslateX", "TranslateY", "Rotate", "Brightness", "Color",
            "Contrast", "Sharpness", "Posterize", "Solarize", "AutoContrast", "Equalize"]


def workload_space(bins, maxima):
    """torchvision's own table with the notebook's maxima substituted for the
    signed ops (posterize, solarize and the rest are torchvision's as is)."""
    augment = TrivialAugmentWide(num_magnitude_bins=bins)
    try:
        space = augment._augmentation_space(bins)
    except TypeError:  # newer torchvision versions also take the image size
        space = augment._augmentation_space(bins, (32, 32))
    assert list(space.keys()) == OP_NAMES, list(space.keys())
    shear, translate, rotate, brightness, color, contrast, sharpness = maxima
    for name, top in (("ShearX", shear), ("ShearY", shear), ("TranslateX", translate), ("TranslateY", translate),
                      ("Rotate", rotate), ("Brightness", brightness), ("Color", color), ("Contrast", contrast),
                      ("Sharpness", sharpness)):
        magnitudes, signed = space[name]
        assert signed and magnitudes.shape == (bins,), name
        space[name] = (torch.linspace(0.0, top, bins), signed)
    return space


def magnitude(space, op, bin_, negative):
    """forward()'s magnitude for a given draw."""
    magnitudes, signed = space[OP_NAMES[op]]
    value = float(magnitudes[bin_].item()) if magnitudes.ndim > 0 else 0.0
    if signed and negative:
        value *= -1.0
    return value


def main():
    inputs = tensor_file.read(sys.argv[1])
    bins = int(inputs["bins"][0])
    space = workload_space(bins, inputs["maxima"].tolist())
    out = {}
    table = torch.zeros(len(OP_NAMES), bins, 2, dtype=torch.float64)
    for op in range(len(OP_NAMES)):
        for b in range(bins):
            for negative in (0, 1):
                table[op, b, negative] = magnitude(space, op, b, negative)
    out["magnitudes"] = table
    for key, draws in inputs.items():
        if not key.startswith("draws_"):
            continue
        images = inputs["images_" + key[len("draws_"):].rsplit("_", 1)[0]]
        results = []
        for image_index, op, bin_, negative in draws.tolist():
            chw = images[image_index].permute(2, 0, 1).contiguous()
            value = magnitude(space, op, bin_, negative)
            result = _apply_op(chw, OP_NAMES[op], value, interpolation=InterpolationMode.NEAREST, fill=None)
            results.append(result.permute(1, 2, 0))
        out["expected_" + key[len("draws_"):]] = torch.stack(results)
    tensor_file.write(sys.argv[2], out, metadata={"torchvision": torchvision.__version__, "torch": torch.__version__})


if __name__ == "__main__":
    main()
