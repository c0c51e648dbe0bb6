#!/usr/bin/python3
"""Data-parallel training speed, the usual PyTorch way: trainbench's `bench`
(synthetic input, train mode) under a launcher, mirrored with torch.distributed
(Gloo), DistributedDataParallel and a torchvision model, on the CPU.

usage: /usr/bin/python3 -m torch.distributed.run --nproc_per_node N --redirects 1 --tee 1 \\
           bench/peer/ddp_bench.py [--model resnet18] [--img-size 288] [--batch-size 32]
           [--threads T] [--warmup-steps 10] [--steps 30] [--repetitions 3] [--classes 19]
           [--seed 1234] [--channels-last] [--gradient-as-bucket-view] [--no-step-agreement]
           [--no-wait-timing] [--json] [--output-file PATH]

(Debian's torchrun 1.13 on Python 3.11 needs --redirects/--tee other than 0.)
Without torchrun's environment (RANK, WORLD_SIZE, ...) it runs as one process
without DDP, like `trainbench bench` outside `launch`.

What it mirrors of trainbench's bench (src/bench/bench_runner.cpp):
- torch.manual_seed(seed), then the model (random init, --classes outputs),
  then ONE random batch, reused by every step: inputs randn(B, 3, S, S), labels
  randint(classes); B is --batch-size per rank. fp32; contiguous unless
  --channels-last (trainbench's CPU default is channels-last: pass it
  `--channels-last 0` to compare with this script's default).
- A step: forward (DDP broadcasts rank 0's buffers first, broadcast_buffers=True
  as trainbench does), cross-entropy, optimizer.zero_grad() (zeroing, not None:
  LibTorch 1.13's zero_grad), backward with the gradients averaged in buckets
  during it (DDP's default 25 MiB buckets), AdamW(lr 1e-3, eps 1e-5,
  weight_decay 0.01, foreach=False: the per-tensor loop, 1.13's CPU default).
  On the CPU, trainbench's ranks also agree after every step whether to stop
  (a sum of one double over the ranks); this script does the same, unless
  --no-step-agreement.
- Counting: --warmup-steps untimed steps, the first timed alone as the cold
  step; then --repetitions windows of --steps steps. A window's rate on a rank
  is its images over its wall time; the job's rate for the window is the sum
  of the ranks' rates (gathered after the window, outside it). images/s is the
  mean over the windows, ± their sample standard deviation; "per rank" is each
  rank's rate averaged over the windows.
- threads: torch.set_num_threads(--threads), default this machine's cores
  (affinity and cgroup limit) divided by the local ranks, as trainbench's.

Not mirrored exactly (the side is PyTorch's as it is):
- buffers: both broadcast rank 0's buffers before each forward with c10d's
  broadcast_coalesced (trainbench since its coalesced broadcasts; before, one
  blocking broadcast per buffer tensor, 60 for resnet18's 20 batch norms).
- buckets: DDP's (1 MiB first bucket, then 25 MiB, rebuilt after the first
  step in the order the gradients arrived: 9.5, 26.5 and 8.8 MB for resnet18)
  against trainbench's; before 99abf97 trainbench used its own reducer with
  25 MiB buckets in reverse parameter order and no small first bucket (28.9
  and 15.9 MB), a hook on each gradient and a copy into .grad after the wait;
  since 99abf97 it drives c10d's Reducer itself (DDP's bucket assignment) with
  gradient_as_bucket_view=True and its own communication hook, where DDP's
  default is False and the built-in all-reduce (--gradient-as-bucket-view here
  lines that part up).
- the model: torchvision's module tree run from Python (a Python call per
  module) and torchvision's init; trainbench's C++ modules and init (the same
  layers and ATen kernels). The random values differ, the shapes do not.
- the wait: DDP's timer runs from the last gradient ready (the last bucket
  launched) to the end of the last all-reduce in its final callback; trainbench
  since 99abf97 from its hook's start of the last bucket to backward()'s
  return (nearly the same span), before it from backward()'s return to the
  end of its own wait for the buckets.
- the optimizer: trainbench's CPU AdamW is now fused (one pass over each
  tensor, as PyTorch 2.4's AdamW(fused=True) on the CPU); torch 1.13 has no
  fused CPU AdamW, so this side runs the per-tensor loop trainbench ran before.
- fp32 only (no --amp), no real input, no --detail phase times, no --seconds.

The exposed all-reduce wait per step comes from DDP's own timer (its runtime
logging, sampled every step here: _set_ddp_runtime_logging_sample_rate(1)):
backward_comm_time_end - backward_compute_time_end, i.e. from the moment the
last gradient was ready to the end of the last bucket's all-reduce; averaged
over the timed steps and the ranks as trainbench's all_reduce_wait_seconds
(which times its finish_backward() instead). DDP logs a step's timings at the
next forward, so each timed step reads the previous step's entry (a dict
lookup, a few microseconds) and the window's last step is logged by hand after
the window. --no-wait-timing leaves DDP's logging at its default and reports
no wait.

The OpenMP wait policy is left as the environment has it; trainbench sets
OMP_WAIT_POLICY=PASSIVE unless it is set, so set it the same for both sides.
"""
import argparse
import json
import math
import os
import sys
import time

import torch
import torch.distributed as dist
import torchvision


def available_cores():
    cores = len(os.sched_getaffinity(0))
    try:
        with open("/sys/fs/cgroup/cpu.max") as f:
            quota, period = f.read().split()[:2]
        if quota != "max":
            cores = min(cores, max(1, math.ceil(float(quota) / float(period))))
    except (OSError, ValueError):
        pass
    return max(1, cores)


def parse_args(argv=None):
    local_ranks = int(os.environ.get("LOCAL_WORLD_SIZE", "1"))
    threads = max(1, available_cores() // max(1, local_ranks))
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="\n\n".join(__doc__.split("\n\n")[1:]))
    p.add_argument("--model", default="resnet18", help="a torchvision.models classifier name")
    p.add_argument("--img-size", type=int, default=288)
    p.add_argument("--batch-size", "-b", type=int, default=32, help="images per rank per step")
    p.add_argument("--threads", type=int, default=threads,
                   help=f"torch compute threads per rank (default: cores / local ranks = {threads})")
    p.add_argument("--warmup-steps", type=int, default=10, help="untimed steps first (the first is the cold step)")
    p.add_argument("--steps", type=int, default=30, help="timed steps per repetition")
    p.add_argument("--repetitions", "-r", type=int, default=3, help="timed windows")
    p.add_argument("--classes", type=int, default=19, help="model outputs and label range (trainbench's synthetic 19)")
    p.add_argument("--seed", type=int, default=1234)
    p.add_argument("--channels-last", action="store_true", help="channels-last model and batch (default contiguous)")
    p.add_argument("--gradient-as-bucket-view", action="store_true",
                   help="DDP(gradient_as_bucket_view=True): .grad as views into the buckets, no copy back (DDP's "
                        "default is False; trainbench on c10d's Reducer, since 99abf97, uses True)")
    p.add_argument("--no-step-agreement", action="store_true",
                   help="skip the per-step one-value all-reduce trainbench's CPU bench makes to agree on stopping")
    p.add_argument("--no-wait-timing", action="store_true",
                   help="leave DDP's runtime logging at its default; no all-reduce wait figure")
    p.add_argument("--json", action="store_true", help="rank 0 prints one JSON object")
    p.add_argument("--output-file", help="rank 0 also writes the JSON object to this file (torchrun's --tee "
                                         "prefixes every line it prints)")
    args = p.parse_args(argv)
    if args.warmup_steps < 1 or args.steps < 1 or args.repetitions < 1:
        p.error("need --warmup-steps, --steps and --repetitions of at least 1")
    if args.threads < 1 or args.batch_size < 1 or args.img_size < 1 or args.classes < 2:
        p.error("need --threads >= 1, --batch-size >= 1, --img-size >= 1, --classes >= 2")
    return args


def make_model(name, classes):
    if hasattr(torchvision.models, "get_model"):
        return torchvision.models.get_model(name, weights=None, num_classes=classes)
    return getattr(torchvision.models, name)(weights=None, num_classes=classes)


def summarize(samples):
    mean = sum(samples) / len(samples)
    std = math.sqrt(sum((s - mean) ** 2 for s in samples) / (len(samples) - 1)) if len(samples) > 1 else 0.0
    return mean, std


class WaitReader:
    """The exposed all-reduce wait per DDP iteration, from DDP's own timer."""

    def __init__(self, ddp):
        self.ddp = ddp
        self.waits = {}  # DDP iteration (1-based step) -> seconds
        ddp._set_ddp_runtime_logging_sample_rate(1)

    def read(self):
        data = self.ddp._get_ddp_logging_data()
        end, ready = data.get("backward_comm_time_end"), data.get("backward_compute_time_end")
        if end and ready and data.get("iteration", 0) > 0:
            self.waits[data["iteration"]] = (end - ready) / 1e9

    def log_last_step(self):
        # The step just taken is logged by the next forward; log it now.
        self.ddp.logger.set_runtime_stats_and_log()
        self.read()


def main(argv=None):
    args = parse_args(argv)
    distributed = "RANK" in os.environ and "WORLD_SIZE" in os.environ
    if distributed:
        dist.init_process_group("gloo")
        rank, world_size = dist.get_rank(), dist.get_world_size()
    else:
        rank, world_size = 0, 1
    torch.set_num_threads(args.threads)
    memory_format = torch.channels_last if args.channels_last else torch.contiguous_format

    torch.manual_seed(args.seed)
    model = make_model(args.model, args.classes).to(memory_format=memory_format)
    inputs = torch.randn(args.batch_size, 3, args.img_size, args.img_size).contiguous(memory_format=memory_format)
    labels = torch.randint(args.classes, (args.batch_size,), dtype=torch.long)
    model.train()
    # DDP's defaults: bucket_cap_mb 25, broadcast_buffers=True, rank 0's
    # parameters and buffers broadcast at construction.
    net = torch.nn.parallel.DistributedDataParallel(model, gradient_as_bucket_view=args.gradient_as_bucket_view) \
        if distributed else model
    optimizer = torch.optim.AdamW(net.parameters(), lr=1e-3, eps=1e-5, weight_decay=0.01, foreach=False)
    waits = WaitReader(net) if net is not model and not args.no_wait_timing else None
    agree = distributed and not args.no_step_agreement
    flag = torch.zeros(1, dtype=torch.float64)

    def step():
        logits = net(inputs)
        loss = torch.nn.functional.cross_entropy(logits, labels)
        optimizer.zero_grad(set_to_none=False)
        loss.backward()
        optimizer.step()
        if agree:  # trainbench: DataParallel::any(interrupt_requested()) after every CPU step
            flag.zero_()
            dist.all_reduce(flag)
        return args.batch_size

    def per_rank(value):
        if not distributed:
            return [value]
        values = torch.zeros(world_size, dtype=torch.float64)
        values[rank] = value
        dist.all_reduce(values)
        return values.tolist()

    start = time.perf_counter()
    step()
    cold_step_seconds = time.perf_counter() - start
    for _ in range(1, args.warmup_steps):
        step()

    samples, rank_rates, timed_seconds, timed_iterations = [], [0.0] * world_size, 0.0, []
    for _ in range(args.repetitions):
        first_iteration = net.num_iterations + 1 if waits else 0
        start = time.perf_counter()
        images = 0
        for _ in range(args.steps):
            images += step()
            if waits:
                waits.read()
        seconds = time.perf_counter() - start
        timed_seconds += seconds
        if waits:
            waits.log_last_step()
            timed_iterations.extend(range(first_iteration, net.num_iterations + 1))
        rates = per_rank(images / seconds if seconds > 0 else 0.0)
        for r, rate in enumerate(rates):
            rank_rates[r] += rate
        samples.append(sum(rates))
    rank_rates = [rate / args.repetitions for rate in rank_rates]

    wait_seconds = None
    if waits:
        missing = [i for i in timed_iterations if i not in waits.waits]
        total = torch.tensor([sum(waits.waits.get(i, 0.0) for i in timed_iterations), float(len(missing))],
                             dtype=torch.float64)
        dist.all_reduce(total)
        if total[1] == 0:
            wait_seconds = total[0].item() / (world_size * args.repetitions * args.steps)
    bucket_sizes = None
    if net is not model:
        data = net._get_ddp_logging_data()
        bucket_sizes = data.get("rebuilt_bucket_sizes") or data.get("bucket_sizes")
    if distributed:
        dist.barrier()
    if rank != 0:
        return 0

    mean, std = summarize(samples)
    result = {
        "side": "pytorch-ddp",
        "model": args.model,
        "classes": args.classes,
        "image_size": args.img_size,
        "batch_size": args.batch_size,
        "world_size": world_size,
        "backend": "gloo" if distributed else None,
        "ddp": net is not model,
        "threads": args.threads,
        "channels_last": args.channels_last,
        "amp": "off",
        "warmup_steps": args.warmup_steps,
        "steps": args.steps,
        "repetitions": args.repetitions,
        "images_per_sec": mean,
        "images_per_sec_std": std,
        "images_per_sec_samples": samples,
        "rank_images_per_sec": rank_rates,
        "cold_step_seconds": cold_step_seconds,
        "step_seconds": timed_seconds / (args.repetitions * args.steps),
        "all_reduce_wait_seconds": wait_seconds,
        "step_agreement": agree,
        "gradient_as_bucket_view": args.gradient_as_bucket_view,
        "bucket_sizes_bytes": [int(b) for b in bucket_sizes.split(",")] if bucket_sizes else None,
        "seed": args.seed,
        "torch_version": torch.__version__,
        "torchvision_version": torchvision.__version__,
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", ""),
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS", ""),
    }
    if args.output_file:
        with open(args.output_file, "w") as f:
            f.write(json.dumps(result) + "\n")
    if args.json:
        print(json.dumps(result), flush=True)
        return 0
    layout = "channels-last" if args.channels_last else "contiguous"
    how = f"{world_size} ranks over gloo, DDP" if result["ddp"] else "one process"
    print(f"ddp_bench: {args.model}, {args.classes} classes, {args.img_size}px, batch {args.batch_size} per rank, "
          f"{how}, {args.threads} threads each, fp32, {layout}, torch {torch.__version__}")
    print(f"{args.warmup_steps} warm-up steps (cold step {cold_step_seconds:.2f} s), "
          f"{args.repetitions} x {args.steps} timed steps, {1000 * result['step_seconds']:.1f} ms/step")
    print(f"images/s: {mean:.1f} ± {std:.1f} (windows: {', '.join(f'{s:.1f}' for s in samples)})")
    print(f"per rank: {', '.join(f'{r:.1f}' for r in rank_rates)}")
    if wait_seconds is not None:
        print(f"all-reduce wait: {1000 * wait_seconds:.1f} ms/step (DDP's timer)")
    if bucket_sizes:
        print(f"DDP buckets (bytes): {bucket_sizes}")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # Not sys.exit: torch 1.13 can deadlock at interpreter exit when DDP's
    # Reducer drops the last reference to the Gloo process group (its
    # destructor holds the group's lock and the GIL while a Gloo worker thread
    # frees a tensor's Python object and waits for the GIL). Everything is
    # printed and written by now.
    os._exit(code)
