#!/usr/bin/python3
"""Images/s of the workload's input pipeline alone (no model), the usual
Python way: ImageFolder + DataLoader with the notebook's transforms.

usage: loader_bench.py --data DIR [--img-size 288] [--workers N] [--batch-size 32]
                       [--augment trivial-wide|none] [--seconds 20] [--warmup-batches 5] [--json]

Epochs repeat as needed. After the warm-up batches, counts the images that
arrive in --seconds seconds. "Per core" divides by min(workers, available
cores) (workers 0 counts as 1: the main process decodes).
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pipeline  # noqa: E402


def parse_args(argv=None):
    cores = pipeline.available_cores()
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", required=True, help="image folder (one sub-folder per class)")
    p.add_argument("--img-size", type=int, default=288)
    p.add_argument("--workers", type=int, default=cores, help=f"loader workers (default: cores = {cores})")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--augment", choices=pipeline.AUGMENTS, default="trivial-wide")
    p.add_argument("--seconds", type=float, default=20.0, help="measuring time after the warm-up")
    p.add_argument("--warmup-batches", type=int, default=5)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    args = p.parse_args(argv)
    if args.workers < 0 or args.batch_size < 1 or args.seconds <= 0 or args.warmup_batches < 0:
        p.error("--workers >= 0, --batch-size >= 1, --seconds > 0, --warmup-batches >= 0")
    return args


def main(argv=None):
    args = parse_args(argv)
    cores = pipeline.available_cores()
    loader = pipeline.make_loader(args.data, args.img_size, args.batch_size, args.workers, args.augment)
    batches = pipeline.endless(loader)

    for _ in range(args.warmup_batches):
        next(batches)

    images = 0
    start = time.perf_counter()
    elapsed = 0.0
    while elapsed < args.seconds:
        inputs, _labels = next(batches)
        images += inputs.shape[0]
        elapsed = time.perf_counter() - start

    rate = images / elapsed
    per_core = rate / min(max(args.workers, 1), cores)
    result = {
        "images_per_sec": rate,
        "images_per_sec_per_core": per_core,
        "workers": args.workers,
        "cores": cores,
        "images": images,
        "seconds": elapsed,
        "img_size": args.img_size,
        "augment": args.augment,
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", ""),
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(f"loader: {len(loader.dataset)} images in {len(loader.dataset.classes)} classes, "
              f"{args.img_size}px, augment {args.augment}, batch {args.batch_size}, "
              f"{args.workers} workers on {cores} cores")
        print(f"{images} images in {elapsed:.2f} s: {rate:.1f} images/s, {per_core:.1f} images/s per worker-core")
    return 0


if __name__ == "__main__":
    sys.exit(main())
