"""``new ID``: a new assignment, complete and working, from the templates in autograder/templates/.

It writes assignments/ID/ (spec.toml, cases.toml, checks.py, notebook.py) and solutions/ID.py
with one example part, which ``release`` and ``validate`` pass as they are; docs/authoring.md
walks a TA on from there. Nothing else is edited: every command discovers the new folder.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import zoneinfo
from dataclasses import dataclass
from pathlib import Path

from . import paths
from .errors import KitError

TEMPLATES = Path(__file__).resolve().parent / "templates" / "new_assignment"
# template -> where it goes, relative to the course root (@ID@ is the assignment's id)
FILES = {
    "spec.toml.tmpl": "assignments/@ID@/spec.toml",
    "cases.toml.tmpl": "assignments/@ID@/cases.toml",
    "checks.py.tmpl": "assignments/@ID@/checks.py",
    "notebook.py.tmpl": "assignments/@ID@/notebook.py",
    "solution.py.tmpl": "solutions/@ID@.py",
}
_ID = re.compile(r"^[a-z][a-z0-9_]*$")
DUE_TIME = dt.time(23, 59)
DEFAULT_WEEKS = 4


@dataclass(frozen=True)
class NewAssignment:
    id: str
    written: list[Path]


def check_id(assignment: str) -> None:
    """KitError unless ``assignment`` can name a folder, a module and a notebook, and is not taken."""
    if not _ID.match(assignment):
        raise KitError(f"{assignment!r} is not an assignment id: use lowercase letters, digits and underscores, "
                       "starting with a letter, e.g. ridge_regression")
    for path in (paths.assignment_dir(assignment), paths.solution_file(assignment)):
        if path.exists():
            raise KitError(f"{paths.shown(path)} already exists: choose another id, or remove it to start over")


def due_date(text: str | None, timezone: str, today: dt.date | None = None) -> dt.datetime:
    """The due date-time: ``text`` as a date (23:59 in the course's zone) or an ISO date-time
    with its UTC offset; by default 23:59 four weeks from today."""
    zone = zoneinfo.ZoneInfo(timezone)
    if text is None:
        day = (today or dt.datetime.now(zone).date()) + dt.timedelta(weeks=DEFAULT_WEEKS)
        return dt.datetime.combine(day, DUE_TIME, zone)
    try:
        if "T" not in text:
            return dt.datetime.combine(dt.date.fromisoformat(text), DUE_TIME, zone)
        due = dt.datetime.fromisoformat(text)
    except ValueError:
        due = None
    if due is None or due.tzinfo is None:
        raise KitError(f"--due {text!r} is not a date: write a date, e.g. --due 2027-03-05 (23:59 in {timezone}), "
                       "or a date-time with its UTC offset, e.g. --due 2027-03-05T17:00:00-05:00")
    return due


def new_assignment(assignment: str, *, title: str | None = None, due: str | None = None,
                   timezone: str = "UTC") -> NewAssignment:
    """Write the new assignment's sources; KitError (nothing written) for a bad id or one in use."""
    check_id(assignment)
    public_seed = secrets.randbelow(10 ** 9)
    hidden_seed = public_seed
    while hidden_seed == public_seed:  # release refuses equal seeds
        hidden_seed = 10 ** 8 + secrets.randbelow(9 * 10 ** 8)
    values = {
        "@ID@": assignment,
        "@TITLE@": _toml_text(title or assignment.replace("_", " ").capitalize()),
        "@DUE@": due_date(due, timezone).isoformat(),
        # Seeds of its own: the hidden one is a secret the leak scan looks for.
        "@PUBLIC_SEED@": str(public_seed),
        "@HIDDEN_SEED@": str(hidden_seed),
    }
    rendered = {}
    for template, target in FILES.items():
        text = (TEMPLATES / template).read_text(encoding="utf-8")
        for key, value in values.items():
            text = text.replace(key, value)
        rendered[paths.ROOT / target.replace("@ID@", assignment)] = text
    for path, text in rendered.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return NewAssignment(assignment, list(rendered))


def _toml_text(title: str) -> str:
    """A title as it goes between the double quotes of spec.toml (and in the solution's docstring)."""
    if any(c in title for c in '"\\\n'):
        raise KitError(f"--title {title!r}: write a title without double quotes, backslashes or line breaks")
    return title
