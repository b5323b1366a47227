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
from dataclasses import dataclass
from pathlib import Path

from .. import paths
from ..errors import KitError
from ..spec import load_spec
from .canvas import (CanvasStudent, is_canvas_export, match_columns, match_students, read_canvas_roster,
                     roster_canvas_csv)
from .export import ExportRow, Person, metadata_path, read_export
from .inputs import GradeRow, TimeRow, did_you_mean, read_grades, read_roster, read_times
from .lateness import Attempt, Term, assess_term, percent
from .manual import read_manual
from .policy import load_policy
from .report import canvas_csv, explanations_text, gradebook_csv, write_atomically
from .specs import grades_spec


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


def build_gradebook(grades: dict[str, Path], times: Path | None, policy: Path | None, roster: Path | None,
                    out: Path, *, dues: Mapping[str, dt.datetime] | None = None,
                    exports: Mapping[str, Path] | None = None, manual: Mapping[str, Path] | None = None,
                    canvas: bool = False, canvas_columns: Mapping[str, str] | None = None) -> Summary:
    """Read everything, check it, apply the late policy and write OUT and its explanations.

    ``dues`` replaces the spec.toml deadlines (for tests); by default they come from
    ``load_spec(id).due``. ``exports``: assignment -> Gradescope export folder, for times,
    names and emails; ``manual``: assignment -> manual-scores CSV; ``canvas``: also write
    the Canvas import CSV (canvas_path(out)); ``canvas_columns``: assignment -> its column of the
    Canvas export given as ``roster`` (--canvas-column), where its title does not find it.
    """
    from ..course import load_course  # here: course.py imports this package's policy module
    exports, manual, canvas_columns = dict(exports or {}), dict(manual or {}), dict(canvas_columns or {})
    rules = load_policy(policy, base=load_course().late_policy)
    if not grades:
        raise KitError("no grades files given: pass --grades ASSIGNMENT=PATH for each graded assignment")
    known = paths.assignment_ids()
    for assignment in grades:
        if assignment not in known:
            hint = did_you_mean(assignment, known)
            raise KitError(f"unknown assignment {assignment!r} in --grades{hint} "
                           f"(known: {', '.join(known)})")
    known_order = [a for a in known if a in grades]
    deadlines = dict(dues) if dues is not None else {a: load_spec(a).due for a in known_order}
    order = sorted(known_order, key=lambda a: deadlines[a])  # stable: ties keep discovery order

    for option, given in (("--gradescope", exports), ("--manual", manual), ("--canvas-column", canvas_columns)):
        for assignment, path in given.items():
            if assignment not in grades:
                raise KitError(f"{option} {assignment}={path} but there is no --grades {assignment}=... to add it to")
    if canvas_columns and not canvas:
        raise KitError("--canvas-column names columns of the Canvas CSV: give --format canvas too")
    marks = {a: read_grades(grades[a], grades_spec(a)) for a in order}
    for a, path in manual.items():  # written answers count before the mark out of 100 and any penalty
        for student, extra in read_manual(path, marks[a], a).items():
            row = marks[a][student]
            score, top = row.score + extra.points, row.max_score + extra.max_points
            marks[a][student] = GradeRow(percent(score, top), row.line, score, top)
    # read before the roster: an export's sids and emails also match its students to a Canvas export's rows
    exported = {a: read_export(folder, rules.zone) for a, folder in exports.items()}
    people = _people(exported)
    canvas_roster = read_canvas_roster(roster) if roster is not None and is_canvas_export(roster) else None
    if canvas_columns and canvas_roster is None:
        raise KitError("--canvas-column names columns of a Canvas gradebook export: give it as --roster")
    canvas_students: dict[str, CanvasStudent] = {}
    if canvas_roster is not None:
        graded: dict[str, str] = {}
        for a in order:
            for student, row in marks[a].items():
                graded.setdefault(student, f"{grades[a]}:{row.line}")
        canvas_students = match_students(canvas_roster, graded, people)
        students = set(canvas_students)
    elif roster is not None:
        students = set(read_roster(roster))
        for a in order:
            for student, row in marks[a].items():
                if student not in students:
                    raise KitError(f"unknown student {student!r}: not in the roster {roster}",
                                   path=grades[a], line=row.line)
    else:
        students = {s for rows in marks.values() for s in rows}
    if times is None and not exports:
        raise KitError("no submission times: give --times TIMES_CSV or --gradescope ASSIGNMENT=EXPORT_FOLDER")
    submitted = read_times(times, students=students, assignments=known, zone=rules.zone,
                           roster=roster) if times is not None else {}
    from_exports = _export_times(exports, exported, marks, grades, submitted, times)

    for (student, assignment), row in submitted.items():
        if assignment in marks and student not in marks[assignment]:
            raise KitError(f"student {student!r} has a submission time for {assignment!r} but no row in "
                           f"{grades[assignment]}; grade that submission or remove this row",
                           path=times, line=row.line)
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

    terms: dict[str, Term] = {}
    for student in students:
        attempts = []
        for a in order:
            grade, time = marks[a].get(student), submitted.get((student, a))
            attempts.append(Attempt(a, deadlines[a], grade.mark if grade else None,
                                    time.submitted_at if grade and time else None))
        terms[student] = assess_term(attempts, rules)

    explanations = explanations_path(out)
    csv_text, explanation_text = gradebook_csv(terms, order), explanations_text(terms, rules)
    canvas_text, columns = None, {}
    if canvas:
        titles = {a: load_spec(a).title for a in order}
        if canvas_roster is not None:
            columns = match_columns(canvas_roster, order, titles, canvas_columns)
            canvas_text = roster_canvas_csv(terms, order, canvas_roster, canvas_students, columns)
        else:
            canvas_text = canvas_csv(terms, order, titles, people)
    write_atomically(Path(out), csv_text)
    write_atomically(explanations, explanation_text)
    if canvas_text is not None:
        write_atomically(canvas_path(out), canvas_text)

    warnings = [*_deadline_warnings(deadlines, order, rules.zone)]
    if len(order) < rules.min_on_time:
        warnings.append(f"the gradebook has {len(order)} assignment(s), fewer than min_on_time = "
                        f"{rules.min_on_time}: no student can meet the completion requirement yet")
    unused = sorted({a for (_, a) in submitted if a not in marks}, key=known.index)
    if unused:
        warnings.append(f"{times}: rows for {', '.join(unused)} were checked but not used "
                        "(no --grades file for them)")
    unnamed = sorted(s for s in terms if not (people.get(s) and people[s].email))
    if canvas and canvas_roster is None:
        warnings.append("the Canvas CSV has no Canvas ids: importing it creates new assignments; give --roster "
                        "a Canvas gradebook export (Grades > Export) to fill the existing ones")
    unscaled = [c for c in columns.values() if canvas_roster is not None and c not in canvas_roster.points]
    if unscaled:
        warnings.append(f"{roster}: no Points Possible for {', '.join(unscaled)}: the Canvas CSV has their marks "
                        "out of 100, right only if they are worth 100 points in Canvas")
    if canvas and canvas_roster is None and unnamed:
        warnings.append(f"{len(unnamed)} student(s) without a Gradescope export entry ({', '.join(unnamed[:3])}"
                        f"{', ...' if len(unnamed) > 3 else ''}) have no name or email in the Canvas CSV: "
                        "Canvas must match them by SIS User ID")
    return Summary(gradebook=Path(out), explanations=explanations, students=len(terms), assignments=tuple(order),
                   meeting_requirement=sum(t.meets_requirement for t in terms.values()),
                   warnings=tuple(warnings), canvas=canvas_path(out) if canvas else None)


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


def _deadline_warnings(deadlines: Mapping[str, dt.datetime], order: Sequence[str],
                       zone: zoneinfo.ZoneInfo) -> list[str]:
    """A deadline written with an offset the course zone did not have then (e.g. -05:00 after the
    switch to daylight time) is an instant one hour off the local time it seems to say."""
    warnings = []
    for a in order:
        due = deadlines[a]
        local = due.astimezone(zone)
        if local.utcoffset() != due.utcoffset():
            meant = due.replace(tzinfo=zone)
            spec = paths.assignment_dir(a).relative_to(paths.ROOT) / "spec.toml"
            warnings.append(f"{spec}: due {due.isoformat()} is {local.isoformat()} in {zone.key}; if "
                            f"{due:%Y-%m-%d %H:%M} there was meant, write due = \"{meant.isoformat()}\"")
    return warnings
