"""Manual scores of written answers: a CSV student,question,points,max_points per assignment.

A TA grades the printable answers pages (``grade`` writes OUT/<student>/answers.html) and
fills one row per student and question. The question is named by its id, as the page heads it
("Question 1 (q1)": ``q1``), or by its number (``1``); either must be one of the assignment's
questions (its notebook source's answer cells, release/questions.py), so a typo cannot score
a question the assignment does not have. ``max_points`` is what the question is worth; it
must be the same on every row of a question, and the points spec.toml's [[questions]] gives it,
if it gives any. The gradebook adds each student's points to the autograded score and the
questions' worth to the max_score before the mark out of 100.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from ..errors import KitError
from ..layout import Layout
from ..release.notebook_source import parse_notebook_source
from ..sourcefile import SourceFile
from ..spec import load_spec
from ..tomlfile import did_you_mean
from .inputs import _csv_rows
from .room_scores import is_room, read_room_scores

MANUAL_COLUMNS = ("student", "question", "points", "max_points")
MAX_POINTS = Decimal(1_000_000)  # a question's worth beyond this is a typo (1e999 would overflow the sums)


@dataclass(frozen=True)
class ManualScore:
    points: Decimal       # the student's points over all questions
    max_points: Decimal   # what all questions are worth


def read_manual(layout: Layout, path: Path, graded: Mapping[str, object], assignment: str) -> dict[str, ManualScore]:
    """Student -> their written answers' points and worth; every student in ``graded`` (the
    assignment's grades.csv rows) must have a row for every question, and no one else may.
    A question is the id or the number of one of the assignment's questions (question_ids).
    ``path`` may instead be a grading room (a results folder holding grading-room.sqlite, or that file):
    its scores are read directly (room_scores.py)."""
    if is_room(path):
        room = read_room_scores(layout, path, graded, assignment)
        return {s: ManualScore(got, top) for s, (got, top) in room.items()}
    ids = question_ids(layout, assignment)
    spec = load_spec(layout, assignment)  # its [[questions]]' points: a row's max_points must be those
    worth: dict[str, tuple[Decimal, int]] = {}          # question id -> (max_points, line first seen)
    named: dict[str, str] = {}                          # question id -> as the file first writes it
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
        qid = _question_id(question, ids, assignment, fail)
        if (student, qid) in seen:
            raise fail(f"second row for student {student!r} and question {question!r} "
                       f"(the first is on line {seen[student, qid]})")
        seen[student, qid] = line
        named.setdefault(qid, question)
        top = _number(row["max_points"], "max_points", student, question, fail)
        if top <= 0:
            raise fail(f"max_points {row['max_points']!r} of question {question!r} must be more than 0")
        if qid in worth and worth[qid][0] != top:
            raise fail(f"max_points {row['max_points']!r} of question {question!r} differs from "
                       f"{worth[qid][0]} on line {worth[qid][1]}")
        worth.setdefault(qid, (top, line))
        got = _number(row["points"], "points", student, question, fail)
        if not 0 <= got <= top:
            raise fail(f"points {row['points']!r} of student {student!r} for question {question!r} "
                       f"is outside 0 to {row['max_points']}")
        given = spec.question(qid)
        if given is not None and top != Decimal(repr(given.points)):
            raise fail(f"max_points {row['max_points']!r} of question {question!r} is not the {given.points:g} "
                       f"points spec.toml gives it ({spec.question_where(qid)}): write {given.points:g}")
        points[student] = points.get(student, Decimal(0)) + got
    for student in graded:
        for qid in worth:
            if (student, qid) not in seen:
                raise KitError(f"student {student!r} has no score for question {named[qid]!r} of {assignment!r}; "
                               "add a row (points 0 if nothing was answered)", path=path)
    total = sum((w for w, _ in worth.values()), Decimal(0))
    return {s: ManualScore(points.get(s, Decimal(0)), total) for s in graded} if worth else {}


def question_ids(layout: Layout, assignment: str) -> list[str]:
    """The ids of the assignment's written questions, in order (from its notebook source); KitError when the
    source is missing (the question column cannot be checked without it)."""
    source = layout.notebook_source_file(assignment)
    if not source.is_file():
        raise KitError(f"--manual {assignment}=...: the question column cannot be checked, since "
                       f"{layout.shown(source)} (which holds the assignment's questions) does not exist")
    return [q.id for q in parse_notebook_source(SourceFile.read(layout, source)).questions]


def _question_id(question: str, ids: list[str], assignment: str, fail) -> str:
    """The id a row's question column names: an id (q1) or a number (1); else a KitError naming the known ids."""
    if question in ids:
        return question
    # ASCII digits only, and few: '²' is a digit to isdigit() but not to int(), and int() refuses 5,000 digits
    if question.isascii() and question.isdigit() and len(question) <= 6 and 1 <= int(question) <= len(ids):
        return ids[int(question) - 1]
    known = ", ".join(ids) if ids else "none: its notebook source has no answer cells"
    numbers = f" or their numbers 1 to {len(ids)}" if ids else ""
    raise fail(f"question {question!r} is not a question of {assignment!r}{did_you_mean(question, ids)} "
               f"(its question ids: {known}{numbers})")


def _number(text: str, column: str, student: str, question: str, fail) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        raise fail(f"{column} {text!r} of student {student!r} for question {question!r} is not a number")
    if value.copy_abs() > MAX_POINTS:  # (abs() would round, and overflow on 1e999999999)
        raise fail(f"{column} {text!r} of student {student!r} for question {question!r} is beyond the "
                   f"{MAX_POINTS:,} points a question can be worth")
    return value
