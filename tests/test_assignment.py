"""One Assignment, loaded once per process and file version, its five sources cross-checked:
each disagreement is one line naming the file (and line) and what to write instead."""

from __future__ import annotations

import builtins
import io
import shutil
from collections import Counter
from pathlib import Path

import pytest

from autograder import cli
from autograder.assignment import load_assignment
from autograder.errors import ChecksError, KitError
from autograder.layout import Layout

SOURCES = ("spec.toml", "cases.toml", "checks.py", "notebook.py", "toy.py")


@pytest.fixture
def kit(toy_course: Path, monkeypatch) -> Path:
    """The toy course (conftest.py), the working directory."""
    monkeypatch.chdir(toy_course)
    return toy_course


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


@pytest.fixture
def opened(monkeypatch) -> Counter:
    """How many times each source file of the toy assignment is opened from now on."""
    counts: Counter = Counter()
    real_open = io.open

    def counting_open(file, *args, **kwargs):
        name = Path(file).name if isinstance(file, (str, Path)) else None
        if name in SOURCES:
            counts[name] += 1
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(io, "open", counting_open)  # what Path.open calls
    monkeypatch.setattr(builtins, "open", counting_open)
    return counts


def test_do_release_and_validate_in_one_process_read_each_source_once(kit, opened, capsys):
    assert cli.main(["release", "toy"]) == 0
    assert cli.main(["validate", "toy", "--skip-notebooks"]) == 0, capsys.readouterr()
    assert "validate toy: passed" in capsys.readouterr().out
    # Validate grades the solution as a submission, which reads it again; the others are read only by loading.
    assert {name: opened[name] for name in SOURCES if name != "toy.py"} == dict.fromkeys(
        ("spec.toml", "cases.toml", "checks.py", "notebook.py"), 1)


def test_is_the_same_assignment_given_again_until_a_source_changes(kit):
    first = load_assignment(Layout(kit), "toy")
    assert load_assignment(Layout(kit), "toy") is first
    edit(kit / "assignments" / "toy" / "spec.toml", 'title = "Toy Regression"', 'title = "Toy regression, again"')
    again = load_assignment(Layout(kit), "toy")
    assert again is not first and again.title == "Toy regression, again"
    assert load_assignment(Layout(kit), "toy") is again


def test_does_the_assignment_hold_every_source(kit):
    toy = load_assignment(Layout(kit), "toy")
    assert (toy.id, toy.part_names, [p.functions for p in toy.parts]) == (
        "toy", ["predict", "mse_loss"], [["predict"], ["mse_loss"]])
    assert toy.solution.shown == "solutions/toy.py" and sorted(toy.solution.definitions) == ["mse_loss", "predict"]
    assert [d.names for d in toy.notebook.function_directives] == [("predict",), ("mse_loss",)]
    assert toy.grading_files()["checks.py"] == (kit / "assignments" / "toy" / "checks.py").read_text()
    assert toy.layout == Layout(kit) and toy.spec.layout == Layout(kit)


def test_are_the_public_data_computed_once_for_the_loaded_assignment(kit):
    """The setup cell of both notebooks and the check script carry the same data: computed once, then kept."""
    toy = load_assignment(Layout(kit), "toy")
    data = toy.public_data
    assert toy.public_data is data and load_assignment(Layout(kit), "toy").public_data is data
    assert data["assignment"] == "toy" and list(data["parts"]) == ["predict", "mse_loss"]
    assert [len(p["cases"]) for p in data["parts"].values()] == [len(toy.spec.public.cases[p]) for p in data["parts"]]


def test_does_an_assignment_without_solution_or_notebook_load_for_grading(kit):
    """The Gradescope zip carries neither; releasing needs both and says which is missing."""
    (kit / "solutions" / "toy.py").unlink()
    (kit / "assignments" / "toy" / "notebook.py").unlink()
    toy = load_assignment(Layout(kit), "toy")
    assert toy.solution is None and toy.notebook is None and toy.part_names == ["predict", "mse_loss"]
    with pytest.raises(KitError) as info:
        toy.release_sources("validate")
    assert str(info.value) == "cannot validate 'toy': solutions/toy.py does not exist"


CHECKS = "assignments/toy/checks.py"
NOTEBOOK = "assignments/toy/notebook.py"
SOLUTION = "solutions/toy.py"

CROSS_CHECKS = [
    ("assignments/toy/checks.py", '    Part("predict", make_predict_inputs, in_float64(reference_predict)),\n',
     '    Part("predict", make_predict_inputs, in_float64(reference_predict)),\n'
     '    Part("predict_all", make_predict_inputs, in_float64(reference_predict)),\n',
     f"{CHECKS}:24: PARTS has part 'predict_all', which spec.toml does not grade - did you mean 'predict'? (its "
     'parts: predict, mse_loss): add a [[parts]] table with name = "predict_all" and its points to '
     "assignments/toy/spec.toml, or take the Part out of PARTS"),
    ("solutions/toy.py", "def mse_loss(", "def mse_los(",
     f"{SOLUTION}: part 'mse_loss' grades mse_loss(), which {SOLUTION} does not define at top level - did you mean "
     "'mse_los'? (defined: mse_los, predict): write def mse_loss(...) there, its body between '# BEGIN SOLUTION' "
     "and '# END SOLUTION' lines"),
    ("solutions/toy.py", "    # BEGIN SOLUTION\n    y_hat = X @ w + b\n    return y_hat\n    # END SOLUTION\n",
     "    y_hat = X @ w + b\n    return y_hat\n",
     f"{SOLUTION}:6: predict(), which part 'predict' grades, has no solution region, so the starter would hand it "
     "out complete: put its body between '# BEGIN SOLUTION' and '# END SOLUTION' lines"),
    ("assignments/toy/notebook.py", "# %%\n# kit: function mse_loss\n", "",
     f"{NOTEBOOK}: mse_loss(), which part 'mse_loss' grades, has no '# kit: function mse_loss' cell, so the "
     "notebook would not give students its stub: add a code cell holding that line where students should write it"),
    ("assignments/toy/notebook.py", "# kit: function mse_loss", "# kit: function mse",
     f"{NOTEBOOK}:19: '# kit: function' names 'mse', which {SOLUTION} does not define at top level "
     "(defined: mse_loss, predict)"),
    ("assignments/toy/notebook.py", "# %% [markdown]\n# A linear model", "# kit: setup\n# %% [markdown]\n# A linear model",
     f"{NOTEBOOK}:1: a kit directive must be in a code cell of its own, after a '# %%' line"),
]


@pytest.mark.parametrize("file, old, new, message", CROSS_CHECKS, ids=[c[3].split(": ", 1)[1][:40] for c in CROSS_CHECKS])
def test_is_a_disagreement_between_sources_one_line_naming_file_and_fix(kit, file, old, new, message):
    edit(kit / file, old, new)
    with pytest.raises(KitError) as info:
        load_assignment(Layout(kit), "toy")
    assert str(info.value) == message


@pytest.mark.parametrize("command", [["release", "toy"], ["check", "toy", "solutions/toy.py"],
                                     ["gradescope", "toy", "--out", "toy.zip"], ["validate", "toy"]])
def test_does_every_command_stop_on_a_disagreement_with_exit_2_writing_nothing(kit, capsys, command):
    edit(kit / "solutions" / "toy.py", "def mse_loss(", "def mse_los(")
    assert cli.main(command) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {SOLUTION}: part 'mse_loss' grades mse_loss(), which ") and err.count("\n") == 1
    assert not (kit / "starter_code").exists() and not (kit / "notebooks").exists()
    assert not (kit / "toy.zip").exists()


def test_does_grading_load_the_assignment_that_the_gradescope_zip_carries(kit):
    """Only spec.toml, cases.toml and checks.py: what GradingSession's plan is made from there."""
    from autograder.grading.grade import make_plan
    shutil.rmtree(kit / "solutions")
    (kit / "assignments" / "toy" / "notebook.py").unlink()
    plan = make_plan(load_assignment(Layout(kit), "toy"))
    assert [(p.spec.name, len(p.cases)) for p in plan.parts] == [("predict", 3), ("mse_loss", 2)]
    assert isinstance(plan.assignment.checks.PARTS["predict"].name, str)


def test_is_a_part_missing_from_checks_reported_before_any_case_is_built(kit):
    edit(kit / "assignments" / "toy" / "checks.py", "return torch.addmv(b.expand(X.shape[0]), X, w)", "return 1 / 0")
    for file in ("spec.toml", "cases.toml"):
        path = kit / "assignments" / "toy" / file
        path.write_text(path.read_text().replace("mse_loss", "mse"))
    with pytest.raises(ChecksError, match=r"^assignments/toy/spec.toml:19: part 'mse' has no Part in checks.py's"):
        load_assignment(Layout(kit), "toy")


def test_is_a_parts_tolerance_the_one_the_judges_take(kit):
    """One Tolerance class (checks/compare.py, which the notebooks carry): spec.toml's, as loaded."""
    from autograder import spec
    from autograder.checks.compare import Tolerance
    part = spec.load_spec(Layout(kit), "toy").parts[0]
    assert not hasattr(spec, "Tolerance")
    assert all(type(t) is Tolerance for t in part.tolerances.values())
    assert part.tolerances["float64"] == Tolerance(*part.atol_rtol["float64"])


def test_does_loading_a_spec_leave_torch_unimported(kit):
    """What reads only points and dates (the gradebook) never pays for torch: the Tolerances are made on use."""
    import subprocess
    import sys
    code = ("import sys; from pathlib import Path; from autograder.layout import Layout; "
            f"from autograder.spec import load_spec; load_spec(Layout(Path({str(kit)!r})), 'toy'); "
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parent.parent)
    assert out.stdout.strip() == "False"
