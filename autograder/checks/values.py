"""The values that travel through a check: calls, nested results, and copies of both.

Shared by the grader, the sandboxed child and the notebook's setup cell.
"""

from __future__ import annotations

from typing import Any, Callable

import torch


class Call:
    """Positional and keyword arguments for one call of a graded function.

    ``extra`` holds data for judging that never reaches the student's code (held-out
    data of a training part): only args and kwargs are sent to the sandbox, and
    copies made by fresh() do not carry it.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.args = tuple(args)
        self.kwargs = dict(kwargs)
        self.extra: dict[str, Any] = {}

    def with_extra(self, **data: Any) -> "Call":
        self.extra.update(data)
        return self


def tensors_in(value: Any) -> list[torch.Tensor]:
    """Every tensor inside a nested tuple/list/dict, in a fixed order."""
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, (tuple, list)):
        return [t for v in value for t in tensors_in(v)]
    if isinstance(value, dict):
        return [t for k in sorted(value, key=str) for t in tensors_in(value[k])]
    return []


def map_tensors(value: Any, fn: Callable[[torch.Tensor], Any]) -> Any:
    """value with fn applied to every tensor inside it (generators and scalars kept)."""
    if isinstance(value, torch.Tensor):
        return fn(value)
    if isinstance(value, tuple):
        return tuple(map_tensors(v, fn) for v in value)
    if isinstance(value, list):
        return [map_tensors(v, fn) for v in value]
    if isinstance(value, dict):
        return {k: map_tensors(v, fn) for k, v in value.items()}
    return value


def clone_structure(value: Any) -> Any:
    """A deep copy: tensors cloned, generators copied with their state, so nothing consumes the original."""
    if isinstance(value, torch.Generator):
        g = torch.Generator(device=value.device)
        g.set_state(value.get_state())
        return g
    if isinstance(value, (tuple, list, dict)) and not isinstance(value, torch.Tensor):
        if isinstance(value, tuple):
            return tuple(clone_structure(v) for v in value)
        if isinstance(value, list):
            return [clone_structure(v) for v in value]
        return {k: clone_structure(v) for k, v in value.items()}
    if isinstance(value, torch.Tensor):
        return value.clone()
    return value


def fresh(call: Call) -> Call:
    """A copy of a call for one run: the student's code may consume or modify it freely."""
    return Call(*clone_structure(call.args), **clone_structure(call.kwargs))


def moved(call: Call, move: Callable[[torch.Tensor], torch.Tensor]) -> Call:
    """The call with every tensor (the judging data in extra included) passed through move."""
    return Call(*map_tensors(call.args, move), **map_tensors(call.kwargs, move)).with_extra(
        **map_tensors(call.extra, move))


def dtype_name(dtype: torch.dtype) -> str:
    return str(dtype).replace("torch.", "")


def type_name(value: Any) -> str:
    """A short description of a value for feedback, e.g. 'a (3, 2) float64 tensor'."""
    if isinstance(value, torch.Tensor):
        return f"a {tuple(value.shape)} {dtype_name(value.dtype)} tensor"
    if isinstance(value, (tuple, list)):
        return f"a {type(value).__name__} of length {len(value)}"
    if value is None:
        return "None"
    if isinstance(getattr(value, "type_name", None), str):  # the grader's stand-in for an object it cannot read
        return f"a {value.type_name}"
    return f"a {type(value).__name__}"


def batch_size_of(call: Call) -> int | None:
    """N, the leading size of the first tensor argument with at least one dimension (for hints)."""
    for a in call.args:
        if isinstance(a, torch.Tensor) and a.dim() >= 1:
            return int(a.shape[0])
    return None
