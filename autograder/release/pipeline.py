"""Release: build every generated file of the chosen assignments, refuse leaks, write what changed.

One pass per assignment, each step once: load it (autograder/assignment.py: spec, cases, checks,
solution and notebook source, read and cross-checked once); build: hold its notebook's questions and points
table to spec.toml, build every case and run the reference solution on it (checks/building.py), then make
what the setup cell and the check script carry (setup_cell.KitCheck, from Assignment.public_data)
and render the starter, the student and solution notebooks, the check script and the reference
module (``expected_outputs``); scan each student-facing file for leaks against the assignment's
secrets, gathered once (leaks.py); and only when all assignments built cleanly, compare with what
is on disk and write the files whose content differs. So a failure anywhere writes nothing, and a
second run writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..atomic import write_atomically
from ..assignment import Assignment, load_assignment, missing_source_error, missing_sources
from ..checks.building import check_assignment
from ..course import load_course
from ..layout import Layout
from . import check_script, rules_doc, setup_cell, torch_names
from .leaks import refuse_leaks
from .notebook import build_notebook, notebook_to_json
from .points_table import check_points_table
from .questions import check_question_points
from .starter import build_starter


@dataclass
class ReleaseResult:
    written: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    stale: list[Path] = field(default_factory=list)  # check_only: committed files that differ or are missing
    skipped: dict[str, Path] = field(default_factory=dict)  # assignment -> its first missing source


def output_files(layout: Layout, assignment: str) -> dict[str, Path]:
    """Where each generated file of ``assignment`` goes: those that live in git (starter_code/, notebooks/)
    first, then the dist/ bundles (which do not)."""
    check = f"check_{assignment}.py"  # python check_<id>.py FILE, as the starter's header says
    student, solution = layout.dist / assignment / "student", layout.dist / assignment / "solution"
    return {
        "starter": layout.starter_file(assignment),
        "check": layout.starter_code / check,
        "notebook": layout.notebook_file(assignment),
        "student_notebook": student / f"{assignment}.ipynb",
        "student_code": student / f"{assignment}.py",
        "student_check": student / check,
        "solution_notebook": solution / f"{assignment}_solution.ipynb",
        "solution_code": solution / f"{assignment}.py",
    }


def expected_outputs(assignment: Assignment, github_base: str | None = None) -> dict[Path, str]:
    """Every generated file of ``assignment`` -> its exact content; LeakError on a leak, and
    ChecksError when a case cannot be built or its expected value computed.

    ``github_base`` (OWNER/REPO/blob/BRANCH) defaults to course.toml's github location."""
    layout = assignment.layout
    files = output_files(layout, assignment.id)
    github_base = github_base or load_course(layout).github_base
    solution, notebook = assignment.release_sources()
    check_question_points(assignment.spec, notebook.questions, notebook.shown)  # every question's points known
    check_points_table(assignment)  # the notebook's table of functions and points, against spec.toml
    # every case built, its expected value and known mistakes computed, the solution run on it and judged:
    # a broken checks.py, cases.toml or solution stops here
    check_assignment(assignment, run_solution=True)
    kit = setup_cell.kitcheck(assignment.public_data)  # the check modules and public cases, for both below
    setup = setup_cell.setup_cell_source(kit)  # the same in both notebooks
    starter = build_starter(assignment.id, assignment.spec.title, solution)
    student_nb = build_notebook(assignment, variant="student", github_base=github_base, setup=setup)
    solution_nb = build_notebook(assignment, variant="solution", github_base=github_base, setup=setup)
    check = check_script.check_script_source(assignment, kit)  # the public checks for a .py or .ipynb file
    # the dist/ copies are the same texts
    refuse_leaks(assignment, starter=(files["starter"], starter), check=(files["check"], check),
                 packed=kit.sources, notebook=(files["notebook"], student_nb))
    student_json = notebook_to_json(student_nb)
    contents = {"starter": starter, "check": check, "notebook": student_json, "student_notebook": student_json,
                "student_code": starter, "student_check": check, "solution_notebook": notebook_to_json(solution_nb),
                "solution_code": solution.reference()}
    return {files[role]: contents[role] for role in files}


def _selected(layout: Layout, assignments: list[str], skipped: dict[str, Path]) -> list[str]:
    """Every discovered assignment whose sources exist when none is named (the others go in
    ``skipped``, for the CLI to say so); a named one must exist."""
    if not assignments:
        for assignment in layout.assignment_ids():
            missing = missing_sources(layout, assignment)
            if missing:
                skipped[assignment] = missing[0]
        return [a for a in layout.assignment_ids() if a not in skipped]
    for assignment in assignments:
        missing = missing_sources(layout, assignment)
        if missing:
            raise missing_source_error(layout, assignment, missing[0])
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
        write_atomically(path, content.encode("utf-8"))
        result.written.append(path)


def release(layout: Layout, assignments: list[str], *, github_base: str | None = None,
            check_only: bool = False, dist: bool = True) -> ReleaseResult:
    """Regenerate the files of the course's ``assignments`` (all when empty); with check_only, only report
    stale ones.

    ``github_base`` defaults to course.toml's, so a release and ``release --check`` always agree. The kit's
    own generated files (checks/torch_names.py, docs/rules.md) are regenerated with a release of everything,
    when the course is the kit's (a course kept elsewhere, as in tests, leaves them alone)."""
    planned: dict[Path, str] = {}
    committed: set[Path] = set()
    result = ReleaseResult()
    kit_files = not assignments and torch_names.TORCH_NAMES_FILE.is_relative_to(layout.root)
    if kit_files:
        # the allowlist's torch names first: every setup cell packs them
        _write_first(torch_names.TORCH_NAMES_FILE, torch_names.torch_names_source(), check_only, result)
    github_base = github_base or load_course(layout).github_base
    for assignment in _selected(layout, assignments, result.skipped):
        # raises before anything is written
        outputs = expected_outputs(load_assignment(layout, assignment), github_base)
        committed.update(p for p in outputs if not p.is_relative_to(layout.dist))  # in git: all but dist/
        for path, content in outputs.items():
            if path in committed or (dist and not check_only):
                planned[path] = content
    if kit_files:  # the kit-wide page, with a release of everything
        planned[rules_doc.RULES_DOC] = rules_doc.rules_markdown()
    for path, content in planned.items():
        if _current(path) == content:
            result.unchanged.append(path)
        elif check_only:
            result.stale.append(path)
        else:
            write_atomically(path, content.encode("utf-8"))  # bytes: no newline translation
            result.written.append(path)
    return result
