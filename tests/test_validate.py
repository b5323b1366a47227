"""validate, for every assignment, as CI runs it: full marks, zero marks, notebooks, no leaks."""

from __future__ import annotations

import pytest

from autograder.assignment import load_assignment
from autograder.layout import KIT_LAYOUT
from autograder.validate import validate



@pytest.mark.slow
@pytest.mark.parametrize("assignment", KIT_LAYOUT.assignment_ids())
def test_does_the_assignment_validate(assignment, capsys):
    ok = validate(load_assignment(KIT_LAYOUT, assignment))
    report = capsys.readouterr().out
    assert ok, report
    assert report.count("  ok    ") == 6, report


@pytest.mark.parametrize("assignment", KIT_LAYOUT.assignment_ids())
def test_does_the_assignment_have_every_source(assignment):
    layout, folder = KIT_LAYOUT, KIT_LAYOUT.assignment_dir(assignment)
    for path in (layout.solution_file(assignment), layout.starter_file(assignment), layout.notebook_file(assignment),
                 folder / "spec.toml", folder / "cases.toml", folder / "checks.py", folder / "notebook.py"):
        assert path.is_file(), f"missing {path}"


def test_does_validate_refuse_a_known_mistake_that_raises_on_every_case_as_release_does(toy_course, monkeypatch,
                                                                                       capsys):
    """checks.py edited after the release: validate went through every step (a sandbox, the grading) and
    reported it as a stale release; with --device nothing at all. Now both refuse it first, in release's words."""
    from autograder import cli
    checks = toy_course / "assignments" / "toy" / "checks.py"
    checks.write_text(checks.read_text().replace("lambda y_hat, y:", "lambda y_hat, y, N:"))
    monkeypatch.chdir(toy_course)
    assert cli.main(["release", "toy"]) == 2
    refused = capsys.readouterr().err
    assert refused.startswith("error: assignments/toy/checks.py:25: part 'mse_loss': mistake 'you summed the "
                              "squared errors: average them over N' raises on every case")
    for argv in (["validate", "toy", "--skip-notebooks"], ["validate", "toy", "--device", "cpu", "--skip-notebooks"]):
        assert cli.main(argv) == 2
        said = capsys.readouterr()
        assert (said.out, said.err) == ("", refused), argv  # before any step


def test_does_a_notebook_run_keep_its_cells_warnings_and_keep_the_kernels_noise_off_the_terminal(tmp_path, capfd):
    """The kernel printed '[IPKernelApp] WARNING | Kernel is running over TCP without encryption ...' on every
    run (and, with other ipykernel versions, debugpy's frozen-modules notice); a warning of the notebook's own
    code went nowhere (into the executed copy, thrown away)."""
    import nbformat

    from autograder.validate import _execute
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("import warnings\nwarnings.warn('from the notebook')\nprint('hi')"),
        nbformat.v4.new_markdown_cell("text"),
        nbformat.v4.new_code_cell("import os, warnings\nos.write(2, b'fd 2\\n')\n"
                                  "warnings.warn('later', FutureWarning)\nwarnings.warn('later', FutureWarning)"),
    ])
    assert _execute(nb, str(tmp_path)) == ["cell 1: UserWarning: from the notebook", "cell 3: FutureWarning: later"]
    assert nb.cells[0].outputs[0]["text"] == "hi\n"
    assert capfd.readouterr() == ("", "")  # nothing from the kernel process on this terminal


def test_does_validate_show_a_notebooks_warnings_under_its_step(capsys):
    from autograder.validate import _step, _with_warnings
    assert _step("reference notebook executes top to bottom",
                 lambda: _with_warnings("55 cells", ["cell 3: UserWarning: from the notebook"]))
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("  ok    reference notebook executes top to bottom: 55 cells, 1 warning(s) raised "
                               "by its cells (")
    assert lines[1:] == ["          warning: cell 3: UserWarning: from the notebook"]


def test_does_a_failing_reference_cell_say_which_cell():
    """A TA's notebook experiment that fails was "a cell failed: NameError ..." with no way to find the cell."""
    import nbformat

    from autograder.validate import ValidationFailure, _run_reference

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Title"),
                                         nbformat.v4.new_code_cell("x = 1"),
                                         nbformat.v4.new_code_cell("# an experiment\nplot(lossses)")])
    with pytest.raises(ValidationFailure) as caught:
        _run_reference(nb)
    assert str(caught.value) == "cell 3 ('# an experiment') failed: NameError: name 'plot' is not defined"
