"""What the gradebook writes: the LMS import CSV and one explanation line per deduction.

The CSV has one row per student (sorted by id) and the columns
``student,<assignment ids in due order>,grace_days_used,meets_completion_requirement``.
The explanations file has, for each student, a line per late or missing submission and one
for a failed completion requirement, e.g.::

    alice  mlp: submitted 2 day(s) late; 1 grace day(s) used (0 left); 1 day(s) of penalty: 95.00 -> 85.00
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..escaping import csv_text
from .export import Person
from .lateness import Outcome, Term
from .policy import Policy

CSV_EXTRA_COLUMNS = ("grace_days_used", "meets_completion_requirement")


def gradebook_csv(terms: Mapping[str, Term], assignments: Sequence[str]) -> str:
    rows: list[list[object]] = [["student", *assignments, *CSV_EXTRA_COLUMNS]]
    for student in sorted(terms):
        term = terms[student]
        finals = {o.assignment: f"{o.final:.2f}" for o in term.outcomes}
        rows.append([student, *(finals[a] for a in assignments), term.grace_used,
                     "yes" if term.meets_requirement else "no"])
    return csv_text(rows)


CANVAS_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
POINTS_POSSIBLE = "    Points Possible"   # Canvas's own export writes this row, indented, under the header


def canvas_csv(terms: Mapping[str, Term], assignments: Sequence[str], titles: Mapping[str, str],
               people: Mapping[str, Person]) -> str:
    """The gradebook as Canvas imports it (Grades > Import): its five student columns, then one
    column per assignment headed by its title, a Points Possible row, and marks out of 100.

    Without a Canvas export as the roster (then canvas.roster_canvas_csv writes it): Canvas matches
    a row by ID (Canvas's own user id, which only Canvas knows: left blank), SIS User ID or SIS
    Login ID; here the SIS User ID is the student id of grades.csv (the Gradescope sid when the
    export had one) and the SIS Login ID the email. A column whose title matches no Canvas
    assignment creates one.
    """
    rows: list[list[object]] = [[*CANVAS_COLUMNS, *(titles[a] for a in assignments)],
                                 [POINTS_POSSIBLE, "", "", "", "", *("100.00" for _ in assignments)]]
    for student in sorted(terms):
        person = people.get(student)
        finals = {o.assignment: f"{o.final:.2f}" for o in terms[student].outcomes}
        rows.append([(person.name if person and person.name else student), "", student,
                     person.email if person else "", "", *(finals[a] for a in assignments)])
    return csv_text(rows)  # a submitter's name from a Gradescope export is theirs: csv_cell guards it


def explanations_text(terms: Mapping[str, Term], policy: Policy) -> str:
    lines: list[str] = []
    for student in sorted(terms):
        lines += explanation_lines(student, terms[student], policy)
    return "\n".join(lines) + "\n"


def explanation_lines(student: str, term: Term, policy: Policy) -> list[str]:
    """Each deduction of one student's term as a sentence, in due order; one line when there is none."""
    lines = [f"{student}  {o.assignment}: {_explain(o, policy)}"
             for o in term.outcomes if not o.submitted or o.days_late > 0]
    if not term.meets_requirement:
        late = [o.assignment for o in term.outcomes if o.submitted and not o.on_time]
        missing = [o.assignment for o in term.outcomes if not o.submitted]
        sentence = (f"completion requirement not met: {term.on_time} of {len(term.outcomes)} assignment(s) "
                    f"on time (grace days included), at least {policy.min_on_time} needed")
        if late:
            sentence += f"; late: {', '.join(late)}"
        if missing:
            sentence += f"; missing: {', '.join(missing)}"
        lines.append(f"{student}  {sentence}")
    if not lines:
        lines.append(f"{student}  no deductions: all {len(term.outcomes)} assignment(s) on time")
    return lines


def _explain(o: Outcome, policy: Policy) -> str:
    if not o.submitted:
        return f"no submission: {o.final:.2f}"
    text = f"submitted {o.days_late} day(s) late; {o.grace_used} grace day(s) used ({o.grace_left} left)"
    if o.penalty_days == 0:
        return f"{text}; no penalty: {o.final:.2f}"
    if o.penalty_days <= policy.max_late_days:
        return f"{text}; {o.penalty_days} day(s) of penalty: {o.mark:.2f} -> {o.final:.2f}"
    if o.grace_left > 0:  # grace days were held back: they could not have saved this one
        return (f"{text}, as even {o.grace_left} would leave {o.days_late - o.grace_left} day(s) of penalty, "
                f"more than the {policy.max_late_days} allowed: {o.mark:.2f} -> {o.final:.2f}")
    return (f"{text}; {o.penalty_days} day(s) of penalty, more than the {policy.max_late_days} allowed: "
            f"{o.mark:.2f} -> {o.final:.2f}")
