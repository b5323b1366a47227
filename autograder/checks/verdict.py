"""Verdicts as data: what a check found, per value, per case and per part.

Every output (the notebook's check(), the CLI, results.json, feedback pages, the batch
summary, regrade records) is rendered from these objects by report.py; nothing downstream
reads structure back out of text. Whether a case is hidden is a field, never a wording.
Standard library only: the notebook's setup cell ships this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any


class Status(str, Enum):
    """The fixed set of things a case (or a compared value) can come to."""

    OK = "ok"
    WRONG_VALUE = "wrong value"
    WRONG_STRUCTURE = "wrong shape/dtype/device"
    NOT_FINITE = "not finite"
    MODIFIED_INPUT = "modified input"
    ERROR = "error"
    TIMEOUT = "timeout"
    NOT_IMPLEMENTED = "not implemented"
    RULE_BROKEN = "rule broken"


@dataclass(frozen=True)
class Finding:
    """One judged value of a case: a tensor, a returned entry, or a property such as 'cost reached'."""

    label: str
    status: Status
    message: str = "ok"
    max_diff: float | None = None        # the largest |got - expected| ...
    at: tuple[int, ...] | None = None    # ... and where it is
    got: float | None = None             # the two values there (shown for public cases only)
    expected: float | None = None

    @property
    def ok(self) -> bool:
        return self.status is Status.OK

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "status": self.status.value, "message": self.message,
                "max_diff": self.max_diff, "at": list(self.at) if self.at is not None else None,
                "got": self.got, "expected": self.expected}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Finding":
        at = data.get("at")
        return cls(str(data["label"]), Status(data["status"]), str(data["message"]), data.get("max_diff"),
                   tuple(int(i) for i in at) if at is not None else None, data.get("got"), data.get("expected"))


@dataclass(frozen=True)
class CaseVerdict:
    """One case of one part: its label, whether it is hidden, what was found, and hints."""

    label: str
    hidden: bool
    status: Status
    findings: tuple[Finding, ...] = ()
    message: str | None = None           # for a case that produced no value: the error, the time-out ...
    hints: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return self.status is Status.OK

    @property
    def failures(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if not f.ok)

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "hidden": self.hidden, "status": self.status.value,
                "findings": [f.to_dict() for f in self.findings], "message": self.message,
                "hints": list(self.hints)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "CaseVerdict":
        return cls(str(data["label"]), bool(data["hidden"]), Status(data["status"]),
                   tuple(Finding.from_dict(f) for f in data.get("findings", [])), data.get("message"),
                   tuple(str(h) for h in data.get("hints", [])))


@dataclass(frozen=True)
class PartVerdict:
    """One graded function: its score, its cases, and a problem that concerns the whole part.

    ``problem`` is set when the part could not be judged case by case (the function is
    missing, the submission could not be read) or earned nothing for another reason
    (``status`` RULE_BROKEN: a banned call); the case verdicts are kept either way.
    """

    name: str
    points: float
    score: float
    cases: tuple[CaseVerdict, ...] = ()
    problem: str | None = None
    status: Status | None = None         # set with problem: ERROR, NOT_IMPLEMENTED or RULE_BROKEN

    @property
    def passed(self) -> int:
        return 0 if self.status is Status.RULE_BROKEN else sum(c.passed for c in self.cases)

    @property
    def total(self) -> int:
        return len(self.cases)

    @property
    def public(self) -> tuple[CaseVerdict, ...]:
        return tuple(c for c in self.cases if not c.hidden)

    @property
    def hidden(self) -> tuple[CaseVerdict, ...]:
        return tuple(c for c in self.cases if c.hidden)

    @property
    def hints(self) -> list[str]:
        """Every hint once, public cases first (the order the cases ran)."""
        return list(dict.fromkeys(h for c in self.cases for h in c.hints))

    @property
    def public_hints(self) -> list[str]:
        return list(dict.fromkeys(h for c in self.public for h in c.hints))

    @property
    def full_marks(self) -> bool:
        return self.score >= self.points

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "points": self.points, "score": self.score,
                "cases": [c.to_dict() for c in self.cases], "problem": self.problem,
                "status": self.status.value if self.status is not None else None}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "PartVerdict":
        status = data.get("status")
        return cls(str(data["name"]), float(data["points"]), float(data["score"]),
                   tuple(CaseVerdict.from_dict(c) for c in data.get("cases", [])), data.get("problem"),
                   Status(status) if status is not None else None)


def score_part(name: str, points: float, cases: list[CaseVerdict] | tuple[CaseVerdict, ...],
               problem: str | None = None, status: Status | None = None) -> PartVerdict:
    """Partial credit: points times the share of cases passed; nothing when the rules were broken
    or the part has a problem that stopped it from running."""
    cases = tuple(cases)
    earns = status is None and problem is None and cases
    score = round(points * sum(c.passed for c in cases) / len(cases), 2) if earns else 0.0
    return PartVerdict(name, float(points), score, cases, problem, status)


def zero_part(name: str, points: float, problem: str, status: Status = Status.ERROR) -> PartVerdict:
    """A part that earns nothing without running (an unreadable submission, a missing function)."""
    return PartVerdict(name, float(points), 0.0, (), problem, status)
