"""validate, for every assignment, as CI runs it: full marks, zero marks, notebooks, no leaks."""

from __future__ import annotations

import pytest

from autograder import paths
from autograder.assignment import load_assignment
from autograder.validate import validate


@pytest.mark.parametrize("assignment", paths.assignment_ids())
def test_does_the_assignment_validate(assignment, capsys):
    ok = validate(load_assignment(assignment))
    report = capsys.readouterr().out
    assert ok, report
    assert report.count("  ok    ") == 6, report


@pytest.mark.parametrize("assignment", paths.assignment_ids())
def test_does_the_assignment_have_every_source(assignment):
    for path in (paths.solution_file(assignment), paths.starter_file(assignment), paths.notebook_file(assignment),
                 paths.assignment_dir(assignment) / "spec.toml", paths.assignment_dir(assignment) / "cases.toml",
                 paths.assignment_dir(assignment) / "checks.py", paths.assignment_dir(assignment) / "notebook.py"):
        assert path.is_file(), f"missing {path}"
