"""The points table of a notebook's first text cell, held to spec.toml.

The scaffold's notebook opens with a table of the graded functions and their points and with their
total ("(9 points)"), then a table of the written questions, graded by hand, and theirs
("The written questions, graded by hand (7 points):", rows "| Question 1 | 2 |"): plain text,
which students read as the assignment's contract. The two totals stay apart: the functions' is
grades.csv's max_score, the questions' spec.toml's [[questions]] (a total on a line that says
"question" is the questions'). ``release`` refuses either table when it disagrees with spec.toml,
at the notebook line, so a TA who changes points in one file learns it before students do. A first
text cell without rows or totals is left alone.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..errors import KitError
from ..tomlfile import did_you_mean, line_of

if TYPE_CHECKING:
    from ..assignment import Assignment
    from .questions import Question

# '# | `fit_ridge(X, t, lam)` | 3 |' as the percent format writes a Markdown line
_ROW = re.compile(r"^#?\s*\|\s*`(?P<name>\w+)\(.*\)`\s*\|\s*(?P<points>[^|]*?)\s*\|\s*$")
_TOTAL = re.compile(r"\((?P<total>\d+(?:\.\d+)?) points?\)")
# '# | Question 2 | 3 |': a written question, by its number in the notebook
_QUESTION_ROW = re.compile(r"^#?\s*\|\s*Question\s+(?P<number>\d+)\s*\|\s*(?P<points>[^|]*?)\s*\|\s*$")
_ABOUT_QUESTIONS = re.compile(r"\bquestions?\b", re.IGNORECASE)


def check_points_table(assignment: "Assignment") -> None:
    """KitError at the notebook's line for a row or total of its first text cell that spec.toml contradicts."""
    notebook = assignment.notebook
    first = next((c for c in notebook.cells if c.kind == "markdown"), None) if notebook is not None else None
    if notebook is None or first is None:
        return
    spec = assignment.spec
    spec_file = spec.shown("spec.toml")
    points = {p.name: p.points for p in spec.parts}
    names = list(points)

    def spec_line(name: str) -> str:
        return f"{spec_file}:{line_of(spec.spec_text, 'parts', 'points', names.index(name))}"

    rows: dict[str, int] = {}
    asked = {q.number: q for q in notebook.questions}
    question_rows: dict[str, int] = {}
    for offset, text in enumerate(first.source.splitlines()):
        line = first.line + offset
        question_row = _QUESTION_ROW.match(text.strip())
        if question_row is not None:
            question_rows[_check_question_row(assignment, question_row, asked, line)] = line
            continue
        if _ABOUT_QUESTIONS.search(text):
            for total in _TOTAL.finditer(text):
                want = spec.written_points
                if float(total["total"]) != want:
                    raise KitError(f"the first cell says {total.group(0)} for the written questions, but spec.toml's "
                                   f"[[questions]] add up to {want:g} points: write ({want:g} points)",
                                   path=notebook.shown, line=line)
            continue
        row = _ROW.match(text.strip())
        if row is not None:
            name, given = row["name"], row["points"]
            if name not in points:
                raise KitError(f"the table of graded functions lists {name}(), which spec.toml does not grade"
                               f"{did_you_mean(name, names)} (its parts: {', '.join(names)}): write the part's "
                               "name as spec.toml has it, or take the row out", path=notebook.shown, line=line)
            if _number(given) != points[name]:
                raise KitError(f"the table of graded functions gives {name}() {given or 'no'} points, but spec.toml "
                               f"gives it {points[name]:g} ({spec_line(name)}): write {points[name]:g} in the row, "
                               "or change points there", path=notebook.shown, line=line)
            rows[name] = line
        for total in _TOTAL.finditer(text):
            want = sum(points.values())
            if float(total["total"]) != want:
                raise KitError(f"the first cell says {total.group(0)}, but spec.toml's parts add up to {want:g} "
                               f"points: write ({want:g} points)", path=notebook.shown, line=line)
    missing = [name for name in names if name not in rows]
    if rows and missing:
        name = missing[0]
        raise KitError(f"the table of graded functions has no row for part {name!r} ({spec_line(name)}): add "
                       f"| `{name}(...)` | {points[name]:g} | in spec.toml's order", path=notebook.shown,
                       line=max(rows.values()))
    unlisted = [q for q in notebook.questions if q.id not in question_rows]
    if question_rows and unlisted:
        q = unlisted[0]
        raise KitError(f"the table of written questions has no row for question {q.number} ({q.id}): add "
                       f"| Question {q.number} | {_points(assignment, q.id)} | in the notebook's order",
                       path=notebook.shown, line=max(question_rows.values()))


def _check_question_row(assignment: "Assignment", row: re.Match[str], asked: dict[int, "Question"], line: int) -> str:
    """The id of the question a '| Question N | points |' row names; KitError at its line when the notebook has no
    question N or spec.toml gives it other points."""
    notebook = assignment.notebook
    assert notebook is not None  # the caller read the row from it
    number, given = int(row["number"]), row["points"]
    question = asked.get(number)
    if question is None:
        raise KitError(f"the table of written questions lists Question {number}, but the notebook has "
                       f"{len(asked)} question{'s' if len(asked) != 1 else ''}: take the row out or number it as "
                       "the question is numbered", path=notebook.shown, line=line)
    want = assignment.spec.question(question.id)
    if want is not None and _number(given) != want.points:
        raise KitError(f"the table of written questions gives Question {number} ({question.id}) {given or 'no'} "
                       f"points, but spec.toml gives it {want.points:g} ({assignment.spec.question_where(question.id)}):"
                       f" write {want.points:g} in the row, or change points there", path=notebook.shown, line=line)
    return question.id


def _points(assignment: "Assignment", question_id: str) -> str:
    given = assignment.spec.question(question_id)
    return f"{given.points:g}" if given is not None else "N"


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None
