#!/usr/bin/python3
"""Training speed of the workload, the usual Python way, on the CPU: a
torchvision model, AdamW + OneCycleLR per batch, cross-entropy, optional
bf16 autocast and channels-last, fed by the notebook's input pipeline.

usage: train_bench.py --data DIR [--model resnet18] [--img-size 160] [--batch-size 32]
                      [--max-steps 40] [--warmup-steps 5] [--amp off|bf16] [--channels-last]
                      [--threads N] [--workers N] [--augment trivial-wide|none] [--json]

A step's wall time runs from the end of the previous step (after
loss.item(), which syncs) to the end of this one, so it includes the wait
for the batch. images/s = images of steps warmup+1..max-steps divided by
those steps' wall time; the data-wait fraction is over the same steps.

The OpenMP wait policy is left as the environment has it (libgomp's default
spins); trainbench sets OMP_WAIT_POLICY=PASSIVE unless it is set, so set it
the same way for both sides when comparing.
"""
import argparse
import json
import os
import sys
import time

import torch
import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pipeline  # noqa: E402


def parse_args(argv=None):
    cores = pipeline.available_cores()
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", required=True, help="image folder (one sub-folder per class)")
    p.add_argument("--model", default="resnet18", help="a torchvision.models classifier name")
    p.add_argument("--img-size", type=int, default=160)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--max-steps", type=int, default=40)
    p.add_argument("--warmup-steps", type=int, default=5)
    p.add_argument("--amp", choices=("off", "bf16"), default="off")
    p.add_argument("--channels-last", action="store_true")
    p.add_argument("--threads", type=int, default=cores, help=f"torch compute threads (default: cores = {cores})")
    p.add_argument("--workers", type=int, default=cores, help=f"loader workers (default: cores = {cores})")
    p.add_argument("--augment", choices=pipeline.AUGMENTS, default="trivial-wide")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    args = p.parse_args(argv)
    if args.max_steps < 1 or not 0 <= args.warmup_steps < args.max_steps:
        p.error("need --max-steps >= 1 and 0 <= --warmup-steps < --max-steps")
    if args.threads < 1 or args.workers < 0 or args.batch_size < 1:
        p.error("need --threads >= 1, --workers >= 0, --batch-size >= 1")
    return args


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    loader = pipeline.make_loader(args.data, args.img_size, args.batch_size, args.workers, args.augment)
    num_classes = len(loader.dataset.classes)

    model = torchvision.models.get_model(args.model, weights=None, num_classes=num_classes) \
        if hasattr(torchvision.models, "get_model") else \
        getattr(torchvision.models, args.model)(weights=None, num_classes=num_classes)
    memory_format = torch.channels_last if args.channels_last else torch.contiguous_format
    model = model.to(memory_format=memory_format)
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, eps=1e-5, weight_decay=0.01)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=1e-3, total_steps=args.max_steps)
    criterion = torch.nn.CrossEntropyLoss()

    batches = pipeline.endless(loader)
    step_seconds, wait_seconds, step_images = [], [], []
    loss_value = float("nan")
    last = time.perf_counter()
    for _ in range(args.max_steps):
        inputs, labels = next(batches)
        got_batch = time.perf_counter()
        inputs = inputs.to(memory_format=memory_format)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.amp == "bf16"):
            logits = model(inputs)
            loss = criterion(logits, labels)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        scheduler.step()
        loss_value = loss.item()
        now = time.perf_counter()
        step_seconds.append(now - last)
        wait_seconds.append(got_batch - last)
        step_images.append(labels.shape[0])
        last = now

    measured = slice(args.warmup_steps, args.max_steps)
    seconds = sum(step_seconds[measured])
    images = sum(step_images[measured])
    wait = sum(wait_seconds[measured])
    result = {
        "images_per_sec": images / seconds,
        "data_wait_fraction": wait / seconds,
        "steps": args.max_steps,
        "warmup_steps": args.warmup_steps,
        "images": images,
        "seconds": seconds,
        "amp": args.amp,
        "channels_last": args.channels_last,
        "model": args.model,
        "img_size": args.img_size,
        "batch_size": args.batch_size,
        "threads": args.threads,
        "workers": args.workers,
        "final_loss": loss_value,
        "first_step_seconds": step_seconds[0],
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", ""),
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(f"train: {args.model}, {num_classes} classes, {len(loader.dataset)} images, {args.img_size}px, "
              f"batch {args.batch_size}, amp {args.amp}, "
              f"{'channels-last' if args.channels_last else 'contiguous'}, "
              f"{args.threads} threads, {args.workers} workers")
        print(f"steps {args.warmup_steps + 1}..{args.max_steps}: {images} images in {seconds:.2f} s: "
              f"{result['images_per_sec']:.1f} images/s, data wait {100 * result['data_wait_fraction']:.1f}%")
        print(f"first step {step_seconds[0]:.2f} s, final loss {loss_value:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
