"""The other side of the C++ safetensors tests (tests/weights/safetensors_test.cpp).

usage: safetensors_reference.py write OUT_FILE
       safetensors_reference.py check IN_FILE
write: writes expected() with METADATA through tensor_file.py.
check: reads IN_FILE (written by C++) and exits 0 only when it holds exactly
expected() (names, dtypes, shapes, values bit for bit) and METADATA.
The C++ test builds the same tensors; keep the two in step.
"""
import sys

import torch

import tensor_file

METADATA = {"format": "pt", "architecture": "resnet18d"}


def expected():
    # Every value exactly representable in its dtype (F16/BF16 included), so
    # both languages build bit-identical tensors from these literals.
    return {
        "f32": torch.tensor([[1.5, -2.25, 3.0], [0.0, 2.0**-100, -7.125]], dtype=torch.float32),
        "f16": torch.tensor([0.5, -1.0, 1024.0, -0.125], dtype=torch.float16),
        "bf16": torch.tensor([[0.25, -3.0], [256.0, 1.0]], dtype=torch.bfloat16),
        "f64": torch.tensor(3.141592653589793, dtype=torch.float64),
        "i64": torch.tensor([0, -1, 2**40, -(2**62)], dtype=torch.int64),
        "i32": torch.tensor([[-7, 0], [2**31 - 1, -(2**31)]], dtype=torch.int32),
        "i16": torch.tensor([-32768, 32767, 5], dtype=torch.int16),
        "i8": torch.tensor([-128, 127], dtype=torch.int8),
        "u8": torch.tensor([0, 1, 127, 255], dtype=torch.uint8),
        "bool": torch.tensor([True, False, True], dtype=torch.bool),
        "empty": torch.zeros(0, 3, dtype=torch.float32),
    }


def check(path):
    tensors, metadata = tensor_file.read_with_metadata(path)
    want = expected()
    ok = True
    if metadata != METADATA:
        print(f"metadata {metadata} != {METADATA}")
        ok = False
    if list(tensors) != list(want):
        print(f"names in data order {list(tensors)} != {list(want)}")
        ok = False
    for name, w in want.items():
        t = tensors.get(name)
        if t is None:
            print(f"{name}: missing")
            ok = False
        elif t.dtype != w.dtype or t.shape != w.shape or not torch.equal(t, w):
            print(f"{name}: got {t.dtype} {list(t.shape)} {t}, want {w.dtype} {list(w.shape)} {w}")
            ok = False
    return ok


if __name__ == "__main__":
    command, path = sys.argv[1], sys.argv[2]
    if command == "write":
        tensor_file.write(path, expected(), METADATA)
    elif command == "check":
        sys.exit(0 if check(path) else 1)
    else:
        sys.exit(f"unknown command {command}")
