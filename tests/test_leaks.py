"""The leak scanner: each kind of leak is refused with its place; clean text passes."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest

from autograder.assignment import load_assignment
from autograder.errors import KitError, LeakError
from autograder.layout import Layout
from autograder.release.leaks import load_secrets, scan_for_leaks, scan_notebook_for_leaks

FIXTURE = Path(__file__).parent / "fixtures" / "release"
WHERE = "starter_code/toy.py"


@pytest.fixture
def kit(tmp_path) -> Path:
    """The root of a copy of the fixture kit (assignment 'toy'), a course of its own."""
    root = tmp_path / "kit"
    shutil.copytree(FIXTURE, root)
    return root


def secrets(kit: Path):
    return load_secrets(load_assignment(Layout(kit), "toy"))


def _leak(text: str, kit: Path) -> str:
    with pytest.raises(LeakError) as info:
        scan_for_leaks(text, secrets=secrets(kit), where=WHERE)
    return str(info.value)


def test_is_clean_text_accepted(kit):
    scan_for_leaks("def mse_loss(y_hat, y):\n    diff = y_hat - y\n    raise NotImplementedError\n",
                   secrets=secrets(kit), where=WHERE)


def test_is_a_solution_marker_refused(kit):
    assert _leak("x = 1\n    # BEGIN SOLUTION\n", kit) == (
        f"{WHERE}:2: refusing to write a leak: this would show a solution marker "
        "('BEGIN SOLUTION'): '# BEGIN SOLUTION'")


def test_is_an_end_marker_refused_too(kit):
    assert "a solution marker ('END SOLUTION')" in _leak("### END SOLUTION\n", kit)


def test_is_a_solution_line_refused_with_where_it_comes_from(kit):
    assert _leak("# intro\nloss = (diff ** 2).mean()\n", kit) == (
        f"{WHERE}:2: refusing to write a leak: this would show a line of a solution region "
        "(solutions/toy.py:33): 'loss = (diff ** 2).mean()'")


def test_is_a_reformatted_or_quoted_solution_line_still_refused(kit):
    assert "solutions/toy.py:33" in _leak("        loss=(diff**2 ).mean()\n", kit)
    assert "solutions/toy.py:33" in _leak("`loss = (diff ** 2).mean()`\n", kit)


def test_is_a_short_solution_line_not_treated_as_a_secret(kit):
    # 'y_hat = X @ w + b' has 11 non-space characters: too common to refuse.
    scan_for_leaks("y_hat = X @ w + b\nreturn y_hat\n", secrets=secrets(kit), where=WHERE)


def test_is_a_solution_line_that_also_appears_outside_the_regions_not_a_secret(kit):
    solution = kit / "solutions" / "toy.py"
    solution.write_text(solution.read_text() + "\n\nEXAMPLE = 1\nloss = (diff ** 2).mean()\n")
    scan_for_leaks("loss = (diff ** 2).mean()\n", secrets=secrets(kit), where=WHERE)


def test_is_the_hidden_seed_refused_as_a_number(kit):
    assert _leak("torch.manual_seed(987654)\n", kit) == (
        f"{WHERE}:1: refusing to write a leak: this would show the hidden seed 987654 from "
        "assignments/toy/cases.toml: 'torch.manual_seed(987654)'")


@pytest.mark.parametrize("text", ["x = 9876543\n", "x = 0.987654\n", "name_987654 = 1\n", "1987654\n"])
def test_is_the_hidden_seed_inside_a_longer_number_or_name_accepted(kit, text):
    scan_for_leaks(text, secrets=secrets(kit), where=WHERE)


def test_is_the_public_seed_accepted(kit):
    scan_for_leaks("torch.manual_seed(1234)\n", secrets=secrets(kit), where=WHERE)


def test_is_a_raw_line_of_the_hidden_table_refused(kit):
    message = _leak('mse_loss = [{N = 1000, dtype = "float32"}]\n', kit)
    assert message.startswith(f"{WHERE}:1: refusing to write a leak: this would show a line of the "
                              "[hidden] table (assignments/toy/cases.toml:13)")


@pytest.mark.parametrize("text", [
    'HIDDEN = {"predict": [{"N": 257, "D": 31, "dtype": "float32"}]}\n',
    "cases = [{'N': 1000, 'dtype': 'float32'}]\n",
    'cases = [\n    {\n        "N": 1000,\n        "dtype": "float32"\n    }\n]\n',
])
def test_is_a_serialised_hidden_case_refused(kit, text):
    assert "this would show a hidden case from assignments/toy/cases.toml" in _leak(text, kit)


def test_is_a_hidden_case_equal_to_a_public_case_accepted(kit):
    # {N=4, D=3, float64} is in both tables, so embedding the public cases shows nothing hidden.
    scan_for_leaks('PUBLIC = {"predict": [{"N": 4, "D": 3, "dtype": "float64"}]}\n',
                   secrets=secrets(kit), where=WHERE)


def test_is_a_leak_in_a_notebook_reported_with_its_cell_and_line(kit):
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Title"),
        nbformat.v4.new_code_cell("x = 1\ntorch.manual_seed(987654)"),
    ])
    with pytest.raises(LeakError) as info:
        scan_notebook_for_leaks(nb, secrets=secrets(kit), where="notebooks/toy.ipynb")
    assert str(info.value).startswith("notebooks/toy.ipynb, cell 2, line 2: refusing to write a leak: "
                                      "this would show the hidden seed 987654")


def test_is_a_hidden_seed_too_short_to_scan_for_reported(kit):
    cases = kit / "assignments" / "toy" / "cases.toml"
    cases.write_text(cases.read_text().replace("seed = 987654", "seed = 42"))
    with pytest.raises(KitError) as info:
        scan_for_leaks("x = 1\n", secrets=secrets(kit), where=WHERE)
    assert str(info.value) == ("assignments/toy/cases.toml: the hidden seed 42 is too short to scan for "
                               "leaks (it would match ordinary numbers): use a seed of at least 4 digits")


def test_does_an_assignment_without_a_solution_still_refuse_its_hidden_seed(kit):
    (kit / "solutions" / "toy.py").unlink()  # as in the Gradescope zip: the checks and cases still count
    assert "the hidden seed 987654" in _leak("seed = 987654\n", kit)
