"""Case data in a form torch alone can load.

``torch.load(..., weights_only=True)`` of plain containers and tensors (zlib-compressed, base64
text). Tuples and generators, which that loader refuses, travel as tagged dicts.
"""

from __future__ import annotations

import base64
import io
import zlib
from typing import Any

import torch

_TUPLE, _GENERATOR, _SEEDED = "__tuple__", "__generator_state__", "__generator_seed__"


def to_storable(value: Any) -> Any:
    if isinstance(value, torch.Generator):
        seed = value.initial_seed()
        if torch.equal(torch.Generator().manual_seed(seed).get_state(), value.get_state()):
            return {_SEEDED: seed}  # untouched since seeding: the seed says it all (the state is 5 kB)
        return {_GENERATOR: value.get_state()}
    if isinstance(value, torch.Tensor):
        return value.detach().to("cpu").contiguous().clone()
    if isinstance(value, tuple):
        return {_TUPLE: [to_storable(v) for v in value]}
    if isinstance(value, list):
        return [to_storable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_storable(v) for k, v in value.items()}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"cannot store a {type(value).__name__} in case data")


def from_storable(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {_GENERATOR}:
            g = torch.Generator()
            g.set_state(value[_GENERATOR])
            return g
        if set(value) == {_SEEDED}:
            return torch.Generator().manual_seed(value[_SEEDED])
        if set(value) == {_TUPLE}:
            return tuple(from_storable(v) for v in value[_TUPLE])
        return {k: from_storable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_storable(v) for v in value]
    return value


def encode(value: Any) -> str:
    """Base64 text of the compressed torch.save(to_storable(value)) (deterministic for equal values)."""
    buffer = io.BytesIO()
    torch.save(to_storable(value), buffer)
    return base64.b64encode(zlib.compress(buffer.getvalue(), 9)).decode("ascii")


def decode(text: str) -> Any:
    raw = zlib.decompress(base64.b64decode(text))
    return from_storable(torch.load(io.BytesIO(raw), weights_only=True))
