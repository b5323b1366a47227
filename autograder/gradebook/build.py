"""Build the term's gradebook: grades.csv files + submission times + late policy -> LMS CSV.

The CLI (autograder/cli.py, `gradebook`) calls build_gradebook; it is used as::

    python -m autograder gradebook --grades linear_regression=out/lr/grades.csv \\
        --grades mlp=out/mlp/grades.csv --times times.csv [--policy policy.toml]  # default policy: course.toml \\
        [--roster roster.csv] --out gradebook.csv

Times (and, for the Canvas CSV, names and emails) come from ``--times`` or straight from
Gradescope exports (``--gradescope mlp=export/``), or both for different assignments.
``--manual mlp=written.csv`` adds the TAs' scores of the written answers. ``--format canvas``
also writes OUT with suffix .canvas.csv, in the shape Canvas's gradebook import takes; with a
Canvas gradebook export as ``--roster`` (canvas.py), for Canvas's own students and columns.
Each grades file is checked against its assignment's spec.toml (specs.py).

Nothing is written unless every input is valid.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..atomic import write_atomically
from ..errors import KitError
from ..layout import Layout
from ..spec import load_spec
from .canvas import (CanvasRoster, CanvasStudent, is_canvas_export, match_columns, match_students, read_canvas_roster,
                     roster_canvas_csv)
from .export import ExportRow, Person, metadata_path, read_export
from .inputs import GradeRow, TimeRow, did_you_mean, read_grades, read_roster, read_times
from .lateness import Attempt, Term, assess_term, percent
from .manual import read_manual
from .policy import Policy, load_policy
from .report import canvas_csv, explanations_text, gradebook_csv
from .specs import grades_spec, spec_file

if TYPE_CHECKING:  # course.py imports this package (its policy module): the Course comes from the caller
    from ..course import Course


@dataclass(frozen=True)
class Summary:
    gradebook: Path
    explanations: Path
    students: int
    assignments: tuple[str, ...]      # in due order, as the CSV's columns
    meeting_requirement: int
    warnings: tuple[str, ...]
    canvas: Path | None = None        # the Canvas import CSV, when asked for


def explanations_path(out: Path) -> Path:
    """Where the explanations go: next to the CSV, ``gradebook.csv`` -> ``gradebook.explanations.txt``."""
    return Path(out).with_suffix(".explanations.txt")


def canvas_path(out: Path) -> Path:
    """Where the Canvas CSV goes: ``gradebook.csv`` -> ``gradebook.canvas.csv``."""
    return Path(out).with_suffix(".canvas.csv")


def parse_grades_options(values: Sequence[str], option: str = "--grades",
                         example: str = "out/mlp/grades.csv") -> dict[str, Path]:
    """``["mlp=out/grades.csv", ...]`` (the --grades options) -> ``{"mlp": Path("out/grades.csv")}``."""
    grades: dict[str, Path] = {}
    for value in values:
        assignment, sep, path = value.partition("=")
        assignment, path = assignment.strip(), path.strip()
        if not sep or not assignment or not path:
            raise KitError(f"{option} {value!r} should be ASSIGNMENT=PATH, e.g. {option} mlp={example}")
        if assignment in grades:
            raise KitError(f"{option} names {assignment!r} twice ({grades[assignment]} and {path})")
        grades[assignment] = Path(path)
    return grades


@dataclass(frozen=True)
class GradebookInputs:
    """What the gradebook is built from: the command's options, each file as given."""
    grades: Mapping[str, Path]                  # assignment -> its grades.csv (--grades)
    out: Path                                   # the gradebook CSV (--out); the other outputs go next to it
    times: Path | None = None                   # the times CSV (--times)
    policy: Path | None = None                  # keys replacing course.toml's [late_policy] (--policy)
    roster: Path | None = None                  # a student list or a Canvas gradebook export (--roster)
    exports: Mapping[str, Path] = field(default_factory=dict)  # assignment -> Gradescope export (--gradescope)
    manual: Mapping[str, Path] = field(default_factory=dict)   # assignment -> manual-scores CSV (--manual)
    canvas: bool = False                        # also write the Canvas import CSV (--format canvas)
    canvas_columns: Mapping[str, str] = field(default_factory=dict)  # assignment -> its Canvas column
    dues: Mapping[str, dt.datetime] | None = None  # replaces the spec.toml deadlines (for tests)


@dataclass(frozen=True)
class _Read:
    """Every input, read and checked against the others."""
    rules: Policy
    known: tuple[str, ...]                      # the course's assignments
    order: list[str]                            # the graded ones, in due order: the CSV's columns
    deadlines: dict[str, dt.datetime]
    marks: dict[str, dict[str, GradeRow]]       # assignment -> student -> mark (written answers added)
    people: dict[str, Person]                   # names and emails from the Gradescope exports
    students: set[str]
    submitted: dict[tuple[str, str], TimeRow]   # (student, assignment) -> when
    canvas_roster: CanvasRoster | None
    canvas_students: dict[str, CanvasStudent]
    titles: dict[str, str]                      # for the Canvas CSV
    columns: dict[str, str]                     # assignment -> its Canvas roster column


@dataclass(frozen=True)
class _Decided:
    terms: dict[str, Term]
    csv: str
    explanations: str
    canvas: str | None
    warnings: list[str]


def build_gradebook(course: Course, given: GradebookInputs) -> Summary:
    """Read everything, check it, apply the late policy and write OUT and its explanations.

    The late policy is the course's (course.toml's [late_policy]) with ``given.policy``'s keys;
    nothing is written unless every input is valid."""
    read = _read(course.layout, course.late_policy, given)
    decided = _decide(course.layout, given, read)
    explanations = explanations_path(given.out)
    write_atomically(Path(given.out), decided.csv)
    write_atomically(explanations, decided.explanations)
    if decided.canvas is not None:
        write_atomically(canvas_path(given.out), decided.canvas)
    return Summary(gradebook=Path(given.out), explanations=explanations, students=len(decided.terms),
                   assignments=tuple(read.order),
                   meeting_requirement=sum(t.meets_requirement for t in decided.terms.values()),
                   warnings=tuple(decided.warnings), canvas=canvas_path(given.out) if given.canvas else None)


def _read(layout: Layout, course_policy: Policy, given: GradebookInputs) -> _Read:
    """Every input read and checked, in the order its mistakes are reported (a KitError for the first)."""
    known = layout.assignment_ids()
    rules = load_policy(given.policy, len(known), base=course_policy)
    order, deadlines = _graded(layout, given, known)
    _check_options(given)
    marks = _marks(layout, given, order)
    # read before the roster: an export's sids and emails also match its students to a Canvas export's rows
    exported = {a: read_export(folder, rules.zone) for a, folder in given.exports.items()}
    people = _people(exported)
    roster = given.roster
    canvas_roster = read_canvas_roster(roster) if roster is not None and is_canvas_export(roster) else None
    if given.canvas_columns and canvas_roster is None:
        raise KitError("--canvas-column names columns of a Canvas gradebook export: give it as --roster")
    students, canvas_students = _students(given, order, marks, people, canvas_roster)
    submitted = _times(given, known, order, marks, exported, students, rules.zone)
    titles = {a: load_spec(layout, a).title for a in order} if given.canvas else {}
    columns = (match_columns(canvas_roster, order, titles, given.canvas_columns)
               if given.canvas and canvas_roster is not None else {})
    return _Read(rules, known, order, deadlines, marks, people, students, submitted, canvas_roster,
                 canvas_students, titles, columns)


def _graded(layout: Layout, given: GradebookInputs, known: tuple[str, ...]) -> tuple[list[str], dict[str, dt.datetime]]:
    """The graded assignments in due order, and their deadlines."""
    if not given.grades:
        raise KitError("no grades files given: pass --grades ASSIGNMENT=PATH for each graded assignment")
    for assignment in given.grades:
        if assignment not in known:
            hint = did_you_mean(assignment, known)
            raise KitError(f"unknown assignment {assignment!r} in --grades{hint} "
                           f"(known: {', '.join(known)})")
    known_order = [a for a in known if a in given.grades]
    deadlines = (dict(given.dues) if given.dues is not None
                 else {a: load_spec(layout, a).due for a in known_order})
    return sorted(known_order, key=lambda a: deadlines[a]), deadlines  # stable: ties keep discovery order


def _check_options(given: GradebookInputs) -> None:
    """An option about an assignment needs its --grades; --canvas-column needs --format canvas."""
    for option, named in (("--gradescope", given.exports), ("--manual", given.manual),
                          ("--canvas-column", given.canvas_columns)):
        for assignment, path in named.items():
            if assignment not in given.grades:
                raise KitError(f"{option} {assignment}={path} but there is no --grades {assignment}=... to add it to")
    if given.canvas_columns and not given.canvas:
        raise KitError("--canvas-column names columns of the Canvas CSV: give --format canvas too")


def _marks(layout: Layout, given: GradebookInputs, order: list[str]) -> dict[str, dict[str, GradeRow]]:
    """Assignment -> student -> their grades.csv row, checked against the spec, written answers added."""
    marks = {a: read_grades(given.grades[a], grades_spec(layout, a)) for a in order}
    for a, path in given.manual.items():  # written answers count before the mark out of 100 and any penalty
        for student, extra in read_manual(layout, path, marks[a], a).items():
            row = marks[a][student]
            score, top = row.score + extra.points, row.max_score + extra.max_points
            marks[a][student] = GradeRow(percent(score, top), row.line, score, top)
    return marks


def _students(given: GradebookInputs, order: list[str], marks: Mapping[str, Mapping[str, GradeRow]],
              people: Mapping[str, Person], canvas_roster: CanvasRoster | None
              ) -> tuple[set[str], dict[str, CanvasStudent]]:
    """The gradebook's students (the roster's, else everyone graded), and each one's row of a Canvas roster."""
    grades, roster = given.grades, given.roster
    if canvas_roster is not None:
        graded: dict[str, str] = {}
        for a in order:
            for student, row in marks[a].items():
                graded.setdefault(student, f"{grades[a]}:{row.line}")
        canvas_students = match_students(canvas_roster, graded, people)
        return set(canvas_students), canvas_students
    if roster is not None:
        students = set(read_roster(roster))
        for a in order:
            for student, row in marks[a].items():
                if student not in students:
                    raise KitError(f"unknown student {student!r}: not in the roster {roster}",
                                   path=grades[a], line=row.line)
        return students, {}
    return {s for rows in marks.values() for s in rows}, {}


def _times(given: GradebookInputs, known: tuple[str, ...], order: list[str],
           marks: Mapping[str, Mapping[str, GradeRow]], exported: Mapping[str, Mapping[str, ExportRow]],
           students: set[str], zone: zoneinfo.ZoneInfo) -> dict[tuple[str, str], TimeRow]:
    """(student, assignment) -> submission time, from --times and the Gradescope exports: one for every mark."""
    grades, times, exports = given.grades, given.times, given.exports
    if times is None and not exports:
        raise KitError("no submission times: give --times TIMES_CSV or --gradescope ASSIGNMENT=EXPORT_FOLDER")
    submitted = read_times(times, students=students, assignments=known, zone=zone,
                           roster=given.roster) if times is not None else {}
    from_exports = _export_times(exports, exported, marks, grades, submitted, times)
    for (student, assignment), time_row in submitted.items():
        if assignment in marks and student not in marks[assignment]:
            raise KitError(f"student {student!r} has a submission time for {assignment!r} but no row in "
                           f"{grades[assignment]}; grade that submission or remove this row",
                           path=times, line=time_row.line)
    submitted.update(from_exports)
    for a in order:
        for student, row in marks[a].items():
            if (student, a) in submitted:
                continue
            if a in exports:
                raise KitError(f"missing time: student {student!r} has a row for {a!r} in {grades[a]} "
                               f"(line {row.line}) but is not a submitter in this Gradescope export",
                               path=metadata_path(exports[a]))
            if times is None:
                raise KitError(f"no submission times for {a!r}: give --gradescope {a}=EXPORT_FOLDER or --times")
            raise KitError(f"missing time: student {student!r} has a row for {a!r} in {grades[a]} "
                           f"(line {row.line}) but no submitted_at row here", path=times)
    return submitted


def _decide(layout: Layout, given: GradebookInputs, read: _Read) -> _Decided:
    """Each student's term under the late policy, the outputs' text and the warnings: no reading, no writing."""
    terms: dict[str, Term] = {}
    for student in read.students:
        attempts = []
        for a in read.order:
            grade, time = read.marks[a].get(student), read.submitted.get((student, a))
            attempts.append(Attempt(a, read.deadlines[a], grade.mark if grade else None,
                                    time.submitted_at if grade and time else None))
        terms[student] = assess_term(attempts, read.rules)
    canvas_text = None
    if given.canvas:
        canvas_text = (roster_canvas_csv(terms, read.order, read.canvas_roster, read.canvas_students, read.columns)
                       if read.canvas_roster is not None else canvas_csv(terms, read.order, read.titles, read.people))
    return _Decided(terms, gradebook_csv(terms, read.order), explanations_text(terms, read.rules), canvas_text,
                    _warnings(layout, given, read, terms))


def _warnings(layout: Layout, given: GradebookInputs, read: _Read, terms: Mapping[str, Term]) -> list[str]:
    """What the TA should know of a gradebook that is written all the same."""
    rules, order = read.rules, read.order
    warnings = [*_deadline_warnings(layout, read.deadlines, order, rules.zone)]
    if len(order) < rules.min_on_time:
        warnings.append(f"the gradebook has {len(order)} assignment(s), fewer than min_on_time = "
                        f"{rules.min_on_time}: no student can meet the completion requirement yet")
    unused = sorted({a for (_, a) in read.submitted if a not in read.marks}, key=read.known.index)
    if unused:
        warnings.append(f"{given.times}: rows for {', '.join(unused)} were checked but not used "
                        "(no --grades file for them)")
    unnamed = sorted(s for s in terms if not (read.people.get(s) and read.people[s].email))
    if given.canvas and read.canvas_roster is None:
        warnings.append("the Canvas CSV has no Canvas ids: importing it creates new assignments; give --roster "
                        "a Canvas gradebook export (Grades > Export) to fill the existing ones")
    roster = read.canvas_roster
    unscaled = [c for c in read.columns.values() if roster is not None and c not in roster.points]
    if unscaled:
        warnings.append(f"{given.roster}: no Points Possible for {', '.join(unscaled)}: the Canvas CSV has their "
                        "marks out of 100, right only if they are worth 100 points in Canvas")
    if given.canvas and read.canvas_roster is None and unnamed:
        warnings.append(f"{len(unnamed)} student(s) without a Gradescope export entry ({', '.join(unnamed[:3])}"
                        f"{', ...' if len(unnamed) > 3 else ''}) have no name or email in the Canvas CSV: "
                        "Canvas must match them by SIS User ID")
    return warnings


def _people(exported: Mapping[str, Mapping[str, ExportRow]]) -> dict[str, Person]:
    """Each submitter's name, email and sid, from the first export that names them."""
    people: dict[str, Person] = {}
    for rows in exported.values():
        for student, row in rows.items():
            if row.person.name or row.person.email:
                people.setdefault(student, row.person)
    return people


def _export_times(exports: Mapping[str, Path], exported: Mapping[str, Mapping[str, ExportRow]],
                  marks: Mapping[str, Mapping[str, GradeRow]], grades: Mapping[str, Path],
                  submitted: Mapping[tuple[str, str], TimeRow], times: Path | None) -> dict[tuple[str, str], TimeRow]:
    """(student, assignment) -> time from each Gradescope export (read_export's rows)."""
    found: dict[tuple[str, str], TimeRow] = {}
    for a, folder in exports.items():
        where = metadata_path(folder)
        for student, row in exported[a].items():
            if student not in marks[a]:
                raise KitError(f"{row.submission}: student {student!r} is in this Gradescope export of {a!r} but "
                               f"has no row in {grades[a]}; grade the export or give its grades.csv", path=where)
            if (student, a) in submitted:
                raise KitError(f"student {student!r} has a time for {a!r} both here (line {submitted[student, a].line})"
                               f" and in the Gradescope export {where}; keep one", path=times)
            found[student, a] = TimeRow(row.submitted_at, 0)
    return found


def _deadline_warnings(layout: Layout, deadlines: Mapping[str, dt.datetime], order: Sequence[str],
                       zone: zoneinfo.ZoneInfo) -> list[str]:
    """A deadline written with an offset the course zone did not have then (e.g. -05:00 after the
    switch to daylight time) is an instant one hour off the local time it seems to say."""
    warnings = []
    for a in order:
        due = deadlines[a]
        local = due.astimezone(zone)
        if local.utcoffset() != due.utcoffset():
            meant = due.replace(tzinfo=zone)
            spec = layout.shown(spec_file(layout, a))
            warnings.append(f"{spec}: due {due.isoformat()} is {local.isoformat()} in {zone.key}; if "
                            f"{due:%Y-%m-%d %H:%M} there was meant, write due = \"{meant.isoformat()}\"")
    return warnings
