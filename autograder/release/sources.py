"""Read what one assignment's release is built from: its solution file, notebook source and title.

Every path goes through ``autograder.paths`` at call time, so tests can point the whole
release at a temporary tree by monkeypatching those constants.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from .. import paths
from ..errors import KitError, SpecError
from ..spec import load_spec


@dataclass(frozen=True)
class AssignmentSources:
    assignment: str
    title: str
    solution_path: Path
    solution_text: str
    notebook_path: Path
    notebook_text: str


def display_path(path: Path) -> str:
    """``path`` relative to the repository root when it is inside it (for messages)."""
    try:
        return path.relative_to(paths.ROOT).as_posix()
    except ValueError:
        return str(path)


def read_text(path: Path) -> str:
    """File text with its line endings untouched, so outputs can stay byte-identical."""
    with path.open(encoding="utf-8", newline="") as f:
        return f.read()


def notebook_source_file(assignment: str) -> Path:
    return paths.assignment_dir(assignment) / "notebook.py"


def missing_sources(assignment: str) -> list[Path]:
    """The release inputs of ``assignment`` that do not exist (yet)."""
    needed = [paths.solution_file(assignment), notebook_source_file(assignment)]
    return [p for p in needed if not p.is_file()]


def load_title(assignment: str) -> str:
    """The title from spec.toml; the id spelled as words while spec.toml does not exist yet."""
    spec_path = paths.assignment_dir(assignment) / "spec.toml"
    if not spec_path.is_file():
        return assignment.replace("_", " ").title()
    try:
        return load_spec(assignment).title
    except KitError:
        # Another part of the spec may still be in progress; the title is all we need here.
        try:
            with spec_path.open("rb") as f:
                raw = tomllib.load(f)
        except tomllib.TOMLDecodeError as e:
            raise SpecError(f"not valid TOML: {e}", path=display_path(spec_path)) from None
        if not isinstance(raw.get("title"), str):
            raise SpecError("missing key 'title'", path=display_path(spec_path)) from None
        return raw["title"]


def load_sources(assignment: str) -> AssignmentSources:
    """Everything release reads for one assignment; KitError naming a missing input."""
    missing = missing_sources(assignment)
    if missing:
        raise KitError(f"cannot release {assignment!r}: {display_path(missing[0])} does not exist")
    solution_path = paths.solution_file(assignment)
    notebook_path = notebook_source_file(assignment)
    return AssignmentSources(
        assignment=assignment,
        title=load_title(assignment),
        solution_path=solution_path,
        solution_text=read_text(solution_path),
        notebook_path=notebook_path,
        notebook_text=read_text(notebook_path),
    )
