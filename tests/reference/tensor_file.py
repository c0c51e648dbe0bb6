"""The tensor file the C++ tests read and write: safetensors (an 8-byte
little-endian header length, a JSON header, raw little-endian data), written
and read without the safetensors package, which Debian 12 does not ship. It
follows the format's description, independently of the C++ code, so the two
check each other."""
import json
import struct

import torch

_DTYPES = {
    torch.float64: "F64", torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
    torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8",
    torch.uint8: "U8", torch.bool: "BOOL",
}
_TORCH = {v: k for k, v in _DTYPES.items()}


def _raw(t):
    # numpy has no bfloat16: its bits go out as int16 of the same width.
    if t.dtype == torch.bfloat16:
        t = t.view(torch.int16)
    return t.numpy().tobytes()


def write(path, tensors, metadata=None):
    """tensors: name -> tensor, written in the dict's order; metadata: str -> str."""
    header, chunks, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = dict(metadata)
    for name, tensor in tensors.items():
        t = tensor.detach().contiguous().cpu()
        raw = _raw(t)
        header[name] = {"dtype": _DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # as the Rust writer pads
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for raw in chunks:
            f.write(raw)


def read_with_metadata(path):
    """(name -> tensor in data order, metadata); raises ValueError when the
    tensors do not tile the data area exactly, as the format requires."""
    with open(path, "rb") as f:
        (size,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(size))
        data = f.read()
    metadata = header.pop("__metadata__", {})
    entries = sorted(header.items(), key=lambda item: tuple(item[1]["data_offsets"]))
    out, covered = {}, 0
    for name, entry in entries:
        begin, end = entry["data_offsets"]
        if begin != covered or end < begin:
            raise ValueError(f"{path}: {name} at [{begin}, {end}) does not follow the data before, which ends at {covered}")
        covered = end
        dtype = _TORCH[entry["dtype"]]
        if begin == end:  # torch.frombuffer refuses an empty buffer
            out[name] = torch.empty(entry["shape"], dtype=dtype)
        else:
            out[name] = torch.frombuffer(bytearray(data[begin:end]), dtype=dtype).reshape(entry["shape"]).clone()
    if covered != len(data):
        raise ValueError(f"{path}: {len(data) - covered} trailing data bytes belong to no tensor")
    return out, metadata


def read(path):
    return read_with_metadata(path)[0]
