"""Run-time tripwires on the calls graded code must not make (the rules in docs/curriculum.md).

Each banned callable is replaced by a wrapper that records its name and then
does the real work, so the student's code behaves as it would, and the record
travels back with the case. Obfuscated access such as
``getattr(torch.autograd, "gr" + "ad")`` still lands on a wrapper. The static
scan in autograder/rules.py covers the same rules by reading the code.
"""

from __future__ import annotations

import functools
from typing import Any, Callable

import torch

# (owner, attribute, the name the feedback uses)
_FUNCTIONS = [
    (torch, "sigmoid", "torch.sigmoid"),
    (torch, "sigmoid_", "torch.sigmoid_"),
    (torch, "softmax", "torch.softmax"),
    (torch, "log_softmax", "torch.log_softmax"),
    (torch, "logsumexp", "torch.logsumexp"),
    (torch.special, "expit", "torch.special.expit"),
    (torch.special, "softmax", "torch.special.softmax"),
    (torch.special, "log_softmax", "torch.special.log_softmax"),
    (torch.special, "logsumexp", "torch.special.logsumexp"),
    (torch.autograd, "grad", "torch.autograd.grad"),
    (torch.autograd, "backward", "torch.autograd.backward"),
    (torch.Tensor, "backward", "Tensor.backward()"),
    (torch.Tensor, "sigmoid", "Tensor.sigmoid()"),
    (torch.Tensor, "sigmoid_", "Tensor.sigmoid_()"),
    (torch.Tensor, "softmax", "Tensor.softmax()"),
    (torch.Tensor, "log_softmax", "Tensor.log_softmax()"),
    (torch.Tensor, "logsumexp", "Tensor.logsumexp()"),
    (torch.nn.Module, "__call__", "torch.nn modules"),
    (torch.autograd.Function, "apply", "torch.autograd.Function"),
]
# Whole namespaces whose every public callable is banned.
_NAMESPACES = [
    (torch.nn.functional, "torch.nn.functional"),
    (torch.func, "torch.func"),
    (torch.autograd.functional, "torch.autograd.functional"),
]

_installed = False
_originals: list[tuple[object, str, object]] = []


def _wrap(fn: Callable, label: str, hits: list[str]) -> Callable:
    @functools.wraps(fn)
    def tripwire(*args: Any, **kwargs: Any) -> Any:
        hits.append(label)
        return fn(*args, **kwargs)
    return tripwire


def install(hits: list[str]) -> None:
    """Wrap every banned callable so that calling it appends its name to hits."""
    global _installed
    if _installed:
        return
    for owner, attr, label in _FUNCTIONS:
        fn = getattr(owner, attr, None)
        if fn is not None:
            _originals.append((owner, attr, fn))
            setattr(owner, attr, _wrap(fn, label, hits))
    for module, prefix in _NAMESPACES:
        for attr in dir(module):
            fn = getattr(module, attr)
            if attr.startswith("_") or not callable(fn) or isinstance(fn, type):
                continue
            _originals.append((module, attr, fn))
            setattr(module, attr, _wrap(fn, f"{prefix}.{attr}", hits))
    _installed = True


def uninstall() -> None:
    """Put the real callables back (for runs that must not be watched, e.g. the reference)."""
    global _installed
    for owner, attr, fn in reversed(_originals):
        setattr(owner, attr, fn)
    _originals.clear()
    _installed = False
