#!/usr/bin/python3
"""`trainbench bench --profile`'s tests, the usual Python way: each family's
torchvision model trained (forward, cross-entropy, backward, AdamW step) and
run for inference (eval mode, no gradients) on one random batch, timed as
`bench` times them.

usage: profile_bench.py [--models resnet50,efficientnet_b0,...] [--img-size 224] [--batch-size 32]
                        [--warmup-steps 3] [--steps 5] [--repetitions 2] [--threads N]
                        [--channels-last] [--classes 19] [--seed 1234] [--json]

Models take trainbench's (timm's) names and are built from torchvision 0.14:
resnet50, efficientnet_b0, mobilenetv3_large_100 (mobilenet_v3_large),
convnext_tiny, vit_small_patch16_224 and vit_base_patch16_224
(VisionTransformer at those sizes, built for --img-size). The random batch
and the model are made once per test; the first warm-up step is timed alone
as the cold step; a window's rate is its images over its wall time, and the
test's figure the mean (and sample standard deviation) over --repetitions
windows, as in `bench`. fp32 only. AdamW: lr 1e-3, eps 1e-5, weight decay
0.01, as trainbench's.
"""
import argparse
import json
import os
import statistics
import sys
import time

import torch
import torchvision
from torchvision.models.vision_transformer import VisionTransformer

VIT_SIZES = {  # hidden, heads, MLP
    "vit_small_patch16_224": (384, 6, 1536),
    "vit_base_patch16_224": (768, 12, 3072),
}
TORCHVISION_NAMES = {
    "resnet50": "resnet50",
    "efficientnet_b0": "efficientnet_b0",
    "mobilenetv3_large_100": "mobilenet_v3_large",
    "convnext_tiny": "convnext_tiny",
}
DEFAULT_MODELS = "resnet50,efficientnet_b0,mobilenetv3_large_100,convnext_tiny,vit_small_patch16_224"


def build_model(name, image_size, classes):
    if name in VIT_SIZES:
        hidden, heads, mlp = VIT_SIZES[name]
        return VisionTransformer(image_size=image_size, patch_size=16, num_layers=12, num_heads=heads,
                                 hidden_dim=hidden, mlp_dim=mlp, num_classes=classes)
    if name not in TORCHVISION_NAMES:
        raise SystemExit(f"profile_bench: unknown model '{name}'; known: {', '.join([*TORCHVISION_NAMES, *VIT_SIZES])}")
    return getattr(torchvision.models, TORCHVISION_NAMES[name])(weights=None, num_classes=classes)


def measure(name, mode, args):
    torch.manual_seed(args.seed)
    memory_format = torch.channels_last if args.channels_last else torch.contiguous_format
    model = build_model(name, args.img_size, args.classes).to(memory_format=memory_format)
    images = torch.randn(args.batch_size, 3, args.img_size, args.img_size).to(memory_format=memory_format)
    labels = torch.randint(0, args.classes, (args.batch_size,))
    if mode == "train":
        model.train()
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, eps=1e-5, weight_decay=0.01)

        def step():
            loss = torch.nn.functional.cross_entropy(model(images), labels)
            optimizer.zero_grad(set_to_none=False)
            loss.backward()
            optimizer.step()
            return loss.item()
    else:
        model.eval()

        def step():
            with torch.no_grad():
                return model(images).sum().item()

    start = time.perf_counter()
    step()
    cold = time.perf_counter() - start
    for _ in range(args.warmup_steps - 1):
        step()
    rates = []
    for _ in range(args.repetitions):
        start = time.perf_counter()
        for _ in range(args.steps):
            step()
        rates.append(args.batch_size * args.steps / (time.perf_counter() - start))
    return {
        "model": name, "mode": mode, "image_size": args.img_size, "batch_size": args.batch_size,
        "channels_last": args.channels_last, "threads": torch.get_num_threads(),
        "images_per_sec": statistics.mean(rates),
        "images_per_sec_std": statistics.stdev(rates) if len(rates) > 1 else 0.0,
        "images_per_sec_samples": rates, "cold_step_seconds": cold,
        "torch": torch.__version__, "torchvision": torchvision.__version__,
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", ""),
    }


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--models", default=DEFAULT_MODELS, help="comma-separated, trainbench's names")
    p.add_argument("--modes", default="train,infer", help="train, infer or both (comma-separated)")
    p.add_argument("--img-size", type=int, default=224)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--warmup-steps", type=int, default=3, help="untimed steps, the first timed as the cold step")
    p.add_argument("--steps", type=int, default=5, help="timed steps per window")
    p.add_argument("--repetitions", type=int, default=2, help="timed windows")
    p.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)))
    p.add_argument("--channels-last", action="store_true")
    p.add_argument("--classes", type=int, default=19)
    p.add_argument("--seed", type=int, default=1234)
    p.add_argument("--json", action="store_true", help="one JSON object per test, one per line")
    args = p.parse_args(argv)
    if min(args.img_size, args.batch_size, args.warmup_steps, args.steps, args.repetitions, args.threads) < 1:
        p.error("sizes, steps, repetitions and threads must be at least 1")
    return args


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    for name in args.models.split(","):
        for mode in args.modes.split(","):
            result = measure(name.strip(), mode.strip(), args)
            if args.json:
                print(json.dumps(result), flush=True)
            else:
                print(f"{result['model']:24} {mode:5} {result['images_per_sec']:9.2f} ± "
                      f"{result['images_per_sec_std']:.2f} images/s", flush=True)


if __name__ == "__main__":
    sys.exit(main())
