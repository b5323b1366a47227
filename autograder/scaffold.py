"""``new ID``: a new assignment, complete and working, from the templates in autograder/templates/.

It writes assignments/ID/ (spec.toml, cases.toml, checks.py, notebook.py) and solutions/ID.py
with one example part, which ``release`` and ``validate`` pass as they are; docs/authoring.md
walks a TA on from there. Nothing else is edited: every command discovers the new folder, and
the course's docs/curriculum.md gets its section from the TA once the real parts exist. The
notebook template carries what every notebook must (its points table and total, the "No GPU?"
note): tests/test_new_assignment.py runs the suite's per-assignment tests on the untouched scaffold.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import sys
import zoneinfo
from dataclasses import dataclass
from pathlib import Path

from .errors import KitError
from .layout import Layout

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
# Modules a starter file named ID.py would hide from the code beside it: Python's own (torch imports many:
# a starter random.py breaks `import torch` in its folder) and what the course's notebooks and the kit import.
COURSE_MODULES = frozenset({"torch", "torchvision", "numpy", "matplotlib", "sklearn", "scipy", "pandas", "IPython",
                            "google", "tqdm", "safetensors", "nbformat", "jupytext", "PIL", "autograder", "kitcheck",
                            "tomli", "markdown_it"})
DEFAULT_WEEKS = 4


@dataclass(frozen=True)
class NewAssignment:
    id: str
    written: list[Path]
    warnings: tuple[str, ...] = ()  # one line each, for stderr: written all the same


def check_id(layout: Layout, assignment: str) -> None:
    """KitError unless ``assignment`` can name a folder, a module and a notebook, and is not taken."""
    if not _ID.match(assignment):
        raise KitError(f"{assignment!r} is not an assignment id: use lowercase letters, digits and underscores, "
                       "starting with a letter, e.g. ridge_regression")
    if assignment in sys.stdlib_module_names or assignment in COURSE_MODULES:
        raise KitError(f"{assignment!r} is the name of a Python module: students' starter file {assignment}.py "
                       f"would hide that module from any code run beside it ('import {assignment}' would import the "
                       f"starter), so choose another id, e.g. {assignment}_assignment")
    for path in (layout.assignment_dir(assignment), layout.solution_file(assignment)):
        if path.exists():
            raise KitError(f"{layout.shown(path)} already exists: choose another id, or remove it to start over")


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


def new_assignment(layout: Layout, assignment: str, *, title: str | None = None, due: str | None = None,
                   timezone: str = "UTC") -> NewAssignment:
    """Write the new assignment's sources into the course ``layout`` describes; KitError (nothing written)
    for a bad id or one in use."""
    check_id(layout, assignment)
    due_at = due_date(due, timezone)
    warnings = tuple(w for w in [_past(due_at, due)] if w)
    public_seed = secrets.randbelow(10 ** 9)
    hidden_seed = public_seed
    while hidden_seed == public_seed:  # release refuses equal seeds
        hidden_seed = 10 ** 8 + secrets.randbelow(9 * 10 ** 8)
    values = {
        "@ID@": assignment,
        "@TITLE@": _toml_text(title or assignment.replace("_", " ").capitalize()),
        "@DUE@": due_at.isoformat(),
        # Seeds of its own: the hidden one is a secret the leak scan looks for.
        "@PUBLIC_SEED@": str(public_seed),
        "@HIDDEN_SEED@": str(hidden_seed),
    }
    rendered = {}
    for template, target in FILES.items():
        text = (TEMPLATES / template).read_text(encoding="utf-8")
        for key, value in values.items():
            text = text.replace(key, value)
        rendered[layout.root / target.replace("@ID@", assignment)] = text
    for path, text in rendered.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return NewAssignment(assignment, list(rendered), warnings)


def _past(due: dt.datetime, text: str | None) -> str:
    """A warning when a new assignment is due before now: most often a slip (last year's date, a wrong month);
    a warning, not a refusal, since an old assignment may be set up again on purpose."""
    now = dt.datetime.now(due.tzinfo)
    if due >= now:
        return ""
    return (f"--due {text} is in the past (it is {now:%Y-%m-%d %H:%M} in {due.tzinfo}): the assignment is written "
            "all the same; if students are still to submit it, set due in its spec.toml")


def _toml_text(title: str) -> str:
    """A title as it goes between the double quotes of spec.toml (and in the solution's docstring)."""
    if any(c in title for c in '"\\\n'):
        raise KitError(f"--title {title!r}: write a title without double quotes, backslashes or line breaks")
    return title
