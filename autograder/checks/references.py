"""Helpers for writing references in assignments/<id>/checks.py (grader and release only)."""

from __future__ import annotations

import functools
from typing import Any, Callable

import torch

from .values import map_tensors, tensors_in


def in_float64(reference: Callable[..., Any]) -> Callable[..., Any]:
    """Run a reference in float64 on the CPU; cast floating results back to the inputs' dtype and device.

    The truth for a float32 case is computed in float64, so a float32 answer is judged
    against the exact value, not against torch's own float32 rounding.
    """
    @functools.wraps(reference)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        tensors = tensors_in((args, kwargs))
        floats = [t for t in tensors if t.is_floating_point()]
        dtype = floats[0].dtype if floats else None
        device = tensors[0].device if tensors else torch.device("cpu")
        to64 = lambda t: t.detach().to("cpu", torch.float64) if t.is_floating_point() else t.detach().to("cpu")
        out = reference(*map_tensors(args, to64), **map_tensors(kwargs, to64))
        back = lambda t: (t.detach().to(device, dtype) if (t.is_floating_point() and dtype is not None)
                          else t.detach().to(device))
        return map_tensors(out, back)
    return wrapped


def autograd_grads(loss_fn: Callable[..., torch.Tensor], args: tuple | list, wrt: tuple[int, ...]) -> tuple:
    """Gradients of loss_fn(*args) with respect to args[i] for i in wrt, by torch.autograd.grad."""
    leaves = [a.detach().clone().requires_grad_(True) if i in wrt else a for i, a in enumerate(args)]
    loss = loss_fn(*leaves)
    grads = torch.autograd.grad(loss, [leaves[i] for i in wrt])
    return tuple(g.detach() for g in grads)


def on_one_thread(function: Callable[..., Any]) -> Callable[..., Any]:
    """Run function on one CPU thread: many tiny ops only lose time to thread hand-offs, badly so on a
    busy machine (the thread count is restored afterwards)."""
    @functools.wraps(function)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        before = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            return function(*args, **kwargs)
        finally:
            torch.set_num_threads(before)
    return wrapped
