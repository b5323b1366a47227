"""The repository's own documents: the curriculum names every graded part, nothing cites the
missing CURRICULUM.md, and the student-files page covers every file release hands out."""

from __future__ import annotations

import re

import pytest

from autograder import paths
from autograder.release.pipeline import _dist_files, committed_files
from autograder.assignment import load_assignment
from conftest import ROOT

CURRICULUM = (ROOT / "docs" / "curriculum.md").read_text()
STUDENTS = (ROOT / "docs" / "what-students-get.md").read_text()


# The course's own assignments: the curriculum must have a section for each of them.
SHIPPED = ("linear_regression", "logistic_regression", "softmax_regression", "mlp")


def section(assignment: str) -> str | None:
    """The text of the curriculum's '## N. `assignment`' section (None: it has none)."""
    match = re.search(rf"^## \d+\. `{assignment}`\n(.*?)(?=^## |\Z)", CURRICULUM, re.M | re.S)
    return match.group(1) if match else None


@pytest.mark.per_assignment
@pytest.mark.parametrize("assignment", paths.assignment_ids())
def test_does_the_curriculum_state_every_graded_function_of_the_assignment(assignment):
    """A TA's new assignment (`new ID`) has no section until the TA writes one: `new` edits no course
    document, and the scaffold's example part is not curriculum. So its absence is a listed skip, not a
    failure; once the section exists it must list exactly the graded functions."""
    text = section(assignment)
    if text is None and assignment not in SHIPPED:
        pytest.skip(f"docs/curriculum.md has no section for {assignment} yet: add '## N. `{assignment}`' with a "
                    "row '| `function(args)` | ...' per graded function before it goes to students")
    assert text is not None, f"docs/curriculum.md has no section for {assignment}"
    rows = {m.group(1) for m in re.finditer(r"^\| `(\w+)\(", text, re.M)}
    assert rows == set(load_assignment(assignment).part_names)


def test_does_nothing_of_ours_cite_the_missing_curriculum_file():
    files = [ROOT / "README.md", *(ROOT / "docs").glob("*.md"), *(ROOT / "assignments").glob("*/notebook.py"),
             *(ROOT / "notebooks").glob("*.ipynb"), *(ROOT / "autograder").rglob("*.py")]
    citing = [str(p.relative_to(ROOT)) for p in files if "CURRICULUM.md" in p.read_text()]
    assert citing == []
    assert "docs/curriculum.md" in (ROOT / "README.md").read_text()


def test_does_the_student_files_page_cover_every_file_release_hands_out():
    student_facing = [*committed_files("ID"), _dist_files("ID")["student_notebook"], _dist_files("ID")["student_code"]]
    for path in student_facing:
        pattern = path.relative_to(paths.ROOT).as_posix().replace("ID", "<id>")
        assert f"`{pattern}`" in STUDENTS.split("## Never in student hands")[0], pattern
    never = STUDENTS.split("## Never in student hands")[1]
    for secret in ("`solutions/<id>.py`", "`dist/<id>/solution/`", "`[hidden]` table", "Gradescope zip"):
        assert secret in never, secret


def test_is_no_tracked_text_file_left_with_merge_conflict_markers():
    import subprocess
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    marker = re.compile(r"^(<<<<<<<|>>>>>>>) ", re.M)
    found = []
    for name in tracked:
        path = ROOT / name
        if path.suffix in {".md", ".py", ".toml", ".txt", ".sh", ".yml", ".cfg", ".ipynb"} and path.is_file():
            if marker.search(path.read_text(encoding="utf-8", errors="replace")):
                found.append(name)
    assert found == []
