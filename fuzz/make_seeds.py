#!/usr/bin/python3
"""Writes the fuzzers' seed corpora under fuzz/corpus/<target>/ (the generated
files are committed, so building and running the fuzzers needs no Python).

Run with Debian's python3 (it needs only PIL, which python3-torchvision pulls in):
    /usr/bin/python3 fuzz/make_seeds.py
Every file is small (well under 4 KB): libFuzzer mutates small inputs fastest.
"""
import gzip
import io
import json
import os
import struct
import sys

from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")


def write(target, name, data):
    folder = os.path.join(CORPUS, target)
    os.makedirs(folder, exist_ok=True)
    assert len(data) < 4096, (name, len(data))
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


# --- safetensors -------------------------------------------------------------

def safetensors(tensors, metadata=None, pad=True):
    """tensors: list of (name, dtype, shape, raw bytes), written in this order."""
    header = {}
    if metadata is not None:
        header["__metadata__"] = metadata
    offset = 0
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    if pad:  # spaces up to a multiple of 8, as the Rust writer and ours do
        text += b" " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(raw for *_, raw in tensors)


def seeds_safetensors():
    t = "fuzz_safetensors"
    weight = struct.pack("<6f", 0.5, -1.0, 2.25, 0.0, 3.0, -0.125)
    bias = struct.pack("<2q", 7, -3)
    write(t, "two_tensors_metadata.safetensors",
          safetensors([("conv1.weight", "F32", [2, 3], weight), ("fc.bias", "I64", [2], bias)],
                      {"format": "pt", "model": "resnet18d"}))
    every = [
        ("f64", "F64", [2], struct.pack("<2d", 1.5, -2.0)),
        ("f32", "F32", [1, 2], struct.pack("<2f", 1.0, 2.0)),
        ("f16", "F16", [2], struct.pack("<2e", 1.0, -0.5)),
        ("bf16", "BF16", [2], b"\x80\x3f\x00\xc0"),
        ("i64", "I64", [1], struct.pack("<q", -1)),
        ("i32", "I32", [2], struct.pack("<2i", 3, -4)),
        ("i16", "I16", [2], struct.pack("<2h", 5, -6)),
        ("i8", "I8", [3], struct.pack("<3b", 1, -2, 3)),
        ("u8", "U8", [2, 2], bytes([0, 1, 254, 255])),
        ("bool", "BOOL", [3], bytes([1, 0, 1])),
    ]
    write(t, "every_dtype.safetensors", safetensors(every))
    write(t, "scalar_and_empty.safetensors",
          safetensors([("scalar", "F32", [], struct.pack("<f", 4.0)), ("empty", "F32", [0, 3], b"")]))
    write(t, "metadata_only.safetensors", safetensors([], {"note": "no tensors"}))
    write(t, "empty_header.safetensors", safetensors([], None, pad=False))


# --- images -------------------------------------------------------------------

def pattern(width, height):
    img = Image.new("RGB", (width, height))
    img.putdata([((x * 37 + y * 11) % 256, (x * 5 + y * 53) % 256, (x * y * 7) % 256)
                 for y in range(height) for x in range(width)])
    return img


def encoded(img, fmt, **options):
    out = io.BytesIO()
    img.save(out, fmt, **options)
    return out.getvalue()


def seeds_images():
    t = "fuzz_image_decode"
    rgb = pattern(16, 12)
    write(t, "rgb_420.jpg", encoded(rgb, "JPEG", quality=80))
    write(t, "rgb_444_progressive.jpg", encoded(rgb, "JPEG", quality=90, subsampling=0, progressive=True))
    write(t, "rgb_422_odd_size.jpg", encoded(pattern(17, 9), "JPEG", quality=75, subsampling=1))
    write(t, "gray.jpg", encoded(rgb.convert("L"), "JPEG", quality=85))
    write(t, "cmyk.jpg", encoded(rgb.convert("CMYK"), "JPEG", quality=85))
    # Large enough (40x30) that a decode with min_long_side picks a reduced DCT scale.
    write(t, "rgb_40x30.jpg", encoded(pattern(40, 30), "JPEG", quality=50))
    write(t, "rgb.png", encoded(rgb, "PNG"))
    write(t, "gray.png", encoded(rgb.convert("L"), "PNG"))
    write(t, "gray_1bit.png", encoded(rgb.convert("1"), "PNG"))
    write(t, "gray_alpha.png", encoded(rgb.convert("LA"), "PNG"))
    write(t, "palette.png", encoded(rgb.convert("P", palette=Image.Palette.ADAPTIVE, colors=16), "PNG"))
    rgba = rgb.convert("RGBA")
    rgba.putalpha(128)
    write(t, "rgba.png", encoded(rgba, "PNG"))
    write(t, "rgb_interlaced.png", interlaced_png(rgb))
    gray16 = Image.new("I;16", (8, 6))
    gray16.putdata([(x * 8000 + y * 900) % 65536 for y in range(6) for x in range(8)])
    write(t, "gray_16bit.png", encoded(gray16, "PNG"))
    # 16-bit RGB (PIL cannot write it): big-endian samples, filter byte 0 per row.
    rows16 = b"".join(b"\x00" + b"".join(struct.pack(">3H", x * 4000, y * 7000, (x + y) * 2500) for x in range(6))
                      for y in range(4))
    write(t, "rgb_16bit.png", png_by_hand(6, 4, 16, 2, 0, rows16))


def interlaced_png(img):
    """PIL cannot write Adam7; build the PNG by hand (RGB, 8-bit, interlace method 1)."""
    width, height = img.size
    pixels = img.tobytes()
    passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
    raw = b""
    for x0, y0, dx, dy in passes:
        xs = list(range(x0, width, dx))
        if not xs:
            continue
        for y in range(y0, height, dy):
            raw += b"\x00" + b"".join(pixels[(y * width + x) * 3:(y * width + x) * 3 + 3] for x in xs)

    return png_by_hand(width, height, 8, 2, 1, raw)


def png_by_hand(width, height, bit_depth, color_type, interlace, filtered_rows):
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, interlace)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(filtered_rows, 9)) +
            chunk(b"IEND", b""))


# --- Fashion-MNIST IDX ---------------------------------------------------------

def gz(data):
    return gzip.compress(data, compresslevel=9, mtime=0)


def seeds_idx():
    t = "fuzz_fashion_mnist"
    count, rows, cols = 3, 4, 5
    images = struct.pack(">IIII", 0x00000803, count, rows, cols) + bytes((i * 17) % 256 for i in range(count * rows * cols))
    labels = struct.pack(">II", 0x00000801, count) + bytes([0, 9, 4])
    write(t, "images-idx3-ubyte", images)
    write(t, "images-idx3-ubyte.gz", gz(images))
    write(t, "labels-idx1-ubyte", labels)
    write(t, "labels-idx1-ubyte.gz", gz(labels))
    write(t, "images_zero_count-idx3-ubyte", struct.pack(">IIII", 0x00000803, 0, 28, 28))


# --- results bundles (`trainbench results export`) --------------------------------

def bundle(bench, train, schema_version=3, **top):
    out = {"format": "trainbench-results-bundle", "bundle_version": 1, "schema_version": schema_version,
           "exported_at": "2026-12-09T10:14:14Z",
           "exported_from": {"hostname": "lab-1", "trainbench_version": "0.1.0", "git_commit": "abc1234"},
           "bench": bench, "train": train}
    out.update(top)
    return json.dumps(out, separators=(",", ":")).encode()


def seeds_bundles():
    """Rows use columns of fuzz_result_bundle.cpp's schema (bench_columns(), a train subset)."""
    t = "fuzz_result_bundle"
    provenance = {"trainbench_version": "0.1.0", "git_commit": "abc1234", "libtorch_version": "1.13.1",
                  "device_name": "Test CPU", "threads": 2, "os": "Debian GNU/Linux 12 (bookworm)",
                  "wsl": False, "container": True, "timestamp_utc": "2026-12-09T10:00:00Z"}
    bench = dict(mode="train", model="resnet18d", device="cpu", amp="bf16", channels_last=True, batch_size=32,
                 requested_batch_size=64, image_size=288, repetitions=3, steps=30, status="ok",
                 note="out of memory at batch 64: ran at 32", images_per_sec=41.25, images_per_sec_std=0.5,
                 images_per_sec_samples=[40.75, 41.25, 41.75], forward_seconds=0.1, peak_memory_bytes=81000000000,
                 world_size=2, rank_images_per_sec=[20.5, 20.75], row_uid="0123456789abcdef0123456789abcdef",
                 **provenance)
    summary = {"model": "resnet18d", "epochs": 3, "val_accuracy": 0.994, "interrupted": False}
    train = dict(stored_at="2026-12-09T10:05:00Z", run_dir="/runs/first", model="resnet18d", device="cpu",
                 channels_last=False, image_size=288, val_accuracy=0.994, interrupted=False,
                 row_uid="fedcba9876543210fedcba9876543210", summary_json=json.dumps(summary),
                 config_json=json.dumps({"epochs": 3, "augment": {"kind": "trivial-wide"}}), **provenance)
    write(t, "bench_and_train.tbr.json", bundle([bench], [train]))
    write(t, "empty.tbr.json", bundle([], []))
    minimal_bench = {"row_uid": "00000000000000000000000000000001", "mode": "infer", "model": "vit_small_patch16_224",
                     "device": "cuda:0", "images_per_sec": 1200}
    minimal_train = {"row_uid": "00000000000000000000000000000002", "model": "resnet18",
                     "summary_json": "{}", "config_json": "null", "device": None}
    write(t, "minimal_rows_older_schema.tbr.json", bundle([minimal_bench], [minimal_train], schema_version=1))
    second = dict(minimal_bench, row_uid="00000000000000000000000000000003", amp=None, images_per_sec_samples=[])
    write(t, "two_bench_rows_nulls.tbr.json", bundle([minimal_bench, second], []))
    # Refused ones, one reason each, so the fuzzer starts next to each check.
    write(t, "refused_duplicate_row_uid.tbr.json", bundle([minimal_bench, minimal_bench], []))
    write(t, "refused_unknown_field_id.tbr.json", bundle([dict(minimal_bench, id=7)], []))
    write(t, "refused_wrong_type.tbr.json", bundle([dict(minimal_bench, images_per_sec="fast")], []))
    write(t, "refused_newer_schema.tbr.json", bundle([], [], schema_version=4))
    write(t, "refused_summary_not_object.tbr.json", bundle([], [dict(minimal_train, summary_json="[1,2]")]))
    write(t, "refused_truncated.tbr.json", bundle([bench], [])[:-40])


# --- HTTP request heads (trainbench serve) ----------------------------------------

def seeds_http():
    t = "fuzz_http_request"
    write(t, "get_page.txt", b"GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: test\r\nAccept: */*\r\n\r\n")
    write(t, "get_filtered.txt",
          b"GET /?model=resnet18&device=cuda%3A0&amp=bf16&image_size=224&batch_size=32 HTTP/1.1\r\n"
          b"Host: localhost\r\n\r\n")
    write(t, "rows_json_escaped.txt", b"GET /rows.json?model=%3Cscript%3E+x HTTP/1.1\r\nHost: a\r\n\r\n")
    write(t, "head_http10_lf.txt", b"HEAD /rows.json HTTP/1.0\nConnection: close\n\n")
    write(t, "post_with_body.txt", b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello")
    write(t, "incomplete.txt", b"GET /?model=res HTTP/1.1\r\nHost: a\r\n")
    write(t, "bad_escape.txt", b"GET /%zz HTTP/1.1\r\n\r\n")


def main():
    seeds_safetensors()
    seeds_images()
    seeds_idx()
    seeds_bundles()
    seeds_http()
    for target in sorted(os.listdir(CORPUS)):
        files = os.listdir(os.path.join(CORPUS, target))
        print(f"{target}: {len(files)} seeds")
    return 0


if __name__ == "__main__":
    sys.exit(main())
