"""Image files of every kind our decoder must handle, and what PIL makes of
them, for the codec and ResizePad tests.

usage: image_reference.py OUT_DIR
Writes OUT_DIR/<name>.{jpg,png} and OUT_DIR/expected.tensors holding, per
file, PIL's Image.open(f).convert("RGB") as uint8 HWC ("<name>"), and for
"pattern.png" the workload's ResizePad to 64 and to 50 ("resize_pad_64",
"resize_pad_50"): scale the longer side (PIL bilinear), pad edges to a square.
"""
import sys

import numpy as np
import torch
from PIL import Image

import tensor_file


def pattern(w, h):
    y, x = np.mgrid[0:h, 0:w]
    r = (x * 255 // (w - 1)).astype(np.uint8)
    g = (y * 255 // (h - 1)).astype(np.uint8)
    b = (((x // 7 + y // 5) % 2) * 200 + 20).astype(np.uint8)
    return np.stack([r, g, b], axis=-1)


def resize_pad(img, size):
    w, h = img.size
    if w >= h:
        nw, nh = size, max(1, int(round(h * size / w)))
    else:
        nw, nh = max(1, int(round(w * size / h))), size
    scaled = np.asarray(img.resize((nw, nh), Image.BILINEAR))
    left, top = (size - nw) // 2, (size - nh) // 2
    return np.pad(scaled, ((top, size - nh - top), (left, size - nw - left), (0, 0)), mode="edge")


def main():
    out = sys.argv[1]
    rgb = Image.fromarray(pattern(97, 61))
    files = {
        "rgb.jpg": (rgb, {"quality": 90}),
        "gray.jpg": (rgb.convert("L"), {"quality": 90}),
        "cmyk.jpg": (rgb.convert("CMYK"), {"quality": 90}),
        "pattern.png": (rgb, {}),
        "gray.png": (rgb.convert("L"), {}),
        "gray_alpha.png": (rgb.convert("LA"), {}),
        "rgba.png": (rgb.convert("RGBA"), {}),
        "palette.png": (rgb.convert("P", palette=Image.ADAPTIVE, colors=16), {}),
        "bilevel.png": (rgb.convert("1"), {}),
    }
    expected = {}
    for name, (img, options) in files.items():
        path = f"{out}/{name}"
        img.save(path, **options)
        expected[name.replace(".", "_")] = torch.from_numpy(np.asarray(Image.open(path).convert("RGB")).copy())
    # 16-bit grayscale: PIL reads it as mode "I;16"; convert("RGB") keeps the high byte.
    sixteen = (pattern(97, 61)[..., 0].astype(np.uint16) * 257).astype(np.uint16)
    Image.fromarray(sixteen, mode="I;16").save(f"{out}/gray16.png")
    expected["gray16_png"] = torch.from_numpy(np.repeat((sixteen >> 8).astype(np.uint8)[..., None], 3, axis=-1).copy())
    for size in (64, 50):
        expected[f"resize_pad_{size}"] = torch.from_numpy(resize_pad(rgb, size).copy())
    tall = Image.fromarray(pattern(40, 150))
    tall.save(f"{out}/tall.png")
    expected["resize_pad_tall_64"] = torch.from_numpy(resize_pad(tall, 64).copy())
    tensor_file.write(f"{out}/expected.tensors", expected)


if __name__ == "__main__":
    main()
