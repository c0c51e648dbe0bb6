#!/usr/bin/env python3
"""Checks the two rules of src/ that no compiler checks:

1. Layers point one way (../shared/docs/DESIGN.md): a file under src/<layer>/
   includes only the layers in ALLOWED[<layer>] and its own.
2. The plain sources of cmake/sources.cmake, compiled without LibTorch, never
   reach a LibTorch header through the headers they include (on Debian those
   headers sit in /usr/include, so the compiler would not notice; against a
   PyTorch wheel the build would break), and every other source does (else it
   pays for the precompiled <torch/torch.h> for nothing and belongs in the list).

Usage: layers_test.py SOURCE_DIR. Prints every violation; exit 1 when any.
"""
import os
import re
import sys

# What each layer may include besides itself. core includes nothing of ours;
# data and models never include each other; telemetry and store are side
# services; bench, doctor and report are commands (report shows bench's
# comparisons); deploy turns a finished run into files other programs load;
# serve is `trainbench serve`'s web page over the store, which shows bench's
# comparisons and report's charts;
# dist is the data-parallel engine (c10d process groups, gradient buckets, the
# launcher) that train runs on, so it sits below train and knows only the
# models' batch-norm sync point; cli may include everything.
ALLOWED = {
    "core": set(),
    "data": {"core"},
    "models": {"core"},
    "weights": {"core"},
    "telemetry": {"core"},
    "store": {"core", "telemetry"},
    "dist": {"core", "models"},
    "train": {"core", "data", "models", "weights", "telemetry", "dist"},
    "bench": {"core", "data", "models", "weights", "telemetry", "store", "train", "dist"},
    "doctor": {"core", "data", "models", "weights", "telemetry", "store", "train", "dist"},
    "report": {"core", "data", "models", "weights", "telemetry", "store", "train", "bench", "dist"},
    "deploy": {"core", "models", "weights", "train", "dist"},
    "serve": {"core", "store", "bench", "report"},
}
QUOTED_INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
TORCH_INCLUDE = re.compile(r'^\s*#\s*include\s+<(torch|ATen|c10|caffe2)/', re.M)


def read_sources(src):
    files = {}
    for folder, _, names in os.walk(src):
        for name in names:
            if name.endswith((".h", ".cpp")):
                path = os.path.join(folder, name)
                with open(path, encoding="utf-8") as f:
                    files[os.path.relpath(path, src)] = f.read()
    return files


def layer_violations(files):
    problems = []
    for path, text in sorted(files.items()):
        layer = path.split("/")[0]
        if layer == "cli" or "/" not in path:
            continue
        if layer not in ALLOWED:
            problems.append(f"src/{path}: layer '{layer}' is not in tests/layers_test.py's ALLOWED table")
            continue
        for header in QUOTED_INCLUDE.findall(text):
            target = header.split("/")[0]
            if "/" in header and target != layer and target not in ALLOWED[layer]:
                problems.append(f"src/{path} includes \"{header}\": {layer}/ may not include {target}/")
    return problems


def torch_reachers(files):
    """The files whose quoted-include closure reaches a LibTorch header."""
    memo = {}

    def reaches(path, stack):
        if path in memo:
            return memo[path]
        if path not in files or path in stack:
            return False
        text = files[path]
        result = bool(TORCH_INCLUDE.search(text)) or any(
            reaches(header, stack | {path}) for header in QUOTED_INCLUDE.findall(text))
        memo[path] = result
        return result

    return {path for path in files if reaches(path, frozenset())}


def plain_sources(cmake_file):
    with open(cmake_file, encoding="utf-8") as f:
        text = f.read()
    body = re.search(r"set\(TRAINBENCH_PLAIN_SOURCES(.*?)\)", text, re.S)
    if not body:
        raise SystemExit(f"{cmake_file}: no set(TRAINBENCH_PLAIN_SOURCES ...)")
    lines = [line.split("#")[0] for line in body.group(1).splitlines()]
    return set(" ".join(lines).split())


def torch_split_violations(files, plain):
    problems = []
    torchy = torch_reachers(files)
    for source in sorted(plain):
        if source not in files:
            problems.append(f"cmake/sources.cmake lists {source}, which is not under src/")
        elif source in torchy:
            problems.append(f"src/{source} reaches a LibTorch header but cmake/sources.cmake lists it as plain")
    for source in sorted(path for path in files if path.endswith(".cpp")):
        if source not in plain and source not in torchy:
            problems.append(f"src/{source} never reaches a LibTorch header: add it to cmake/sources.cmake")
    return problems


def main():
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    root = sys.argv[1]
    files = read_sources(os.path.join(root, "src"))
    problems = layer_violations(files)
    problems += torch_split_violations(files, plain_sources(os.path.join(root, "cmake", "sources.cmake")))
    for problem in problems:
        print(problem)
    print(f"{len(files)} files checked, {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
