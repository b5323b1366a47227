"""The wire format between the grader and the sandboxed child: JSON + safetensors.

Nothing here can execute code when decoded (no pickle): structure travels as
JSON, tensor data as a safetensors blob whose dtypes are on an allowlist. The
parent decodes what the child sends as untrusted input: sizes and nesting are
capped and every malformed frame is a WireError, never a crash.

Frame: b"KIT1" | u32 header length | JSON header | u64 blob length | blob
Written by ``pack``/``pack_raw`` and read by ``FrameSplitter``, by every side alike: the grader
reading a child's results, the child reading the grader's requests, the zygote its probe's report.
"""

from __future__ import annotations

import json
import math
import struct
import sys
from typing import Any, NamedTuple

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


_PREFIX = struct.Struct(">4sI")       # the magic bytes, the header's length
_BLOB_LENGTH = struct.Struct(">Q")


def pack_raw(header: dict, blob: bytes) -> bytes:
    """One frame whose blob is already bytes (relayed without parsing)."""
    head = json.dumps(header, allow_nan=False).encode()
    return _PREFIX.pack(MAGIC, len(head)) + head + _BLOB_LENGTH.pack(len(blob)) + blob


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


class Frame(NamedTuple):
    header: dict[str, Any]
    blob: bytes  # the tensors, in safetensors' format (load_tensors reads them), or empty


class FrameSplitter:
    """Cuts a byte stream into frames as it arrives.

    The grader follows a child's frames with it as they come (a malformed stream raises WireError,
    which counts as a crash); the child reads the grader's requests with it. Linear in the bytes fed,
    however small the frames.
    """

    def __init__(self, max_header: int = MAX_HEADER, max_blob: int | None = MAX_BLOB) -> None:
        """max_blob: None for no cap (the child reading the grader's own requests)."""
        self._buffer = bytearray()
        self.max_header = max_header
        self.max_blob = max_blob

    def feed(self, data: bytes) -> list[Frame]:
        self._buffer += data
        buffer, pos, frames = self._buffer, 0, []
        while len(buffer) - pos >= _PREFIX.size:
            magic, hlen = _PREFIX.unpack_from(buffer, pos)
            if magic != MAGIC:
                raise WireError("frame does not start with the magic bytes")
            if hlen > self.max_header:
                raise WireError("frame header too large")
            start = pos + _PREFIX.size + hlen + _BLOB_LENGTH.size
            if len(buffer) < start:
                break
            (blen,) = _BLOB_LENGTH.unpack_from(buffer, start - _BLOB_LENGTH.size)
            if self.max_blob is not None and blen > self.max_blob:
                raise WireError("frame blob too large")
            if len(buffer) < start + blen:
                break
            try:
                header = json.loads(bytes(buffer[pos + _PREFIX.size:pos + _PREFIX.size + hlen]))
            except (ValueError, RecursionError) as e:
                raise WireError(f"frame header is not JSON: {e}") from None
            if not isinstance(header, dict):
                raise WireError("frame header is not an object")
            frames.append(Frame(header, bytes(buffer[start:start + blen])))
            pos = start + blen
        del buffer[:pos]  # once per feed, not once per frame
        return frames
