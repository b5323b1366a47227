"""The judge of a closed-form fit: any minimiser of linear regression's cost is accepted.

Evaluation goes through objectives.py (banned calls only). Importing this module registers the
judge with judges.judge_from_data. The notebook carries it only for assignments that use it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

from . import objectives
from .compare import Tolerance, compare_tensor
from .judges import Judge, Judged, _fail, register
from .values import Call, type_name
from .verdict import Finding, Status


@dataclass(frozen=True)
class Minimiser(Judge):
    """Any minimiser of linear regression's cost is accepted: judged by the cost it reaches."""

    kind: ClassVar[str] = "minimiser"
    names: tuple[str, ...] | None = ("w", "b")

    def judge(self, call: Call, got: Any, expected: Any, tol: Tolerance) -> Judged:
        labels = self.names or ("w", "b")
        if not isinstance(got, (tuple, list)) or len(got) != len(expected):
            return Judged([_fail("result", f"expected a tuple ({', '.join(labels)}), got {type_name(got)}",
                                 Status.WRONG_STRUCTURE)])
        findings = [f for f in (compare_tensor(label, g, e, tol) for label, g, e in zip(labels, got, expected))
                    if f.status is not Status.OK and f.status is not Status.WRONG_VALUE]
        if findings:
            return Judged(findings)
        X, t = call.args[:2]
        got_cost = objectives.least_squares_cost(X, t, *got)
        best_cost = objectives.least_squares_cost(X, t, *expected)
        if not math.isfinite(got_cost) or got_cost > best_cost + tol.atol + tol.rtol * abs(best_cost):
            # The minimum itself is not printed: for a hidden case it is an expected value.
            return Judged([_fail("cost", f"reaches cost {got_cost:.6g}, which is above the minimum by more than "
                                         f"the tolerance (atol {tol.atol:.0e}, rtol {tol.rtol:.0e})")])
        return Judged([Finding("cost", Status.OK)])


register(Minimiser)
