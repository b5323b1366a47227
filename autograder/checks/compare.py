"""Compare a returned value with the expected one, with explicit tolerances.

Structure first, then dtype and device, then finiteness, then values (in float64 on the CPU).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch

from .values import dtype_name, type_name
from .verdict import Finding, Status


@dataclass(frozen=True)
class Tolerance:
    atol: float
    rtol: float


def host64(t: torch.Tensor) -> torch.Tensor:
    """A detached float64 (or integer) copy on the CPU: every comparison and evaluation happens there."""
    t = t.detach().to("cpu")
    return t.to(torch.float64) if t.is_floating_point() else t


def max_diff(got: torch.Tensor, expected: torch.Tensor) -> tuple[float, tuple[int, ...]]:
    """(largest |got - expected|, its index) in float64; inf where the two disagree on finiteness."""
    diff = (host64(got).to(torch.float64) - host64(expected).to(torch.float64)).abs()
    diff = torch.where(torch.isnan(diff), torch.full_like(diff, math.inf), diff)
    if diff.numel() == 0:
        return 0.0, ()
    flat = int(torch.argmax(diff))
    index: list[int] = []
    rest = flat
    for size in reversed(diff.shape):  # by hand: torch.unravel_index's first call imports sympy
        rest, position = divmod(rest, size)
        index.insert(0, position)
    return float(diff.reshape(-1)[flat]), tuple(index)


def close(got: torch.Tensor, expected: torch.Tensor, tol: Tolerance) -> bool:
    g, e = host64(got).to(torch.float64), host64(expected).to(torch.float64)
    return g.shape == e.shape and bool(torch.allclose(g, e, atol=tol.atol, rtol=tol.rtol))


def compare_tensor(label: str, got: Any, expected: torch.Tensor, tol: Tolerance,
                   exact_dtype: bool = True) -> Finding:
    """One tensor against its expected value (on the expected value's device type)."""
    if not isinstance(got, torch.Tensor):
        return Finding(label, Status.WRONG_STRUCTURE, f"expected a tensor, got {type_name(got)}")
    if tuple(got.shape) != tuple(expected.shape):
        return Finding(label, Status.WRONG_STRUCTURE, f"shape {tuple(got.shape)}, expected {tuple(expected.shape)}")
    if exact_dtype and got.dtype != expected.dtype:
        return Finding(label, Status.WRONG_STRUCTURE, f"dtype {dtype_name(got.dtype)}, expected "
                                                      f"{dtype_name(expected.dtype)} (the dtype of the inputs)")
    if got.device.type != expected.device.type:
        return Finding(label, Status.WRONG_STRUCTURE, f"on device {got.device.type}, expected "
                                                      f"{expected.device.type} (the device of the inputs)")
    if got.is_floating_point() and not bool(torch.isfinite(got).all()):
        bad = "nan" if bool(torch.isnan(got).any()) else "inf"
        return Finding(label, Status.NOT_FINITE, f"got {bad} - use a numerically stable form")
    if close(got, expected, tol):
        return Finding(label, Status.OK)
    diff, index = max_diff(got, expected)
    g, e = host64(got).to(torch.float64), host64(expected).to(torch.float64)
    at_got = float(g.reshape(-1)[0] if g.dim() == 0 else g[index])
    at_expected = float(e.reshape(-1)[0] if e.dim() == 0 else e[index])
    return Finding(label, Status.WRONG_VALUE, f"(atol {tol.atol:.0e}, rtol {tol.rtol:.0e})", diff, index,
                   at_got, at_expected)


def compare(got: Any, expected: Any, tol: Tolerance, names: tuple[str, ...] | None = None,
            label: str = "") -> list[tuple[Finding, Any, Any]]:
    """Walk expected's structure: [(finding, the got leaf, the expected leaf)] for every leaf."""
    label = label or "result"
    if isinstance(expected, torch.Tensor):
        return [(compare_tensor(label, got, expected, tol), got, expected)]
    if isinstance(expected, tuple):
        if not isinstance(got, (tuple, list)) or len(got) != len(expected):
            what = ", ".join(names) if names else f"{len(expected)} values"
            return [(Finding(label, Status.WRONG_STRUCTURE, f"expected a tuple ({what}), got {type_name(got)}"),
                     got, expected)]
        out = []
        for i, (g, e) in enumerate(zip(got, expected)):
            sub = names[i] if names and i < len(names) else f"{label}[{i}]"
            out += compare(g, e, tol, None, sub)
        return out
    if isinstance(expected, dict):
        if not isinstance(got, dict):
            return [(Finding(label, Status.WRONG_STRUCTURE, f"expected a dict with keys {sorted(expected)}, got "
                                                            f"{type_name(got)}"), got, expected)]
        if set(map(str, got)) != set(expected):
            return [(Finding(label, Status.WRONG_STRUCTURE, f"keys {sorted(map(str, got))}, expected "
                                                            f"{sorted(expected)}"), got, expected)]
        out = []
        for key in expected:
            out += compare(got[key], expected[key], tol, None, f"{label}[{key!r}]" if label != "result"
                           else f"[{key!r}]")
        return out
    # Python scalars (ints, strings) compare exactly; the type first (a tensor's == is no bool).
    ok = type(got) is type(expected) and got == expected
    return [(Finding(label, Status.OK if ok else Status.WRONG_VALUE,
                     "ok" if ok else f"got {got!r}, expected {expected!r}"), got, expected)]


def matches(got: Any, expected: Any, tol: Tolerance, names: tuple[str, ...] | None = None) -> bool:
    """Does got equal expected in every leaf, as compare() would say (used to recognise a known
    mistake; no messages are built, since a mismatch is the usual answer)?"""
    if isinstance(expected, torch.Tensor):
        return (isinstance(got, torch.Tensor) and tuple(got.shape) == tuple(expected.shape)
                and got.dtype == expected.dtype and got.device.type == expected.device.type
                and (not got.is_floating_point() or bool(torch.isfinite(got).all())) and close(got, expected, tol))
    if isinstance(expected, tuple):
        return (isinstance(got, (tuple, list)) and len(got) == len(expected)
                and all(matches(g, e, tol) for g, e in zip(got, expected)))
    if isinstance(expected, dict):
        return (isinstance(got, dict) and set(map(str, got)) == set(expected)
                and all(matches(got[k], expected[k], tol) for k in expected))
    return type(got) is type(expected) and got == expected
