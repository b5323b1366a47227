"""The written questions' grades in a student's feedback pages, and the file they are kept in.

``grading-room ASSIGNMENT RESULTS_DIR --feedback`` (room/feedback.py) takes each student's grades from the
room, keeps them in RESULTS_DIR/<student>/written-grades.json (``WRITTEN_FILE``: typed data, the one source of
what the student was told) and fills the place that ``grade`` leaves in feedback.md and feedback.html
(``WRITTEN_START`` ... ``WRITTEN_END``, each a line of its own, before anything a student wrote can appear on a
line of its own). ``grade`` fills that place from written-grades.json when the student's folder has one, so a
regrade keeps the written grades already given instead of blanking them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Sequence

from ..atomic import write_atomically
from ..errors import KitError
from ..escaping import html_text, markdown_text

WRITTEN_FILE = "written-grades.json"

WRITTEN_START = "<!-- written-grades -->"   # each a whole line of the page, in .md and .html alike
WRITTEN_END = "<!-- /written-grades -->"
NOT_GRADED = "not graded yet"


@dataclass(frozen=True)
class AppliedItem:
    points: Decimal       # negative for a deduction
    description: str


@dataclass(frozen=True)
class WrittenGrade:
    """One written question's grade for one student, as the feedback pages show it."""
    question: str                 # its id (q1)
    title: str                    # "Question 1 (q1)"
    points: Decimal               # what it is worth (spec.toml)
    score: Decimal | None         # None: not graded yet
    items: tuple[AppliedItem, ...]
    comment: str
    overridden: bool = False      # the grader set the score instead of the items' sum


def _written_total(grades: Sequence[WrittenGrade]) -> str:
    worth = points_text(sum((g.points for g in grades), Decimal(0)))
    if any(g.score is None for g in grades):
        return f"? / {worth} ({sum(g.score is None for g in grades)} question(s) {NOT_GRADED})"
    return f"{points_text(sum((g.score for g in grades if g.score is not None), Decimal(0)))} / {worth}"


def written_markdown(grades: Sequence[WrittenGrade]) -> list[str]:
    """The section's lines in feedback.md (the markers not included)."""
    if not grades:
        return []
    lines = [f"## Written questions: {_written_total(grades)}", ""]
    for g in grades:
        score = NOT_GRADED if g.score is None else f"{points_text(g.score)} / {points_text(g.points)}"
        lines += [f"### {markdown_text(g.title)}: {score}", ""]
        if g.score is None:
            continue
        lines += [f"- **{points_text(i.points, sign=True)}** {markdown_text(i.description)}" for i in g.items]
        if g.overridden:
            lines.append("- score set by the grader")
        if g.items or g.overridden:
            lines.append("")
        if g.comment.strip():
            lines += [f"> {markdown_text(line)}" if line.strip() else ">" for line in g.comment.strip().split("\n")]
            lines.append("")
    return lines


def written_html(grades: Sequence[WrittenGrade]) -> list[str]:
    """The section's lines in feedback.html (the markers not included)."""
    if not grades:
        return []
    e = html_text
    out = [f'<h2 id="written">Written questions: {e(_written_total(grades))}</h2>']
    for g in grades:
        if g.score is None:
            out.append(f'<h3>{e(g.title)}: <span class="ungraded">{NOT_GRADED}</span></h3>')
            continue
        out.append(f"<h3>{e(g.title)}: {points_text(g.score)} / {points_text(g.points)}</h3>")
        rows = [f'<li><span class="pts">{points_text(i.points, sign=True)}</span> {e(i.description)}</li>' for i in g.items]
        if g.overridden:
            rows.append('<li class="ungraded">score set by the grader</li>')
        if rows:
            out += ['<ul class="rubric">', *rows, "</ul>"]
        if g.comment.strip():
            out.append(f'<p class="comment">{e(g.comment.strip())}</p>')
    return out


def with_written(page: str, section: Sequence[str], path: Path) -> str:
    """The page with its written-grades place holding ``section`` (whatever it held before replaced).
    The place is the first line that is exactly WRITTEN_START and the next that is exactly WRITTEN_END; a
    page written before pages had the place is refused (grade it again)."""
    lines = page.split("\n")
    try:
        start = lines.index(WRITTEN_START)
        end = lines.index(WRITTEN_END, start + 1)
    except ValueError:
        raise KitError("this feedback page has no place for the written questions' grades (it was written by "
                       "an older kit): run grade ... --out again, then --feedback", path=path) from None
    return "\n".join([*lines[:start + 1], *section, *lines[end:]])


def points_text(value: Decimal, sign: bool = False) -> str:
    """1.50 -> '1.5', 2 -> '2' (with sign: '+2', '-0.5')."""
    text = format(value.normalize(), "f") if value != 0 else "0"
    return "+" + text if sign and value >= 0 else text


def save_written(folder: Path, grades: Sequence[WrittenGrade]) -> None:
    """folder/written-grades.json: the grades as the pages show them (numbers as decimal strings)."""
    data = [{"question": g.question, "title": g.title, "points": str(g.points),
             "score": None if g.score is None else str(g.score),
             "items": [{"points": str(i.points), "description": i.description} for i in g.items],
             "comment": g.comment, "overridden": g.overridden} for g in grades]
    write_atomically(Path(folder) / WRITTEN_FILE, json.dumps({"format": 1, "grades": data}, indent=1) + "\n")


def load_written(folder: Path) -> list[WrittenGrade]:
    """The grades kept in folder/written-grades.json ([] when there is none); KitError naming the file when it
    is not what save_written writes (whatever is wrong with it: a regrade batch must not fail on it)."""
    path = Path(folder) / WRITTEN_FILE
    if not path.is_file():
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("format") != 1 or not isinstance(data.get("grades"), list):
            raise ValueError('not an object with "format": 1 and a list of "grades"')
        return [_grade(g) for g in data["grades"]]
    except Exception as e:  # noqa: BLE001 - JSON, types, numbers, nesting: each is "not what the kit wrote"
        raise KitError(f"not a written-grades file this kit wrote ({type(e).__name__}: {str(e)[:200]}); write "
                       "it again with grading-room ... --feedback", path=path) from None


def _grade(g: dict[str, Any]) -> WrittenGrade:
    def text(value: Any) -> str:
        if not isinstance(value, str):
            raise TypeError(f"{str(value)[:40]!r} is not text")
        return value

    def points(value: Any) -> Decimal:
        number = Decimal(text(value))
        if not number.is_finite() or number.adjusted() > 6:
            raise ValueError(f"{text(value)[:40]!r} is not a number of points")
        return number

    if not isinstance(g["overridden"], bool):
        raise TypeError(f"overridden is {g['overridden']!r}, not true or false")
    return WrittenGrade(text(g["question"]), text(g["title"]), points(g["points"]),
                        None if g["score"] is None else points(g["score"]),
                        tuple(AppliedItem(points(i["points"]), text(i["description"])) for i in g["items"]),
                        text(g["comment"]), g["overridden"])
