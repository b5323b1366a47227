"""One submission's scores: what the batch-level writers (grades.csv, the summary, the score table) need.

A worker grades a submission, writes the student's own files from the full result, and hands
the grader only this row, so the grader's memory grows by a few hundred bytes a submission
however many cases an assignment has.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..checks.verdict import PartVerdict


@dataclass(frozen=True)
class PartScore:
    name: str
    points: float
    score: float
    hints: tuple[str, ...] = ()

    @classmethod
    def of(cls, part: PartVerdict) -> "PartScore":
        return cls(part.name, float(part.points), float(part.score), tuple(part.hints))


class Totals:
    """A submission's total and its most, from its parts (each with a score and points)."""

    parts: "tuple[PartScore, ...] | list[PartVerdict]"

    @property
    def score(self) -> float:
        return round(sum(p.score for p in self.parts), 4)

    @property
    def max_score(self) -> float:
        return sum(p.points for p in self.parts)


@dataclass(frozen=True)
class ScoreRow(Totals):
    """A submission's name (its results folder and grades.csv row), its parts' scores, and whether it was graded."""

    name: str
    parts: tuple[PartScore, ...]
    error: str | None = None       # not graded at all, and why
    grader_failed: bool = False    # ... because the grader failed (ours to fix), not the file

    @classmethod
    def of(cls, name: str, parts: list[PartVerdict], error: str | None, grader_failed: bool) -> "ScoreRow":
        return cls(name, tuple(PartScore.of(p) for p in parts), error, grader_failed)


@dataclass(frozen=True)
class Graded:
    """A worker's report on one submission: its number in the batch, its row, the grader's own failure if any."""

    index: int
    row: ScoreRow
    failure: str | None = None
