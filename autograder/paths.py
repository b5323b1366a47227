"""Where the kit's files live, relative to the course's root folder (the one with course.toml).

``ROOT`` starts as the folder this package sits in; the CLI re-points it with ``use_course``
once it has found the course by walking up from the working directory. Every module reads
these names at call time (``paths.ROOT``), so tests can point them at a temporary tree.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from .tomlfile import tomllib

PACKAGE = Path(__file__).resolve().parent
ROOT = PACKAGE.parent
ASSIGNMENTS = ROOT / "assignments"
SOLUTIONS = ROOT / "solutions"
STARTER_CODE = ROOT / "starter_code"
NOTEBOOKS = ROOT / "notebooks"
DIST = ROOT / "dist"
COURSE_FILE_NAME = "course.toml"


def use_course(root: Path) -> None:
    """Point every path at the course in ``root``."""
    global ROOT, ASSIGNMENTS, SOLUTIONS, STARTER_CODE, NOTEBOOKS, DIST
    ROOT = Path(root)
    ASSIGNMENTS = ROOT / "assignments"
    SOLUTIONS = ROOT / "solutions"
    STARTER_CODE = ROOT / "starter_code"
    NOTEBOOKS = ROOT / "notebooks"
    DIST = ROOT / "dist"


def course_file() -> Path:
    return ROOT / COURSE_FILE_NAME


def assignment_ids() -> tuple[str, ...]:
    """Every assignment of the course: each folder of assignments/ that holds a spec.toml,
    in due order (then by name; one whose due date cannot be read yet comes last).

    Discovered, never listed, so a new assignment folder reaches every command untouched.
    """
    if not ASSIGNMENTS.is_dir():
        return ()
    found = [p.name for p in ASSIGNMENTS.iterdir()
             if (p / "spec.toml").is_file() and not p.name.startswith((".", "_"))]
    return tuple(sorted(found, key=lambda a: (_due_or_none(a) is None, _due_or_none(a) or _EPOCH, a)))


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def _due_or_none(assignment: str) -> dt.datetime | None:
    """The spec's due date for ordering only; load_assignment reports what is wrong with it."""
    try:
        with (ASSIGNMENTS / assignment / "spec.toml").open("rb") as f:
            due = tomllib.load(f).get("due")
        due = dt.datetime.fromisoformat(due) if isinstance(due, str) else due
        return due if isinstance(due, dt.datetime) and due.tzinfo is not None else None
    except (OSError, tomllib.TOMLDecodeError, ValueError):
        return None


def assignment_dir(assignment: str) -> Path:
    return ASSIGNMENTS / assignment


def solution_file(assignment: str) -> Path:
    return SOLUTIONS / f"{assignment}.py"


def starter_file(assignment: str) -> Path:
    return STARTER_CODE / f"{assignment}.py"


def notebook_file(assignment: str) -> Path:
    return NOTEBOOKS / f"{assignment}.ipynb"


def notebook_source_file(assignment: str) -> Path:
    return ASSIGNMENTS / assignment / "notebook.py"


def shown(path: Path) -> str:
    """``path`` relative to the course root when it is inside it (for messages), else as given."""
    path = Path(path)
    for candidate, root in ((path, ROOT), (path.resolve(), ROOT.resolve())):
        try:
            return candidate.relative_to(root).as_posix()
        except ValueError:
            pass
    return str(path)
