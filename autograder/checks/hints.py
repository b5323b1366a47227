"""Hints read from the shape of an error in one tensor.

A factor of N or 2, a flipped sign, a transpose, (N,) against (N, 1) broadcasting. Known
mistakes with their own signatures are matched by judging.py against precomputed outputs.
"""

from __future__ import annotations

from typing import Any

import torch

from .compare import host64

# A factor is only claimed when the two candidates clearly differ; this keeps "factor of 2"
# from firing on an all-zero gradient.
HINT_RTOL = 1e-3


def generic_hints(got: Any, expected: Any, n: int | None) -> list[str]:
    """Hints for one failed tensor; n is the batch size N of the case (None when there is none)."""
    if not isinstance(got, torch.Tensor) or not isinstance(expected, torch.Tensor):
        return []
    g, e = host64(got).to(torch.float64), host64(expected).to(torch.float64)
    if g.shape != e.shape:
        return _shape_hints(g, e)
    if not bool(torch.isfinite(g).all()) or e.numel() == 0 or float(e.abs().max()) == 0:
        return []
    candidates = [(-1.0, "the sign is flipped - check the order in (y - t) or the direction of the step")]
    if n and n > 1:
        candidates += [(float(n), "your result is exactly N times the expected one - did you forget to average "
                                  "over the batch (1/N)?"),
                       (1.0 / n, "your result is 1/N of the expected one - did you divide by N twice?")]
    candidates += [(2.0, "your result is exactly twice the expected one - check the factor 1/2 in the cost"),
                   (0.5, "your result is half the expected one - did you include a factor 1/2 that cancels?")]
    for factor, hint in candidates:
        if bool(torch.allclose(g, factor * e, rtol=HINT_RTOL, atol=1e-12)) and \
                not bool(torch.allclose(e, factor * e, rtol=HINT_RTOL)):
            return [hint]
    return []


def _shape_hints(g: torch.Tensor, e: torch.Tensor) -> list[str]:
    if g.dim() == e.dim() == 2 and g.shape == e.shape[::-1] and e.shape[0] != e.shape[1]:
        if bool(torch.allclose(g.T, e, rtol=HINT_RTOL, atol=1e-8)):
            return ["your result is the transpose of the expected one - check which side X and W.T go on"]
        return [f"shape {tuple(g.shape)} is the transpose of {tuple(e.shape)} - a gradient has the shape of "
                "its parameter"]
    if e.dim() == 0 and g.numel() == 1:
        return ["return a 0-dim tensor (e.g. .sum() or .mean() without keepdim, or .reshape(()))"]
    if g.numel() == e.numel():
        return [f"shape {tuple(g.shape)} instead of {tuple(e.shape)} - watch (N,) against (N, 1) broadcasting; "
                "squeeze or index the extra dimension away"]
    if g.dim() == 2 and e.dim() == 1 and g.shape[0] == g.shape[1] == e.shape[0]:
        return ["an (N,) and an (N, 1) tensor broadcast to (N, N) - keep both one-dimensional"]
    return []
