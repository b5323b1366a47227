"""Reading the gradebook's inputs: grades.csv files, the submission-times CSV, a roster.

Each reader checks what it can see in its own file and raises a KitError naming the file, the
line (the header is line 1) and the offending value. Checks that need two files at once (a
student with a grades row but no time) live in build.py.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import zoneinfo
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from ..errors import KitError
from ..escaping import csv_value
from .lateness import percent
from .specs import GradesSpec, check_part_columns, check_row

GRADES_COLUMNS = ("submission", "score", "max_score")
TIMES_COLUMNS = ("student", "assignment", "submitted_at")
ROSTER_COLUMNS = ("student",)


@dataclass(frozen=True)
class GradeRow:
    mark: Decimal   # out of 100, 2 decimals
    line: int
    score: Decimal = Decimal(0)       # as in the file, for adding manual scores before the mark
    max_score: Decimal = Decimal(1)


@dataclass(frozen=True)
class TimeRow:
    submitted_at: dt.datetime
    line: int


def read_grades(path: Path, expected: GradesSpec | None = None) -> dict[str, GradeRow]:
    """Each submission's mark out of 100 from a grades.csv written by ``grade --out DIR``; with
    ``expected`` (specs.grades_spec), checked against the assignment's parts, points and total."""
    rows: dict[str, GradeRow] = {}

    def check_header(header: list[str]) -> None:
        if expected is not None:
            check_part_columns(path, header, expected)

    for line, row in _csv_rows(path, GRADES_COLUMNS, "grades file", check_header=check_header):
        student = row["submission"]
        if not student:
            raise KitError("the submission column is blank", path=path, line=line)
        if student in rows:
            raise KitError(f"second row for submission {student!r} (the first is on line {rows[student].line})",
                           path=path, line=line)
        score = _number(row["score"], "score", student, path, line)
        max_score = _number(row["max_score"], "max_score", student, path, line)
        if max_score <= 0:
            raise KitError(f"max_score {row['max_score']!r} of submission {student!r} must be more than 0",
                           path=path, line=line)
        if not 0 <= score <= max_score:
            raise KitError(f"score {row['score']!r} of submission {student!r} is outside 0 to its max_score "
                           f"{row['max_score']!r}", path=path, line=line)
        if expected is not None:
            check_row(path, line, student, row, max_score, expected)
        rows[student] = GradeRow(percent(score, max_score), line, score, max_score)
    return rows


def read_roster(path: Path) -> dict[str, int]:
    """Student id -> line, from a CSV with a ``student`` column (other columns are ignored)."""
    students: dict[str, int] = {}
    for line, row in _csv_rows(path, ROSTER_COLUMNS, "roster file"):
        student = row["student"]
        if not student:
            raise KitError("the student column is blank", path=path, line=line)
        if student in students:
            raise KitError(f"student {student!r} is listed twice (first on line {students[student]})",
                           path=path, line=line)
        students[student] = line
    return students


def read_times(path: Path, *, students: set[str], assignments: Sequence[str], zone: zoneinfo.ZoneInfo,
               roster: Path | None = None) -> dict[tuple[str, str], TimeRow]:
    """(student, assignment) -> submission time, from a CSV student,assignment,submitted_at.

    ``students`` are the known students (the roster's, or everyone in a grades file when
    ``roster`` is None); ``assignments`` the known assignment ids. Every time must carry the
    UTC offset that ``zone`` had at that instant.
    """
    times: dict[tuple[str, str], TimeRow] = {}
    for line, row in _csv_rows(path, TIMES_COLUMNS, "submission-times file"):
        student, assignment, text = row["student"], row["assignment"], row["submitted_at"]

        def fail(message: str) -> KitError:
            return KitError(message, path=path, line=line)

        if not student:
            raise fail("the student column is blank")
        if student not in students:
            where = f"not in the roster {roster}" if roster else "in none of the grades files and no roster was given"
            raise fail(f"unknown student {student!r}: {where}")
        if assignment not in assignments:
            raise fail(f"unknown assignment {assignment!r}{did_you_mean(assignment, assignments)} "
                       f"(known: {', '.join(assignments)})")
        key = (student, assignment)
        if key in times:
            raise fail(f"second row for student {student!r} and assignment {assignment!r} "
                       f"(the first is on line {times[key].line})")
        if not text:
            raise fail(f"missing submitted_at for student {student!r} and assignment {assignment!r}")
        times[key] = TimeRow(_aware_time(text, zone, fail), line)
    return times


def did_you_mean(value: str, choices: Sequence[str]) -> str:
    """`` - did you mean 'x'?`` for the choice ``value`` most likely abbreviates or misspells; else ''."""
    starts = [c for c in choices if value and c.startswith(value)]
    close = starts if len(starts) == 1 else difflib.get_close_matches(value, choices, n=1)
    return f" - did you mean {close[0]!r}?" if close else ""


def _aware_time(text: str, zone: zoneinfo.ZoneInfo, fail) -> dt.datetime:
    """An ISO 8601 time with the offset ``zone`` had at that instant."""
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        raise fail(f"submitted_at {text!r} is not an ISO 8601 date-time such as 2027-02-05T23:59:00-05:00") from None
    if when.tzinfo is None:
        example = when.replace(tzinfo=zone).isoformat()
        raise fail(f"submitted_at {text!r} has no UTC offset; a time in {zone.key} is written like {example}")
    expected = when.astimezone(zone)
    if when.utcoffset() != expected.utcoffset():
        raise fail(f"submitted_at {text!r} is in another zone: the course's zone {zone.key} was at UTC"
                   f"{_offset(expected.utcoffset())} at that instant, so write it as {expected.isoformat()}")
    return when


def _offset(delta: dt.timedelta | None) -> str:
    minutes = int((delta or dt.timedelta(0)).total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _number(text: str, column: str, student: str, path: Path, line: int) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        raise KitError(f"{column} {text!r} of submission {student!r} is not a number", path=path, line=line)
    return value


def _csv_rows(path: Path, required: tuple[str, ...], what: str, *,
              check_header: Callable[[list[str]], None] | None = None) -> Iterator[tuple[int, dict[str, str]]]:
    """(line, {column: stripped value}) for each non-blank row, after checking the header (``check_header``:
    the reader's own checks of it, once the required columns are there)."""
    try:
        f = Path(path).open(encoding="utf-8-sig", newline="")
    except FileNotFoundError:
        raise KitError(f"{what} not found", path=path) from None
    with f:
        reader = csv.reader(f)
        try:
            header = [name.strip() for name in next(reader, [])]
            if not any(header):
                raise KitError(f"the {what} is empty; its first line should be the header {','.join(required)}",
                               path=path, line=1)
            missing = [name for name in required if name not in header]
            if missing:
                raise KitError(f"missing column(s) {', '.join(missing)}: the header is {','.join(header)}"
                               f" but a {what} needs {','.join(required)}", path=path, line=1)
            if check_header is not None:
                check_header(header)
            for cells in reader:
                if any(c.strip() for c in cells):
                    # csv_value: a cell the kit guarded against formulas (grades.csv) is read as written
                    cells = [csv_value(c.strip()) for c in cells] + [""] * (len(header) - len(cells))
                    yield reader.line_num, dict(zip(header, cells))
        except csv.Error as e:
            raise KitError(f"not valid CSV: {e}", path=path, line=reader.line_num) from None
        except UnicodeDecodeError:
            raise KitError(f"the {what} is not UTF-8 text", path=path) from None
