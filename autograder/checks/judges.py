"""Judges: how one case's returned value is held against the expected one.

A part's judge is a small typed object whose fields are plain data, so the notebook's
setup cell can carry it (``to_data``) and rebuild it (``judge_from_data``): the grader
and check() judge every public case with the same code. Judges compare values and check
structure; the judges that evaluate a returned model live in model_judges.py. None of
them contains a graded function's algorithm.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar

import torch

from .compare import Tolerance, compare, compare_tensor, host64
from .hints import generic_hints
from .values import Call, batch_size_of, type_name
from .verdict import Finding, Status



@dataclass
class Judged:
    findings: list[Finding]
    hints: list[str] = field(default_factory=list)


def _fail(label: str, message: str, status: Status = Status.WRONG_VALUE) -> Finding:
    return Finding(label, status, message)


@dataclass(frozen=True)
class Judge:
    """Compare every returned value with the expected one; hints from the shape of each error."""

    kind: ClassVar[str] = "values"
    names: tuple[str, ...] | None = None   # labels of a returned tuple's entries

    def judge(self, call: Call, got: Any, expected: Any, tol: Tolerance) -> Judged:
        leaves = compare(got, expected, tol, self.names)
        hints = [h for f, g, e in leaves if not f.ok for h in generic_hints(g, e, batch_size_of(call))]
        return Judged([f for f, _, _ in leaves], hints)

    def mistake_view(self, got: Any) -> Any:
        """The part of a returned value that is held against a known mistake's output."""
        return got

    def to_data(self) -> dict[str, Any]:
        data = {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(self).items()}
        return {"kind": self.kind, **data}


@dataclass(frozen=True)
class Descent(Judge):
    """Full-batch gradient descent from zeros, judged step for step: (w, b, costs) on the reference path.

    w and b must match; a float32 cost history is accepted for float64 inputs (its values still count).
    """

    kind: ClassVar[str] = "descent"
    names: tuple[str, ...] | None = ("w", "b", "costs")

    def judge(self, call: Call, got: Any, expected: Any, tol: Tolerance) -> Judged:
        if not isinstance(got, (tuple, list)) or len(got) != 3:
            return Judged([_fail("result", f"expected a tuple (w, b, costs), got {type_name(got)}",
                                 Status.WRONG_STRUCTURE)])
        findings = [compare_tensor(label, g, e, tol) for label, g, e in zip(("w", "b"), got[:2], expected[:2])]
        costs, e_costs = got[2], expected[2]
        if isinstance(costs, torch.Tensor) and costs.is_floating_point() and costs.dtype != e_costs.dtype:
            costs = costs.to(e_costs.dtype)
        found = compare_tensor("costs", costs, e_costs, tol)
        if not found.ok and isinstance(got[2], (list, tuple)):
            found = Finding("costs", found.status, found.message + " - return the costs as one 1-D tensor "
                                                                   "(e.g. torch.stack(costs))")
        findings.append(found)
        n = batch_size_of(call)
        hints = [h for f, g, e in zip(findings, got, expected) if not f.ok for h in generic_hints(g, e, n)]
        return Judged(findings, hints)


@dataclass(frozen=True)
class ForwardPair(Judge):
    """A forward layer returns (output, cache); only the output is compared (any cache is accepted)."""

    kind: ClassVar[str] = "forward"
    function: str = ""
    output: str = "Z"

    def judge(self, call: Call, got: Any, expected: Any, tol: Tolerance) -> Judged:
        if isinstance(got, torch.Tensor):
            return Judged([_fail("result", f"returned a single tensor - {self.function} returns a pair "
                                           f"({self.output}, cache): the output and whatever your backward "
                                           "function will need", Status.WRONG_STRUCTURE)])
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            return Judged([_fail("result", f"expected a pair ({self.output}, cache), got {type_name(got)}",
                                 Status.WRONG_STRUCTURE)])
        found = compare_tensor(self.output, got[0], expected, tol)
        return Judged([found], [] if found.ok else generic_hints(got[0], expected, batch_size_of(call)))

    def mistake_view(self, got: Any) -> Any:
        return got[0] if isinstance(got, (tuple, list)) and len(got) == 2 else got


@dataclass(frozen=True)
class ActivationBackward(Judge):
    """dZ as autograd gives it; with kink_at_zero (ReLU), where Z is exactly 0, dH is accepted too."""

    kind: ClassVar[str] = "activation_backward"
    kink_at_zero: bool = False

    def judge(self, call: Call, got: Any, expected: Any, tol: Tolerance) -> Judged:
        Z, dH = call.args[0], call.args[-1]
        if (self.kink_at_zero and isinstance(got, torch.Tensor) and tuple(got.shape) == tuple(expected.shape)
                and bool((Z == 0).any())):
            g, e, u = host64(got), host64(expected), host64(dH)
            took_one = (Z == 0).cpu() & ((g - u).abs() < (g - e).abs())
            expected = torch.where(took_one, u, e).to(expected.device, expected.dtype)
        found = compare_tensor("dZ", got, expected, tol)
        return Judged([found], [] if found.ok else generic_hints(got, expected, batch_size_of(call)))


JUDGES: dict[str, type[Judge]] = {}  # a registry, filled at import by register() (here and in model_judges.py)


def register(cls: type[Judge]) -> type[Judge]:
    """Make a judge class known to judge_from_data (model_judges.py registers its own on import)."""
    JUDGES[cls.kind] = cls
    return cls


for _cls in (Judge, Descent, ForwardPair, ActivationBackward):
    register(_cls)


def judge_from_data(data: dict[str, Any]) -> Judge:
    """The judge that to_data() described (the notebook rebuilds its parts' judges this way)."""
    fields = {k: (tuple(v) if isinstance(v, list) else v) for k, v in data.items() if k != "kind"}
    return JUDGES[data["kind"]](**fields)
