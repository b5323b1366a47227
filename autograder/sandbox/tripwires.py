"""Run-time tripwires on the calls graded code must not make (the table in autograder/checks/rules.py).

Each banned callable is replaced by a wrapper that records its name and then does the real
work, so the student's code behaves as it would, and the record travels back with the case.
Obfuscated access such as ``getattr(torch.autograd, "gr" + "ad")`` still lands on a wrapper.
They are defence in depth: the rules are enforced on the source by the allowlist verifier
(autograder/checks/verifier.py) before any code runs; this table says what the tripwires wrap.
"""

from __future__ import annotations

import functools
import importlib
from typing import Any, Callable, Protocol

import torch

from ..checks.rules import BANNED


class Hits(Protocol):
    """Where a tripwire records that it fired (the child's report, which writes it to the grader at once)."""

    def append(self, label: str) -> None: ...


def _resolve(dotted: str) -> tuple[object, str] | None:
    """(owner, attribute) of a dotted name such as 'torch.nn.Module.__call__'; None if torch lacks it."""
    owner_path, attr = dotted.rsplit(".", 1)
    parts = owner_path.split(".")
    try:
        owner: Any = importlib.import_module(parts[0])
        for part in parts[1:]:
            owner = getattr(owner, part)
    except (ImportError, AttributeError):
        return None
    return (owner, attr) if hasattr(owner, attr) or attr == "*" else None


def _targets() -> list[tuple[object, str, str]]:
    """(owner, attribute, the name the feedback uses) for every callable the table bans."""
    out: list[tuple[object, str, str]] = []
    for ban in BANNED:
        if not ban.wired:
            continue
        if ban.kind == "method":
            out.append((torch.Tensor, ban.name, f"Tensor.{ban.name}()"))
            continue
        for dotted in (ban.tripwires or (ban.name,)):
            found = _resolve(dotted)
            if found is None:
                continue
            owner, attr = found
            if attr != "*":
                out.append((owner, attr, dotted))
                continue
            prefix = dotted[:-2]
            for name in dir(owner):
                fn = getattr(owner, name)
                if not name.startswith("_") and callable(fn) and not isinstance(fn, type):
                    out.append((owner, name, f"{prefix}.{name}"))
    return out


def labels() -> frozenset[str]:
    """The names the tripwires report: the parent accepts these and nothing else from a child."""
    return frozenset(label for _, _, label in _targets())


def _wrap(fn: Callable, label: str, hits: Hits) -> Callable:
    @functools.wraps(fn)
    def tripwire(*args: Any, **kwargs: Any) -> Any:
        hits.append(label)
        return fn(*args, **kwargs)
    del tripwire.__wrapped__  # wraps() would leave the real callable one attribute away
    return tripwire


class Tripwires:
    """Every banned callable wrapped so that calling it records its name in hits, until uninstalled.

    Installed once in the zygote, so every child it forks starts with them; a run that must not be
    watched (the reference) takes them out in its own child.
    """

    def __init__(self, hits: Hits) -> None:
        self.hits = hits
        self._originals: list[tuple[object, str, object]] = []  # (owner, attribute, the real callable)

    def install(self) -> None:
        if self._originals:
            return
        for owner, attr, label in _targets():
            fn = getattr(owner, attr, None)
            if fn is not None:
                self._originals.append((owner, attr, fn))
                setattr(owner, attr, _wrap(fn, label, self.hits))

    def uninstall(self) -> None:
        """Put the real callables back."""
        for owner, attr, fn in reversed(self._originals):
            setattr(owner, attr, fn)
        self._originals.clear()
