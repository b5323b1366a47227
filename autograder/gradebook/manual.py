"""Manual scores of written answers: a CSV student,question,points,max_points per assignment.

A TA grades the printable answers pages (``grade`` writes OUT/<student>/answers.html) and
fills one row per student and question. ``max_points`` is what the question is worth; it
must be the same on every row of a question. The gradebook adds each student's points to
the autograded score and the questions' worth to the max_score before the mark out of 100.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from ..errors import KitError
from .inputs import _csv_rows

MANUAL_COLUMNS = ("student", "question", "points", "max_points")


@dataclass(frozen=True)
class ManualScore:
    points: Decimal       # the student's points over all questions
    max_points: Decimal   # what all questions are worth


def read_manual(path: Path, graded: Mapping[str, object], assignment: str) -> dict[str, ManualScore]:
    """Student -> their written answers' points and worth; every student in ``graded`` (the
    assignment's grades.csv rows) must have a row for every question, and no one else may."""
    worth: dict[str, tuple[Decimal, int]] = {}          # question -> (max_points, line first seen)
    seen: dict[tuple[str, str], int] = {}
    points: dict[str, Decimal] = {}
    for line, row in _csv_rows(path, MANUAL_COLUMNS, "manual-scores file"):
        student, question = row["student"], row["question"]

        def fail(message: str) -> KitError:
            return KitError(message, path=path, line=line)

        if not student:
            raise fail("the student column is blank")
        if not question:
            raise fail(f"the question column is blank (student {student!r})")
        if student not in graded:
            raise fail(f"student {student!r} has no row in the grades file of {assignment!r}")
        if (student, question) in seen:
            raise fail(f"second row for student {student!r} and question {question!r} "
                       f"(the first is on line {seen[student, question]})")
        seen[student, question] = line
        top = _number(row["max_points"], "max_points", student, question, fail)
        if top <= 0:
            raise fail(f"max_points {row['max_points']!r} of question {question!r} must be more than 0")
        if question in worth and worth[question][0] != top:
            raise fail(f"max_points {row['max_points']!r} of question {question!r} differs from "
                       f"{worth[question][0]} on line {worth[question][1]}")
        worth.setdefault(question, (top, line))
        got = _number(row["points"], "points", student, question, fail)
        if not 0 <= got <= top:
            raise fail(f"points {row['points']!r} of student {student!r} for question {question!r} "
                       f"is outside 0 to {row['max_points']}")
        points[student] = points.get(student, Decimal(0)) + got
    for student in graded:
        for question in worth:
            if (student, question) not in seen:
                raise KitError(f"student {student!r} has no score for question {question!r} of {assignment!r}; "
                               "add a row (points 0 if nothing was answered)", path=path)
    total = sum((w for w, _ in worth.values()), Decimal(0))
    return {s: ManualScore(points.get(s, Decimal(0)), total) for s in graded} if worth else {}


def _number(text: str, column: str, student: str, question: str, fail) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        raise fail(f"{column} {text!r} of student {student!r} for question {question!r} is not a number")
    return value
