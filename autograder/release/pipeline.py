"""Release: build every generated file of the chosen assignments, refuse leaks, write what changed.

For each assignment, in order: load it (autograder/assignment.py: spec, cases, checks, solution and
notebook source, cross-checked) and build every case with its expected value (checks/building.py); build the starter, the student notebook, the solution notebook
and the reference module (``expected_outputs``); scan every student-facing one for leaks;
only when all assignments built cleanly, compare with what is on disk and write the files
whose content differs. So a failure anywhere writes nothing, and a second run writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .. import paths
from ..assignment import Assignment, load_assignment, missing_source_error, missing_sources
from ..checks.building import check_assignment
from ..paths import shown
from . import check_script, rules_doc, torch_names
from .leaks import scan_for_leaks, scan_hints_for_leaks, scan_notebook_for_leaks
from .markers import strip_markers
from .notebook import build_notebook, notebook_to_json
from .points_table import check_points_table
from .starter import build_starter

@dataclass
class ReleaseResult:
    written: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    stale: list[Path] = field(default_factory=list)  # check_only: committed files that differ or are missing
    skipped: dict[str, Path] = field(default_factory=dict)  # assignment -> its first missing source


def course_github_base() -> str:
    """OWNER/REPO/blob/BRANCH from course.toml: the one place the notebooks' Colab badges come from."""
    from ..course import load_course
    return load_course().github_base


def committed_files(assignment: str) -> list[Path]:
    """The generated files that live in git (dist/ does not)."""
    return [paths.starter_file(assignment), check_script.check_script_file(assignment),
            paths.notebook_file(assignment)]


def _dist_files(assignment: str) -> dict[str, Path]:
    base = paths.DIST / assignment
    return {
        "student_notebook": base / "student" / f"{assignment}.ipynb",
        "student_code": base / "student" / f"{assignment}.py",
        "student_check": base / "student" / check_script.check_script_name(assignment),
        "solution_notebook": base / "solution" / f"{assignment}_solution.ipynb",
        "solution_code": base / "solution" / f"{assignment}.py",
    }


def _refuse_leaks(assignment: Assignment, student_facing: dict[Path, str]) -> None:
    _, notebook = assignment.release_sources()
    scan_hints_for_leaks(assignment)  # hints are packed as data in the notebook, which the text scans cannot read
    for path, content in student_facing.items():
        where = shown(path)
        if path.suffix == ".ipynb":
            # Scan cell sources, not the JSON, whose escaping would hide a copied line.
            scan_notebook_for_leaks(nbformat.reads(content, as_version=4), assignment=assignment, where=where,
                                    source_path=notebook.shown, source_text=notebook.text)
        else:
            scan_for_leaks(content, assignment=assignment, where=where)


def expected_outputs(assignment: Assignment, github_base: str | None = None) -> dict[Path, str]:
    """Every generated file of ``assignment`` -> its exact content; LeakError on a leak, and
    ChecksError when a case cannot be built or its expected value computed.

    ``github_base`` (OWNER/REPO/blob/BRANCH) defaults to course.toml's github location."""
    github_base = github_base or course_github_base()
    solution, _ = assignment.release_sources()
    check_points_table(assignment)  # the notebook's table of functions and points, against spec.toml
    # every case built, its expected value and known mistakes computed, the solution run on it and judged:
    # a broken checks.py, cases.toml or solution stops here
    check_assignment(assignment, run_solution=True)
    starter = build_starter(assignment)
    student_nb = notebook_to_json(build_notebook(assignment, variant="student", github_base=github_base))
    solution_nb = notebook_to_json(build_notebook(assignment, variant="solution", github_base=github_base))
    reference = strip_markers(solution.text, solution.shown)
    check = check_script.check_script_source(assignment)  # the public checks for a .py or .ipynb file
    dist = _dist_files(assignment.id)
    student_facing = {
        paths.starter_file(assignment.id): starter,
        check_script.check_script_file(assignment.id): check,
        paths.notebook_file(assignment.id): student_nb,
        dist["student_notebook"]: student_nb,
        dist["student_code"]: starter,
        dist["student_check"]: check,
    }
    _refuse_leaks(assignment, student_facing)
    return {**student_facing, dist["solution_notebook"]: solution_nb, dist["solution_code"]: reference}


def _selected(assignments: list[str], skipped: dict[str, Path]) -> list[str]:
    """Every discovered assignment whose sources exist when none is named (the others go in
    ``skipped``, for the CLI to say so); a named one must exist."""
    if not assignments:
        for assignment in paths.assignment_ids():
            missing = missing_sources(assignment)
            if missing:
                skipped[assignment] = missing[0]
        return [a for a in paths.assignment_ids() if a not in skipped]
    for assignment in assignments:
        missing = missing_sources(assignment)
        if missing:
            raise missing_source_error(assignment, missing[0])
    return list(dict.fromkeys(assignments))  # drop repeats, keep order


def _current(path: Path) -> str | None:
    try:
        return path.read_bytes().decode("utf-8")
    except (FileNotFoundError, UnicodeDecodeError):
        return None


def _write_first(path: Path, content: str, check_only: bool, result: ReleaseResult) -> None:
    """A kit-wide generated file that other outputs are built from: written before them."""
    if _current(path) == content:
        result.unchanged.append(path)
    elif check_only:
        result.stale.append(path)
    else:
        path.write_bytes(content.encode("utf-8"))
        result.written.append(path)


def release(assignments: list[str], *, github_base: str | None = None,
            check_only: bool = False, dist: bool = True) -> ReleaseResult:
    """Regenerate the files of ``assignments`` (all when empty); with check_only, only report stale ones.

    ``github_base`` defaults to course.toml's, so a release and ``release --check`` always agree."""
    planned: dict[Path, str] = {}
    committed: set[Path] = set()
    result = ReleaseResult()
    if not assignments and torch_names.TORCH_NAMES_FILE.is_relative_to(paths.ROOT):
        # the allowlist's torch names first: every setup cell packs them (they are the kit's own code, so a
        # course kept elsewhere, as in tests, leaves them alone)
        _write_first(torch_names.TORCH_NAMES_FILE, torch_names.torch_names_source(), check_only, result)
    github_base = github_base or course_github_base()
    for assignment in _selected(assignments, result.skipped):
        outputs = expected_outputs(load_assignment(assignment), github_base)  # raises before anything is written
        committed.update(committed_files(assignment))
        for path, content in outputs.items():
            if path in committed or (dist and not check_only):
                planned[path] = content
    if not assignments:  # the kit-wide page, with a release of everything
        planned[rules_doc.RULES_DOC] = rules_doc.rules_markdown()
    for path, content in planned.items():
        if _current(path) == content:
            result.unchanged.append(path)
        elif check_only:
            result.stale.append(path)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content.encode("utf-8"))  # bytes: no newline translation
            result.written.append(path)
    return result
