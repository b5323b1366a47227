"""A new TA's mistakes found by authoring an assignment from the docs alone (issue 21): each was silently
accepted, or told in words that did not say what to fix. Each is now one line naming the file and line."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from autograder import cli
from autograder.assignment import load_assignment
from autograder.checks.building import check_assignment
from autograder.errors import ChecksError, KitError, LeakError, SpecError
from autograder.layout import Layout
from autograder.release.pipeline import expected_outputs
from autograder.spec import load_spec

CHECKS = "assignments/toy/checks.py"
CASES = "assignments/toy/cases.toml"
SPEC = "assignments/toy/spec.toml"
NOTEBOOK = "assignments/toy/notebook.py"


@pytest.fixture
def kit(toy_course: Path) -> Path:
    return toy_course


def edit(kit: Path, file: str, old: str, new: str) -> None:
    path = kit / file
    text = path.read_text()
    assert old in text, f"{old!r} not in {file}"
    path.write_text(text.replace(old, new, 1))


def release_error(kit: Path) -> KitError:
    """What release stops with (it builds every output, then writes nothing)."""
    with pytest.raises(KitError) as info:
        expected_outputs(load_assignment(Layout(kit), "toy"), "teacher/dl-kit/blob/main")
    return info.value


# --- checks.py --------------------------------------------------------------------------------------

def test_is_an_input_generator_that_ignores_g_refused_at_its_line(kit):
    """Drawing from torch's global generator gives the notebook other public cases than the grader's."""
    edit(kit, CHECKS, "return Call(randn(g, (N,), dtype), randn(g, (N,), dtype))",
         "return Call(torch.randn(N, dtype=dtype), torch.randn(N, dtype=dtype))")
    with pytest.raises(ChecksError) as info:
        check_assignment(load_assignment(Layout(kit), "toy"))
    message = str(info.value)
    assert message.startswith(f"{CHECKS}:14: the input generator of part 'mse_loss', make_mse_inputs, gave other "
                              "inputs when [public.cases] mse_loss[0] (float64 N=4) was built again: draw every "
                              "random number from its generator g")
    assert message.endswith(f"(the case is at {CASES}:6)")


@pytest.mark.parametrize("names, returns", [(("y", "z"), "one tensor")])
def test_are_names_that_do_not_fit_the_reference_refused_at_the_part(kit, names, returns):
    edit(kit, CHECKS, 'Part("predict", make_predict_inputs, in_float64(reference_predict))',
         f'Part("predict", make_predict_inputs, in_float64(reference_predict), names={names!r})')
    with pytest.raises(ChecksError) as info:
        check_assignment(load_assignment(Layout(kit), "toy"))
    assert str(info.value) == (f"{CHECKS}:23: Part 'predict' has names=('y', 'z'), 2 name(s), but its reference "
                               f"returns {returns}: give names= one name per returned value, in order (feedback "
                               "labels each value by its name)")


def test_is_a_checks_import_that_gradescope_lacks_refused_at_its_line(kit):
    pytest.importorskip("sklearn")  # installed here (the notebooks' data), not in requirements-grading.txt
    edit(kit, CHECKS, "import torch\n", "import torch\nfrom sklearn.datasets import load_diabetes\n")
    with pytest.raises(ChecksError) as info:
        check_assignment(load_assignment(Layout(kit), "toy"))
    message = str(info.value)
    assert message.startswith(f"{CHECKS}:3: checks.py imports sklearn, which grading on Gradescope does not have")
    assert "torch" in message and "compute it with torch, or add the package" in message


def test_are_the_kit_torch_and_standard_modules_fine_in_checks(kit):
    edit(kit, CHECKS, "import torch\n", "import math\nimport numpy as np\nimport torch\n")
    check_assignment(load_assignment(Layout(kit), "toy"))


# --- the reference solution against the reference ---------------------------------------------------

def test_does_a_failing_solution_show_how_far_off_it_is(kit):
    """With a tolerance too tight (or a slightly wrong solution) the TA needs the difference, not the tolerance."""
    edit(kit, "solutions/toy.py", "y_hat = X @ w + b", "y_hat = X @ w + b + 1e-5")
    error = release_error(kit)
    assert str(error).startswith("solutions/toy.py:6: the reference solution fails part 'predict' on [public.cases] "
                                 "predict[0] (float64 N=4 D=3): result  FAIL  max |diff| 1.0e-05 at [")
    assert "(atol 1e-08, rtol 1e-06)   got " in str(error)


def test_is_a_case_whose_answer_is_nan_blamed_on_the_case(kit):
    """N = 0: the mean of nothing is nan for the reference too; the solution is not what is wrong."""
    edit(kit, CASES, 'mse_loss = [{N = 1000, dtype = "float32"}]', 'mse_loss = [{N = 0, dtype = "float32"}]')
    error = release_error(kit)
    assert str(error) == (f"{CASES}:13: the reference of part 'mse_loss' gives nan on [hidden.cases] mse_loss[0] "
                          "(float32 N=0), so no result can pass that case: change the case so that its answer is "
                          "finite (N = 0 averages over nothing), or the reference (part 'mse_loss' at "
                          f"{CHECKS}:24)")


# --- release: hints and the notebook's points table ------------------------------------------------

def test_is_a_hint_that_quotes_the_solution_refused_at_its_mistake(kit):
    edit(kit, CHECKS, '"you summed the squared errors: average them over N"',
         '"you summed the squared errors: write loss = (diff ** 2).mean()"')
    error = release_error(kit)
    assert isinstance(error, LeakError)
    assert str(error) == (f"{CHECKS}:25: refusing to write a leak: the hint of a known mistake of part 'mse_loss' "
                          "quotes a line of a solution region (solutions/toy.py:33): 'you summed the squared "
                          "errors: write loss = (diff ** 2).mean()' - say what is wrong and where to look, not the "
                          "code that fixes it")


TABLE = """# %% [markdown]
# A linear model fitted by hand, in order (4 points):
#
# | function | points |
# | --- | --- |
# | `predict(X, w, b)` | 2 |
# | `mse_loss(y_hat, y)` | 2 |
"""


@pytest.mark.parametrize("old, new, expected", [
    ("(4 points)", "(5 points)",
     f"{NOTEBOOK}:2: the first cell says (5 points), but spec.toml's parts add up to 4 points: write (4 points)"),
    ("| `mse_loss(y_hat, y)` | 2 |", "| `mse_loss(y_hat, y)` | 3 |",
     f"{NOTEBOOK}:7: the table of graded functions gives mse_loss() 3 points, but spec.toml gives it 2 "
     f"({SPEC}:20): write 2 in the row, or change points there"),
    ("| `predict(X, w, b)` | 2 |", "| `predcit(X, w, b)` | 2 |",
     f"{NOTEBOOK}:6: the table of graded functions lists predcit(), which spec.toml does not grade - did you "
     "mean 'predict'? (its parts: predict, mse_loss): write the part's name as spec.toml has it, or take the row out"),
    ("# | `mse_loss(y_hat, y)` | 2 |\n", "",
     f"{NOTEBOOK}:6: the table of graded functions has no row for part 'mse_loss' ({SPEC}:20): add "
     "| `mse_loss(...)` | 2 | in spec.toml's order"),
])
def test_does_release_hold_the_points_table_to_spec_toml(kit, old, new, expected):
    path = kit / NOTEBOOK
    text = path.read_text()
    path.write_text(TABLE + text[text.index("\n# %%\n") + 1:])
    expected_outputs(load_assignment(Layout(kit), "toy"), "teacher/dl-kit/blob/main")  # in step: released
    edit(kit, NOTEBOOK, old, new)
    assert str(release_error(kit)) == expected


# --- spec.toml and cases.toml --------------------------------------------------------------------

def test_is_an_unclosed_case_list_named_at_the_line_that_opens_it(kit):
    edit(kit, CASES, 'mse_loss = [{N = 4, dtype = "float64"}]', 'mse_loss = [{N = 4, dtype = "float64"}')
    with pytest.raises(SpecError) as info:
        load_spec(Layout(kit), "toy")
    assert str(info.value) == (f"{CASES}:6: not valid TOML: a '[' on this line is never closed (TOML gave up at "
                               "line 8, column 1): end the list with ']' (a list of cases may span lines, each case "
                               "a { ... } table)")


def test_is_a_bare_word_value_told_to_take_quotes(kit):
    edit(kit, CASES, 'mse_loss = [{N = 1000, dtype = "float32"}]', "mse_loss = [{N = 1000, dtype = float32}]")
    with pytest.raises(SpecError) as info:
        load_spec(Layout(kit), "toy")
    assert str(info.value) == (f'{CASES}:13: not valid TOML: Invalid value at column 32: text is written in double '
                               'quotes, e.g. "float32"')


def test_is_a_label_that_is_not_text_refused(kit):
    edit(kit, CASES, 'mse_loss = [{N = 1000, dtype = "float32"}]', 'mse_loss = [{N = 1000, dtype = "float32", '
         "label = 3}]")
    with pytest.raises(SpecError) as info:
        load_spec(Layout(kit), "toy")
    assert str(info.value) == (f'{CASES}:13: [hidden.cases] mse_loss[0].label = 3 is not a name: write label = '
                               '"..." in double quotes, the words feedback shows for this case (or leave it out)')


# --- new ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["torch", "random", "math"])
def test_does_new_refuse_an_id_that_would_hide_a_module(kit, monkeypatch, capsys, name):
    """A starter torch.py (or random.py, which torch imports) breaks `import torch` for code run beside it."""
    monkeypatch.chdir(kit)
    assert cli.main(["new", name]) == 2
    assert capsys.readouterr().err == (
        f"error: {name!r} is the name of a Python module: students' starter file {name}.py would hide that module "
        f"from any code run beside it ('import {name}' would import the starter), so choose another id, e.g. "
        f"{name}_assignment\n")
    assert not (kit / "assignments" / name).exists()


def test_does_new_warn_of_a_due_date_in_the_past(kit, monkeypatch, capsys):
    monkeypatch.chdir(kit)
    last_year = (dt.date.today() - dt.timedelta(days=365)).isoformat()
    assert cli.main(["new", "ridge", "--due", last_year]) == 0
    err = capsys.readouterr().err
    assert err.startswith(f"warning: --due {last_year} is in the past (it is ")
    assert err.endswith("the assignment is written all the same; if students are still to submit it, set due in "
                        "its spec.toml\n")
    assert (kit / "assignments" / "ridge" / "spec.toml").is_file()
