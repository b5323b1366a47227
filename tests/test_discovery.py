"""Assignments are discovered from assignments/ (a folder with spec.toml): a new one reaches every
command with no kit file edited."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from autograder import cli, validate as validate_module
from autograder.assignment import load_assignment
from autograder.course import Course, load_course
from autograder.gradebook import GradebookInputs, build_gradebook
from autograder.gradescope.build import zip_members
from autograder.layout import KIT_LAYOUT, Layout

FIXTURE = Path(__file__).parent / "fixtures" / "release"
# The course's own assignments, in due order.
SHIPPED = ("linear_regression", "logistic_regression", "softmax_regression", "mlp")


@pytest.fixture
def course(tmp_path, monkeypatch) -> Course:
    """A course of its own holding 'toy' (due 2027-01-29) and 'ridge' (due later), the working directory."""
    root = tmp_path / "course"
    shutil.copytree(FIXTURE, root)
    (root / "course.toml").write_text('github = "https://github.com/teacher/dl-kit/blob/main"\n')
    shutil.copytree(root / "assignments" / "toy", root / "assignments" / "ridge")
    spec = root / "assignments" / "ridge" / "spec.toml"
    spec.write_text(spec.read_text().replace('id = "toy"', 'id = "ridge"').replace("2027-01-29", "2027-02-12"))
    monkeypatch.chdir(root)
    return load_course(Layout(root))


def test_are_the_repositorys_assignments_discovered_in_due_order():
    """The course's four in their order; a TA's fifth (`new ID`) anywhere among them, by its due date."""
    found = KIT_LAYOUT.assignment_ids()
    assert [a for a in found if a in SHIPPED] == list(SHIPPED)
    assert set(found) == {p.name for p in KIT_LAYOUT.assignments.iterdir() if (p / "spec.toml").is_file()}
    dues = [load_assignment(KIT_LAYOUT, a).spec.due for a in found]
    assert dues == sorted(dues)


def test_is_every_folder_with_a_spec_an_assignment_in_due_order(course):
    (course.layout.assignments / "notes").mkdir()  # no spec.toml: not an assignment
    (course.layout.assignments / "draft").mkdir()
    (course.layout.assignments / "draft" / "spec.toml").write_text("due = \n")  # unreadable yet: last
    assert course.assignment_ids == ("toy", "ridge", "draft")


def test_does_validate_with_no_names_run_every_discovered_assignment(course, monkeypatch):
    seen = []
    monkeypatch.setattr(validate_module, "validate", lambda a, notebooks=True: seen.append(a.id) or True)
    assert cli.main(["validate", "--skip-notebooks"]) == 0
    assert seen == ["toy", "ridge"]


def test_does_the_gradebook_know_a_new_assignment(course, tmp_path):
    grades = tmp_path / "ridge.csv"
    grades.write_text("submission,score,max_score,predict,mse_loss,status\nann,4,4,2,2,graded\n")
    times = tmp_path / "times.csv"
    times.write_text("student,assignment,submitted_at\nann,ridge,2027-02-12T20:00:00-05:00\n")
    summary = build_gradebook(course, GradebookInputs({"ridge": grades}, tmp_path / "gradebook.csv", times))
    assert summary.assignments == ("ridge",)
    assert (tmp_path / "gradebook.csv").read_text().splitlines()[1] == "ann,100.00,0,no"


def test_does_the_gradescope_zip_carry_a_new_assignment(course):
    members = zip_members(load_assignment(course.layout, "ridge"))
    assert {f"assignments/ridge/{f}" for f in ("spec.toml", "cases.toml", "checks.py")} <= set(members)
