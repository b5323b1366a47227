"""Build the term's gradebook: grades.csv files + submission times + late policy -> LMS CSV.

The CLI (autograder/cli.py, `gradebook`) calls build_gradebook; it is used as::

    python -m autograder gradebook --grades linear_regression=out/lr/grades.csv \\
        --grades mlp=out/mlp/grades.csv --times times.csv [--policy policy.toml]  # default policy: course.toml \\
        [--roster roster.csv] --out gradebook.csv

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
from .inputs import did_you_mean, read_grades, read_roster, read_times
from .lateness import Attempt, Term, assess_term
from .policy import load_policy
from .report import explanations_text, gradebook_csv, write_atomically


@dataclass(frozen=True)
class Summary:
    gradebook: Path
    explanations: Path
    students: int
    assignments: tuple[str, ...]      # in due order, as the CSV's columns
    meeting_requirement: int
    warnings: tuple[str, ...]


def explanations_path(out: Path) -> Path:
    """Where the explanations go: next to the CSV, ``gradebook.csv`` -> ``gradebook.explanations.txt``."""
    return Path(out).with_suffix(".explanations.txt")


def parse_grades_options(values: Sequence[str]) -> dict[str, Path]:
    """``["mlp=out/grades.csv", ...]`` (the --grades options) -> ``{"mlp": Path("out/grades.csv")}``."""
    grades: dict[str, Path] = {}
    for value in values:
        assignment, sep, path = value.partition("=")
        assignment, path = assignment.strip(), path.strip()
        if not sep or not assignment or not path:
            raise KitError(f"--grades {value!r} should be ASSIGNMENT=PATH, e.g. --grades mlp=out/mlp/grades.csv")
        if assignment in grades:
            raise KitError(f"--grades names {assignment!r} twice ({grades[assignment]} and {path})")
        grades[assignment] = Path(path)
    return grades


def due_dates(assignments: Sequence[str]) -> dict[str, dt.datetime]:
    """Each assignment's deadline, from its spec.toml."""
    return {a: load_spec(a).due for a in assignments}


def build_gradebook(grades: dict[str, Path], times: Path, policy: Path | None, roster: Path | None,
                    out: Path, *, dues: Mapping[str, dt.datetime] | None = None) -> Summary:
    """Read everything, check it, apply the late policy and write OUT and its explanations.

    ``dues`` replaces the spec.toml deadlines (for tests); by default they come from
    ``load_spec(id).due``.
    """
    from ..course import load_course  # here: course.py imports this package's policy module
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
    deadlines = dict(dues) if dues is not None else due_dates(known_order)
    order = sorted(known_order, key=lambda a: deadlines[a])  # stable: ties keep discovery order

    marks = {a: read_grades(grades[a]) for a in order}
    if roster is not None:
        students = set(read_roster(roster))
        for a in order:
            for student, row in marks[a].items():
                if student not in students:
                    raise KitError(f"unknown student {student!r}: not in the roster {roster}",
                                   path=grades[a], line=row.line)
    else:
        students = {s for rows in marks.values() for s in rows}
    submitted = read_times(times, students=students, assignments=known, zone=rules.zone,
                           roster=roster)

    for (student, assignment), row in submitted.items():
        if assignment in marks and student not in marks[assignment]:
            raise KitError(f"student {student!r} has a submission time for {assignment!r} but no row in "
                           f"{grades[assignment]}; grade that submission or remove this row",
                           path=times, line=row.line)
    for a in order:
        for student, row in marks[a].items():
            if (student, a) not in submitted:
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
    write_atomically(Path(out), csv_text)
    write_atomically(explanations, explanation_text)

    warnings = [*_deadline_warnings(deadlines, order, rules.zone)]
    if len(order) < rules.min_on_time:
        warnings.append(f"the gradebook has {len(order)} assignment(s), fewer than min_on_time = "
                        f"{rules.min_on_time}: no student can meet the completion requirement yet")
    unused = sorted({a for (_, a) in submitted if a not in marks}, key=known.index)
    if unused:
        warnings.append(f"{times}: rows for {', '.join(unused)} were checked but not used "
                        "(no --grades file for them)")
    return Summary(gradebook=Path(out), explanations=explanations, students=len(terms), assignments=tuple(order),
                   meeting_requirement=sum(t.meets_requirement for t in terms.values()),
                   warnings=tuple(warnings))


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
