"""Where a course's files live, relative to its root folder (the one with course.toml).

A ``Layout`` is a value: the CLI makes one from the course it found (``Course.layout``) and hands it
to whatever needs a path, so nothing reads a module-level root and tests make their own for a
temporary tree instead of re-pointing globals.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from .tomlfile import tomllib

PACKAGE = Path(__file__).resolve().parent  # the kit itself, wherever the course is
COURSE_FILE_NAME = "course.toml"
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


@dataclass(frozen=True)
class Layout:
    root: Path

    @property
    def assignments(self) -> Path:
        return self.root / "assignments"

    @property
    def solutions(self) -> Path:
        return self.root / "solutions"

    @property
    def starter_code(self) -> Path:
        return self.root / "starter_code"

    @property
    def notebooks(self) -> Path:
        return self.root / "notebooks"

    @property
    def dist(self) -> Path:
        return self.root / "dist"

    @property
    def course_file(self) -> Path:
        return self.root / COURSE_FILE_NAME

    def assignment_dir(self, assignment: str) -> Path:
        return self.assignments / assignment

    def solution_file(self, assignment: str) -> Path:
        return self.solutions / f"{assignment}.py"

    def starter_file(self, assignment: str) -> Path:
        return self.starter_code / f"{assignment}.py"

    def notebook_file(self, assignment: str) -> Path:
        return self.notebooks / f"{assignment}.ipynb"

    def notebook_source_file(self, assignment: str) -> Path:
        return self.assignments / assignment / "notebook.py"

    def shown(self, path: Path | str) -> str:
        """``path`` relative to the course root when it is inside it (for messages), else as given."""
        path = Path(path)
        for candidate, root in ((path, self.root), (path.resolve(), self.root.resolve())):
            try:
                return candidate.relative_to(root).as_posix()
            except ValueError:
                pass
        return str(path)

    def assignment_ids(self) -> tuple[str, ...]:
        """Every assignment of the course: each folder of assignments/ that holds a spec.toml,
        in due order (then by name; one whose due date cannot be read yet comes last).

        Discovered, never listed, so a new assignment folder reaches every command untouched.
        """
        if not self.assignments.is_dir():
            return ()
        found = [p.name for p in self.assignments.iterdir()
                 if (p / "spec.toml").is_file() and not p.name.startswith((".", "_"))]
        due = {a: self._due_or_none(a) for a in found}
        return tuple(sorted(found, key=lambda a: (due[a] is None, due[a] or _EPOCH, a)))

    def _due_or_none(self, assignment: str) -> dt.datetime | None:
        """The spec's due date for ordering only; load_assignment reports what is wrong with it."""
        try:
            with (self.assignment_dir(assignment) / "spec.toml").open("rb") as f:
                due = tomllib.load(f).get("due")
            due = dt.datetime.fromisoformat(due) if isinstance(due, str) else due
            return due if isinstance(due, dt.datetime) and due.tzinfo is not None else None
        except (OSError, tomllib.TOMLDecodeError, ValueError):
            return None


KIT_LAYOUT = Layout(PACKAGE.parent)  # the course that ships with the kit (tests, benchmarks)
