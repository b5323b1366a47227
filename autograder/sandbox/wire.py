"""The wire format between the grader and the sandboxed child: JSON + safetensors.

Nothing here can execute code when decoded (no pickle): structure travels as
JSON, tensor data as a safetensors blob whose dtypes are on an allowlist. The
parent decodes what the child sends as untrusted input: sizes and nesting are
capped and every malformed frame is a WireError, never a crash.

Frame: b"KIT1" | u32 header length | JSON header | u64 blob length | blob
"""

from __future__ import annotations

import json
import math
import struct
import sys
from typing import Any, BinaryIO

import torch
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

MAGIC = b"KIT1"
MAX_HEADER = 4 * 1024 * 1024
MAX_BLOB = 64 * 1024 * 1024
MAX_DEPTH = 32
MAX_ELEMENTS = 16 * 1024 * 1024
ALLOWED_DTYPES = {torch.float64, torch.float32, torch.float16, torch.bfloat16,
                  torch.int64, torch.int32, torch.int16, torch.int8, torch.uint8, torch.bool}
# safetensors' names for the allowed dtypes (its format: u64 header length, JSON header, raw little-endian data).
_SAFETENSORS_DTYPE = {torch.float64: "F64", torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
                      torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8",
                      torch.uint8: "U8", torch.bool: "BOOL"}


class WireError(Exception):
    """A frame that is malformed, too large, or holds something not allowed."""


class Opaque:
    """Stands for a value the child returned that is not plain data (its type name only)."""

    def __init__(self, type_name: str) -> None:
        self.type_name = type_name

    def __repr__(self) -> str:
        return f"<{self.type_name}>"


class Encoder:
    """Turns nested tuples/lists/dicts of tensors and scalars into (JSON-able, tensors)."""

    def __init__(self) -> None:
        self.tensors: dict[str, torch.Tensor] = {}

    def encode(self, value: Any, depth: int = 0) -> Any:
        if depth > MAX_DEPTH:
            return {"object": "too deeply nested value"}
        if isinstance(value, torch.Tensor):
            key = f"t{len(self.tensors)}"
            # as_subclass drops tensor subclasses: only plain data crosses the wire.
            plain = torch.Tensor.as_subclass(value, torch.Tensor).detach()
            device = plain.device.type
            self.tensors[key] = plain.to("cpu").contiguous().clone()
            return {"tensor": key, "device": device}
        if isinstance(value, torch.Generator):
            return {"generator": int(value.initial_seed()), "device": value.device.type}
        if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
            if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2 ** 62:
                return {"float": str(float(value))}
            return {"v": value}
        if isinstance(value, float):
            return {"v": value} if math.isfinite(value) else {"float": repr(value)}
        if isinstance(value, tuple):
            return {"tuple": [self.encode(v, depth + 1) for v in value]}
        if isinstance(value, list):
            return {"list": [self.encode(v, depth + 1) for v in value]}
        if isinstance(value, dict):
            if not all(isinstance(k, str) for k in value):
                return {"object": "dict with non-string keys"}
            return {"dict": [[k, self.encode(v, depth + 1)] for k, v in value.items()]}
        return {"object": type(value).__name__}


def encode(value: Any) -> tuple[Any, dict[str, torch.Tensor]]:
    enc = Encoder()
    return enc.encode(value), enc.tensors


def decode(data: Any, tensors: dict[str, torch.Tensor], depth: int = 0, cuda: bool = True) -> Any:
    """Inverse of encode, for untrusted input: every unexpected shape is a WireError.

    cuda: a tensor sent from the GPU goes back to it (when there is one); else it stands as an Opaque.
    """
    if depth > MAX_DEPTH:
        raise WireError("value nested too deeply")
    if not isinstance(data, dict) or len(data) not in (1, 2):
        raise WireError("malformed value")
    if "tensor" in data:
        t = tensors.get(data["tensor"])
        if t is None:
            raise WireError(f"missing tensor {data['tensor']!r}")
        device = data.get("device", "cpu")
        if device != "cpu":
            if device == "cuda" and cuda and torch.cuda.is_available():
                return t.to("cuda")
            return Opaque(f"tensor on device {device}")
        return t
    if "generator" in data:
        g = torch.Generator()
        g.manual_seed(int(data["generator"]))
        return g
    if "v" in data:
        v = data["v"]
        if v is not None and not isinstance(v, (bool, int, float, str)):
            raise WireError("malformed scalar")
        return v
    if "float" in data:
        return float(data["float"])
    if "tuple" in data:
        return tuple(decode(v, tensors, depth + 1, cuda) for v in _as_list(data["tuple"]))
    if "list" in data:
        return [decode(v, tensors, depth + 1, cuda) for v in _as_list(data["list"])]
    if "dict" in data:
        out = {}
        for item in _as_list(data["dict"]):
            if not isinstance(item, list) or len(item) != 2 or not isinstance(item[0], str):
                raise WireError("malformed dict entry")
            out[item[0]] = decode(item[1], tensors, depth + 1, cuda)
        return out
    if "object" in data:
        return Opaque(str(data["object"])[:80])
    raise WireError("unknown value kind")


def _as_list(value: Any) -> list:
    if not isinstance(value, list):
        raise WireError("malformed sequence")
    return value


def pack(header: dict, tensors: dict[str, torch.Tensor] | None = None) -> bytes:
    """One frame: the JSON header and the tensors as a safetensors blob."""
    return pack_raw(header, tensor_blob(tensors) if tensors else b"")


def tensor_blob(tensors: dict[str, torch.Tensor]) -> bytes:
    """The tensors in safetensors' format, written here: safetensors' own writer costs a sandboxed child
    ~0.1 ms of Python a case (through numpy's ctypes), which adds up over every case of a batch.
    A dtype outside ALLOWED_DTYPES is a ValueError; the grader reads the blob with safetensors' loader."""
    if sys.byteorder != "little":
        return st_save(tensors)
    header, chunks, offset = {}, [], 0
    for key, tensor in tensors.items():
        name = _SAFETENSORS_DTYPE.get(tensor.dtype)
        if name is None:
            raise ValueError(f"a tensor of dtype {tensor.dtype} cannot be sent")
        flat = tensor.detach().to("cpu").contiguous().reshape(-1)
        data = flat.view(torch.uint8).numpy().tobytes() if flat.numel() else b""
        header[key] = {"dtype": name, "shape": list(tensor.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    head = json.dumps(header, separators=(",", ":")).encode()
    head += b" " * (-len(head) % 8)  # the data starts 8-byte aligned, as safetensors writes it
    return struct.pack("<Q", len(head)) + head + b"".join(chunks)


def pack_raw(header: dict, blob: bytes) -> bytes:
    """One frame whose blob is already bytes (relayed without parsing)."""
    head = json.dumps(header, allow_nan=False).encode()
    return MAGIC + struct.pack(">I", len(head)) + head + struct.pack(">Q", len(blob)) + blob


def unpack_all(data: bytes, max_frames: int = 10_000) -> list[tuple[dict, dict[str, torch.Tensor]]]:
    """Every complete frame in data; a truncated or corrupt tail ends the list (WireError if corrupt)."""
    frames, pos = [], 0
    while pos < len(data) and len(frames) < max_frames:
        if len(data) - pos < 8:
            break
        if data[pos:pos + 4] != MAGIC:
            raise WireError("frame does not start with the magic bytes")
        (hlen,) = struct.unpack(">I", data[pos + 4:pos + 8])
        if hlen > MAX_HEADER:
            raise WireError("frame header too large")
        if len(data) - pos < 8 + hlen + 8:
            break
        try:
            header = json.loads(data[pos + 8:pos + 8 + hlen])
        except (ValueError, RecursionError) as e:
            raise WireError(f"frame header is not JSON: {e}") from None
        if not isinstance(header, dict):
            raise WireError("frame header is not an object")
        (blen,) = struct.unpack(">Q", data[pos + 8 + hlen:pos + 16 + hlen])
        if blen > MAX_BLOB:
            raise WireError("frame blob too large")
        start = pos + 16 + hlen
        if len(data) - start < blen:
            break
        frames.append((header, load_tensors(data[start:start + blen])))
        pos = start + blen
    return frames


def load_tensors(blob: bytes) -> dict[str, torch.Tensor]:
    if not blob:
        return {}
    try:
        tensors = st_load(blob)
    except Exception as e:  # safetensors raises its own error types on corrupt input
        raise WireError(f"tensor data is corrupt: {e}") from None
    total = 0
    for key, t in tensors.items():
        if t.dtype not in ALLOWED_DTYPES:
            raise WireError(f"tensor {key!r} has dtype {t.dtype}, which is not allowed")
        total += t.numel()
    if total > MAX_ELEMENTS:
        raise WireError("too many tensor elements")
    return tensors


def read_frame(stream: BinaryIO) -> tuple[dict, bytes] | None:
    """Read one frame (header, raw blob) from a trusted stream (parent <-> zygote); None at EOF."""
    magic = stream.read(4)
    if not magic:
        return None
    if magic != MAGIC:
        raise WireError("bad frame magic")
    (hlen,) = struct.unpack(">I", _read_exact(stream, 4))
    header = json.loads(_read_exact(stream, hlen))
    (blen,) = struct.unpack(">Q", _read_exact(stream, 8))
    return header, _read_exact(stream, blen)


def _read_exact(stream: BinaryIO, n: int) -> bytes:
    chunks, left = [], n
    while left:
        chunk = stream.read(left)
        if not chunk:
            raise WireError("stream ended inside a frame")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


class FrameSplitter:
    """Cuts a byte stream into frames as it arrives: (header, the frame's raw bytes).

    Used by the grader to follow a child's frames as they come; a malformed stream raises
    WireError, which counts as a crash. Linear in the bytes fed, however small the frames.
    """

    def __init__(self, max_header: int = MAX_HEADER) -> None:
        self._buffer = bytearray()
        self.max_header = max_header

    def feed(self, data: bytes) -> list[tuple[dict, bytes]]:
        self._buffer += data
        buffer, pos, frames = self._buffer, 0, []
        while len(buffer) - pos >= 8:
            if buffer[pos:pos + 4] != MAGIC:
                raise WireError("frame does not start with the magic bytes")
            (hlen,) = struct.unpack(">I", buffer[pos + 4:pos + 8])
            if hlen > self.max_header:
                raise WireError("frame header too large")
            if len(buffer) - pos < 16 + hlen:
                break
            (blen,) = struct.unpack(">Q", buffer[pos + 8 + hlen:pos + 16 + hlen])
            if blen > MAX_BLOB:
                raise WireError("frame blob too large")
            end = pos + 16 + hlen + blen
            if len(buffer) < end:
                break
            try:
                header = json.loads(bytes(buffer[pos + 8:pos + 8 + hlen]))
            except (ValueError, RecursionError) as e:
                raise WireError(f"frame header is not JSON: {e}") from None
            if not isinstance(header, dict):
                raise WireError("frame header is not an object")
            frames.append((header, bytes(buffer[pos:end])))
            pos = end
        del buffer[:pos]  # once per feed, not once per frame
        return frames
