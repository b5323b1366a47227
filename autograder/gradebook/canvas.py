"""A Canvas gradebook export as the roster, so the Canvas CSV fills Canvas's existing assignments.

Canvas > Grades > Export writes the header ``Student,ID,SIS User ID,SIS Login ID,[Integration ID,]
[Root Account,]Section,<custom columns>,<Title> (<assignment id>),...,<totals>``, then perhaps a
"Manual Posting" row, a ``    Points Possible`` row and a row per student (its Student View's
"Student, Test" last). Given as ``--roster``, it is recognised by that header; the Canvas CSV then
carries each person's Student, ID, SIS User ID, SIS Login ID and Section as Canvas wrote them, and
each kit assignment's existing "Title (id)" column, so an import updates that assignment and never
creates another.

A kit student (the ``submission`` name of grades.csv: a Gradescope sid, an email's part before @, a
folder's name) is the roster row that one of its keys names: the name itself and, when a Gradescope
export lists the student, its sid, email and email's part before @; against the row's SIS User ID,
SIS Login ID and SIS Login ID's part before @ (case ignored). Two rows for one student, two students
for one row, and a graded student with no row are errors.
"""

from __future__ import annotations

import csv
import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path

from ..errors import KitError
from ..escaping import csv_text
from .export import Person
from .inputs import _csv_rows
from .lateness import CENT, HUNDRED, Term
from .report import CANVAS_COLUMNS, POINTS_POSSIBLE

_TEST_STUDENTS = ("Student, Test", "Test Student")   # Canvas's Student View user, in every export
_TITLE_AND_ID = re.compile(r"^(.*\S)\s*\((\d+)\)$")  # an assignment column: "Assignment 1 (1234)"
POINTS_ROW = "Points Possible"   # Canvas's row of each column's points: no one's, so it has no ID
MAX_POINTS_POSSIBLE = Decimal(1_000_000)  # beyond it a typo (and 1e999999999 would overflow the scaling)


@dataclass(frozen=True)
class CanvasStudent:
    line: int
    name: str            # the Student cell, as Canvas wrote it ("Aalto, Alice")
    id: str              # Canvas's own user id
    sis_user_id: str
    sis_login_id: str
    section: str

    def keys(self) -> set[str]:
        return _keys(self.sis_user_id, self.sis_login_id, _local(self.sis_login_id))

    def describe(self) -> str:
        return f"line {self.line} ({self.name!r}, SIS User ID {self.sis_user_id!r}, SIS Login ID {self.sis_login_id!r})"


@dataclass(frozen=True)
class CanvasRoster:
    path: Path
    students: tuple[CanvasStudent, ...]     # in the export's order, the Student View user left out
    columns: tuple[str, ...]                # the assignment columns, "Title (id)", in the export's order
    points: Mapping[str, Decimal]           # each assignment column's Points Possible, where the export has it


def is_canvas_export(path: Path) -> bool:
    """Whether ``path`` starts with a Canvas gradebook export's header (False for a missing or unreadable
    file: the plain roster reader says what is wrong with it)."""
    try:
        with Path(path).open(encoding="utf-8-sig", newline="") as f:
            first = f.readline()
    except (OSError, UnicodeDecodeError):
        return False
    header = [c.strip() for c in next(csv.reader([first]), [])]
    if _canvas_header(header):
        return True
    if _canvas_header([c.strip() for c in next(csv.reader([first], delimiter=";"), [])]):
        raise KitError("this Canvas gradebook export has ';' between its columns (Canvas's 'semicolon' CSV "
                       "setting): export it again with commas", path=path, line=1)
    return False


def read_canvas_roster(path: Path) -> CanvasRoster:
    """The students and assignment columns of a Canvas gradebook export; KitError naming file and line."""
    header: list[str] = []

    def take_header(names: list[str]) -> None:
        if not _canvas_header(names):
            raise KitError("not a Canvas gradebook export: its header needs Student (or LastName and FirstName), "
                           "ID, SIS Login ID and Section", path=path, line=1)
        header.extend(names)

    students: list[CanvasStudent] = []
    points_row: dict[str, str] | None = None
    points_line = 0
    seen: dict[tuple[str, str], CanvasStudent] = {}
    for line, row in _csv_rows(path, ("ID", "SIS Login ID", "Section"), "Canvas gradebook export",
                               check_header=take_header):
        split_name = "Student" not in header
        name = row["Student"] if not split_name else ", ".join(n for n in (row["LastName"], row["FirstName"]) if n)
        person = CanvasStudent(line, name, row["ID"], row.get("SIS User ID", ""), row["SIS Login ID"], row["Section"])
        if name == POINTS_ROW and not (person.id or person.sis_user_id or person.sis_login_id):
            # Only an ID-less row: a student whose display name is "Points Possible" stays a student, and
            # their grades never become every column's points.
            if points_row is not None:
                raise KitError(f"a second {POINTS_ROW} row (the first is on line {points_line})", path=path, line=line)
            points_row, points_line = row, line
            continue
        if not (person.id or person.sis_user_id or person.sis_login_id):
            if not name:
                continue  # the "Manual Posting" row and the like: about the columns, no one's
            raise KitError(f"student {name!r} has no ID, SIS User ID or SIS Login ID", path=path, line=line)
        if name in _TEST_STUDENTS and not person.sis_user_id:
            continue  # Canvas's Student View user: not a student of the course
        for column, value in (("ID", person.id), ("SIS User ID", person.sis_user_id),
                              ("SIS Login ID", person.sis_login_id)):
            first = seen.get((column, value.casefold()))
            if value and first is not None:
                raise KitError(f"{column} {value!r} is listed twice (first on line {first.line})", path=path, line=line)
            seen.setdefault((column, value.casefold()), person)
        students.append(person)
    columns = tuple(h for h in header if _TITLE_AND_ID.match(h))
    points: dict[str, Decimal] = {}
    possible = points_row or {}
    for column in columns:
        try:
            worth = Decimal(possible.get(column, ""))
        except InvalidOperation:
            continue  # "(read only)" or blank: not known
        if not worth.is_finite():
            continue
        if not 0 <= worth <= MAX_POINTS_POSSIBLE:
            raise KitError(f"column {column!r}: {POINTS_ROW} {possible[column]!r} is not a number of points from 0 "
                           f"to {MAX_POINTS_POSSIBLE:,}", path=path, line=points_line)
        points[column] = worth
    return CanvasRoster(Path(path), tuple(students), columns, points)


def parse_canvas_columns(values: Sequence[str]) -> dict[str, str]:
    """``['mlp=Assignment 4 (1234)', ...]`` (the --canvas-column options) -> ``{'mlp': 'Assignment 4 (1234)'}``."""
    chosen: dict[str, str] = {}
    for value in values:
        assignment, sep, column = value.partition("=")
        assignment, column = assignment.strip(), column.strip()
        if not sep or not assignment or not column:
            raise KitError(f"--canvas-column {value!r} should be ASSIGNMENT=\"TITLE (ID)\", "
                           "e.g. --canvas-column mlp=\"Assignment 4 (1234)\"")
        if assignment in chosen:
            raise KitError(f"--canvas-column names {assignment!r} twice ({chosen[assignment]!r} and {column!r})")
        chosen[assignment] = column
    return chosen


def match_students(roster: CanvasRoster, graded: Mapping[str, str],
                   people: Mapping[str, Person]) -> dict[str, CanvasStudent]:
    """The gradebook's student name -> the roster row, for every row: a graded student (``graded``: name ->
    where its first grades row is, for messages) by its keys; a row no one matched by a name of its own."""
    index: dict[str, list[CanvasStudent]] = {}
    for person in roster.students:
        for key in person.keys():
            index.setdefault(key, []).append(person)
    found: dict[str, CanvasStudent] = {}
    taken: dict[int, str] = {}
    missing: list[str] = []
    for student in sorted(graded):
        rows: list[CanvasStudent] = []
        for key in sorted(_student_keys(student, people.get(student))):
            rows += [r for r in index.get(key, []) if r not in rows]
        rows.sort(key=lambda r: r.line)
        if not rows:
            missing.append(student)
            continue
        if len(rows) > 1:
            raise KitError(f"graded student {student!r} ({graded[student]}) matches {len(rows)} students of this "
                           f"Canvas roster: {'; '.join(r.describe() for r in rows)}; keep one row or make their "
                           "SIS IDs differ", path=roster.path, line=rows[1].line)
        row = rows[0]
        if row.line in taken:
            raise KitError(f"graded students {taken[row.line]!r} and {student!r} ({graded[student]}) are both "
                           f"{row.name!r} of this Canvas roster: grade one submission per student",
                           path=roster.path, line=row.line)
        taken[row.line] = student
        found[student] = row
    if missing:
        shown = ", ".join(f"{s!r} ({graded[s]})" for s in missing[:5]) + (", ..." if len(missing) > 5 else "")
        raise KitError(f"{len(missing)} graded student(s) not in this Canvas roster: {shown}; a student is matched "
                       "by SIS User ID, SIS Login ID or its part before @ - export the roster with inactive and "
                       "concluded enrollments shown, or check the students' ids", path=roster.path)
    used = {key.casefold() for key in found}
    for row in roster.students:
        if row.line not in taken:
            # A graded student may have any of these names (a Gradescope sid is typed by the student): the
            # last is numbered until it is free, so there always is one.
            free = (f"canvas-line-{row.line}" + (f"-{n}" if n else "") for n in itertools.count())
            name = next(k for k in itertools.chain((row.sis_user_id, _local(row.sis_login_id).lower(),
                                                    row.sis_login_id, f"canvas-{row.id}"), free)
                        if k and k.casefold() not in used)
            used.add(name.casefold())
            found[name] = row
    return found


def match_columns(roster: CanvasRoster, assignments: Sequence[str], titles: Mapping[str, str],
                  chosen: Mapping[str, str]) -> dict[str, str]:
    """Each assignment's column of the roster: the one ``chosen`` (--canvas-column: its header or its id),
    else the one whose title is the spec's title or the assignment's id (case and spacing ignored)."""
    listed = ", ".join(repr(c) for c in roster.columns) or "(none)"
    found: dict[str, str] = {}
    for a in assignments:
        if a in chosen:
            wanted = chosen[a]
            hits = [c for c in roster.columns if c == wanted or _title_and_id(c)[1] == wanted.strip("()")]
            if len(hits) != 1:
                raise KitError(f"--canvas-column {a}={wanted!r} is no assignment column of the Canvas roster "
                               f"{roster.path} (its assignment columns: {listed})")
        else:
            names = {_normal(titles[a]), _normal(a)}
            hits = [c for c in roster.columns if _normal(_title_and_id(c)[0]) in names]
            if not hits:
                raise KitError(f"the Canvas roster {roster.path} has no column for {a} (title {titles[a]!r}); its "
                               f"assignment columns: {listed} - name one with --canvas-column {a}=\"TITLE (ID)\"")
            if len(hits) > 1:
                raise KitError(f"{len(hits)} columns of the Canvas roster {roster.path} could be {a} (title "
                               f"{titles[a]!r}): {', '.join(repr(c) for c in hits)} - choose one with "
                               f"--canvas-column {a}=\"{hits[0]}\"")
        column = hits[0]
        other = next((b for b, c in found.items() if c == column), None)
        if other is not None:
            raise KitError(f"{other} and {a} would both fill the Canvas column {column!r}: give each its own with "
                           "--canvas-column")
        if roster.points.get(column) == 0:
            raise KitError(f"the Canvas column {column!r} ({a}) has 0 points possible: a mark cannot be scaled to "
                           "it; give it points in Canvas and export the roster again", path=roster.path)
        found[a] = column
    return found


def roster_canvas_csv(terms: Mapping[str, Term], assignments: Sequence[str], roster: CanvasRoster,
                      students: Mapping[str, CanvasStudent], columns: Mapping[str, str]) -> str:
    """The gradebook as Canvas imports it, for the roster's people in its order: their five columns as the
    export has them, each assignment's existing column, the Points Possible row, and each mark scaled to
    that column's points possible (out of 100 where the export gave none); a student with no submission
    gets the 0 the plain gradebook gives."""
    possible = [roster.points.get(columns[a]) for a in assignments]
    rows: list[list[object]] = [[*CANVAS_COLUMNS, *(columns[a] for a in assignments)],
                                [POINTS_POSSIBLE, "", "", "", "", *(f"{(HUNDRED if p is None else p):.2f}"
                                                                    for p in possible)]]
    name_of = {row.line: name for name, row in students.items()}
    for row in roster.students:
        finals = {o.assignment: o.final for o in terms[name_of[row.line]].outcomes}
        rows.append([row.name, row.id, row.sis_user_id, row.sis_login_id, row.section,
                     *(_scaled(finals[a], p) for a, p in zip(assignments, possible))])
    return csv_text(rows)  # every text cell guarded (a name may start with =); marks stay numbers


def _scaled(mark: Decimal, possible: Decimal | None) -> str:
    if possible is None:
        return f"{mark:.2f}"
    return f"{(mark * possible / HUNDRED).quantize(CENT, rounding=ROUND_HALF_UP):.2f}"


def _title_and_id(column: str) -> tuple[str, str]:
    """An assignment column's title and Canvas id ("Assignment 1 (1234)"); the roster's columns all have them."""
    match = _TITLE_AND_ID.match(column)
    assert match is not None, column  # read_canvas_roster keeps only the columns that match
    return match[1], match[2]


def _canvas_header(header: Sequence[str]) -> bool:
    names = set(header)
    return {"ID", "SIS Login ID", "Section"} <= names and ("Student" in names or {"LastName", "FirstName"} <= names)


def _student_keys(student: str, person: Person | None) -> set[str]:
    if person is None:
        return _keys(student)
    return _keys(student, person.sid, person.email, _local(person.email))


def _keys(*values: str) -> set[str]:
    return {v.strip().casefold() for v in values if v and v.strip()}


def _local(login: str) -> str:
    """An email's part before @; '' for a login that is no email."""
    return login.split("@", 1)[0] if "@" in login else ""


def _normal(title: str) -> str:
    return " ".join(title.casefold().split())
