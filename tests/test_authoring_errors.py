"""A TA's mistakes in spec.toml, cases.toml and checks.py: one line naming the file, its line and the key,
saying what to write instead (did-you-mean for a misspelt name), and exit status 2 from the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder import cli
from autograder.assignment import load_assignment
from autograder.checks.building import check_assignment as build_every_case
from autograder.errors import ChecksError, SpecError
from autograder.layout import KIT_LAYOUT, Layout
from autograder.spec import load_spec


@pytest.fixture
def kit(toy_course: Path) -> Path:
    return toy_course


def check_assignment(kit: Path, assignment: str) -> None:
    """Load the assignment (spec, cases, checks, solution, notebook cross-checked), then build every case."""
    build_every_case(load_assignment(Layout(kit), assignment))


def edit(kit: Path, file: str, old: str, new: str) -> None:
    path = kit / "assignments" / "toy" / file
    text = path.read_text()
    assert old in text, f"{old!r} not in {file}"
    path.write_text(text.replace(old, new, 1))


PUBLIC_PREDICT = 'predict = [{N = 4, D = 3, dtype = "float64"}]'
SPEC = "assignments/toy/spec.toml"
CASES = "assignments/toy/cases.toml"

MISTAKES = [
    ("spec.toml", 'name = "predict"\npoints = 2', 'name = "predict"\npoints = "four"',
     f'{SPEC}:16: part "predict" (parts[0]): points = "four" is not a number: write a number of points, '
     "e.g. points = 4"),
    ("spec.toml", 'name = "predict"\npoints = 2', 'name = "predict"\npoints = -4',
     f'{SPEC}:16: part "predict" (parts[0]): points = -4 must be greater than 0: write a number of points, '
     "e.g. points = 4"),
    ("spec.toml", 'name = "mse_loss"\npoints = 2', 'name = "mse_loss"\npoint = 4',
     f"{SPEC}:20: part \"mse_loss\" (parts[1]) has unknown key 'point' - did you mean 'points'? "
     "(a part's keys: name, points, time_limit_s, tolerances)"),
    ("spec.toml", "time_limit_s = 5", "time_limit = 5",
     f"{SPEC}:4: unknown key 'time_limit' - did you mean 'time_limit_s'? "
     "(spec.toml's keys: due, hidden_details_after, id, parts, questions, time_limit_s, title, tolerances)"),
    ("spec.toml", "time_limit_s = 5", "time_limit_s = 0",
     f"{SPEC}:4: time_limit_s = 0 must be greater than 0: write a number of seconds, e.g. time_limit_s = 10"),
    ("spec.toml", "[tolerances.float32]", "[tolerances.float23]",
     f"{SPEC}:10: tolerances has unknown dtype 'float23' - did you mean 'float32'? (the dtypes: float64, float32)"),
    ("spec.toml", 'name = "mse_loss"', 'name = "mse loss"',
     f'{SPEC}:19: part "mse loss" (parts[1]): name = "mse loss" is not a function name: write the graded '
     'function\'s name, e.g. name = "predict"'),
    # the written questions' points ([[questions]], issue 23)
    ("spec.toml", 'id = "q1"\npoints = 2', 'id = "q1"\npoints = 0',
     f'{SPEC}:24: question "q1" (questions[0]): points = 0 is not a number of points greater than 0 (and at most '
     "1e+06): write e.g. points = 2"),
    ("spec.toml", 'id = "q1"\npoints = 2', 'id = "q1"\npoints = inf',
     f'{SPEC}:24: question "q1" (questions[0]): points = inf is not a number of points greater than 0 (and at most '
     "1e+06): write e.g. points = 2"),
    ("spec.toml", 'id = "q1"\npoints = 2', 'id = "q1"\npoints = 2e6',
     f'{SPEC}:24: question "q1" (questions[0]): points = 2000000.0 is not a number of points greater than 0 (and at '
     "most 1e+06): write e.g. points = 2"),
    ("spec.toml", 'id = "q1"\npoints = 2', 'id = "q1"\npoints = "2"',
     f'{SPEC}:24: question "q1" (questions[0]): points = "2" is not a number of points greater than 0 (and at most '
     "1e+06): write e.g. points = 2"),
    ("spec.toml", 'id = "q1"\npoints = 2', 'id = "Q1"\npoints = 2',
     f'{SPEC}:23: question "Q1" (questions[0]): id = "Q1" is not a question id: write the id of the notebook\'s '
     'answer tag (answer:<id>), a lowercase letter then letters, digits or _, e.g. id = "q1"'),
    ("spec.toml", 'id = "q1"\npoints = 2', 'id = "q1"\npoint = 2',
     f"{SPEC}:24: question \"q1\" (questions[0]) has unknown key 'point' - did you mean 'points'? "
     "(a question's keys: id, points)"),
    ("spec.toml", 'id = "q1"\npoints = 2', 'points = 2',
     f"{SPEC}:22: questions[0] has no 'id': write id = \"q1\""),
    ("spec.toml", 'id = "q1"\npoints = 2', 'id = "q1"\npoints = 2\n\n[[questions]]\nid = "q1"\npoints = 1',
     f'{SPEC}:27: question "q1" (questions[1]): id = "q1" appears twice (also questions[0], line 23): give each '
     "question one [[questions]] table"),
    ("cases.toml", "[public.cases]\npredict =", "[public.cases]\npredcit =",
     f"{CASES}:5: [public.cases] names part 'predcit', which spec.toml does not have - did you mean 'predict'? "
     "(its parts: predict, mse_loss)"),
    ("cases.toml", 'mse_loss = [{N = 1000, dtype = "float32"}]', "",
     f"{CASES}:11: part 'mse_loss' has no hidden cases, so grading would not test it: add "
     "mse_loss = [{ ... }] to [hidden.cases]"),
    ("cases.toml", PUBLIC_PREDICT, PUBLIC_PREDICT.replace("float64", "float46"),
     f'{CASES}:5: [public.cases] predict[0].dtype = "float46" is not a dtype the kit knows - did you mean '
     '"float64"? (the dtypes: float64, float32)'),
    ("cases.toml", "seed = 987654", 'seed = "987654"',
     f'{CASES}:9: [hidden] seed = "987654" is not a whole number: write seed = 987654 without quotes'),
    ("cases.toml", "seed = 1234", "seed = 12.5",
     f"{CASES}:2: [public] seed = 12.5 is not a whole number: write a whole number, e.g. seed = 12345678"),
    ("cases.toml", PUBLIC_PREDICT, PUBLIC_PREDICT[:-1] + ", 5]",
     f'{CASES}:5: [public.cases] predict[1] = 5 is not a table: write each case as {{ key = value, ... }}, '
     'e.g. { dtype = "float64", N = 4 }'),
    ("cases.toml", "[hidden]", "[hiden]",
     f"{CASES}:8: unknown table [hiden] - did you mean 'hidden'? (cases.toml has [public] and [hidden])"),
]




def test_is_a_part_with_no_cases_at_all_named(kit):
    edit(kit, "cases.toml", 'mse_loss = [{N = 4, dtype = "float64"}]', "")
    edit(kit, "cases.toml", 'mse_loss = [{N = 1000, dtype = "float32"}]', "")
    with pytest.raises(SpecError) as info:
        load_spec(Layout(kit), "toy")
    assert str(info.value) == (f"{CASES}:4: part 'mse_loss' has no cases: add mse_loss = [{{ ... }}] to "
                               "[public.cases] (shown in the notebook) and to [hidden.cases] (graded)")


def test_does_a_part_without_public_cases_but_with_hidden_ones_load(kit):
    edit(kit, "cases.toml", 'mse_loss = [{N = 4, dtype = "float64"}]', "")
    assert [len(load_spec(Layout(kit), "toy").hidden.cases[p]) for p in ("predict", "mse_loss")] == [2, 1]


def test_do_the_course_assignments_load_without_a_complaint():
    for assignment in KIT_LAYOUT.assignment_ids():
        assert load_assignment(KIT_LAYOUT, assignment).spec.total_points > 0


def test_does_the_cli_print_the_mistake_on_one_line_and_exit_2(kit, monkeypatch, capsys):
    edit(kit, "spec.toml", 'name = "predict"\npoints = 2', 'name = "predict"\npoints = "four"')
    monkeypatch.chdir(kit / "assignments" / "toy")  # anywhere inside the course
    assert cli.main(["gradescope", "toy", "--out", str(kit / "toy.zip")]) == 2
    err = capsys.readouterr().err
    assert err == (f'error: {SPEC}:16: part "predict" (parts[0]): points = "four" is not a number: '
                   "write a number of points, e.g. points = 4\n")
    assert not (kit / "toy.zip").exists()


# --- checks.py against spec.toml and cases.toml (autograder/checks/building.py) ---------------

CHECKS = "assignments/toy/checks.py"
MSE_CASE = 'mse_loss = [{N = 4, dtype = "float64"}]'


def rename_part(kit: Path, old: str, new: str) -> None:
    """The part renamed in spec.toml and cases.toml alike (checks.py keeps the old name)."""
    for file in ("spec.toml", "cases.toml"):
        path = kit / "assignments" / "toy" / file
        path.write_text(path.read_text().replace(old, new))


def test_is_a_part_missing_from_checks_named_in_spec(kit):
    rename_part(kit, "mse_loss", "mean_error")
    with pytest.raises(ChecksError) as info:
        check_assignment(kit, "toy")
    assert str(info.value) == (
        f"{SPEC}:19: part 'mean_error' has no Part in checks.py's PARTS (PARTS has: predict, mse_loss): "
        f'add Part("mean_error", make_inputs, reference) to {CHECKS} or write the part\'s name as it is there')


def test_is_a_part_spelt_alike_in_spec_and_cases_but_otherwise_in_checks_named_in_checks(kit):
    rename_part(kit, "mse_loss", "mse_los")  # then checks.py's 'mse_loss' is the odd one out
    with pytest.raises(ChecksError) as info:
        check_assignment(kit, "toy")
    assert str(info.value) == (
        f"{CHECKS}:24: Part 'mse_loss' is spelt 'mse_los' in spec.toml ({SPEC}:19) and in cases.toml ({CASES}:6, "
        f'{CASES}:13): write Part("mse_los", ...), or rename the part in those files')


CHECKS_MISTAKES = [
    ("cases.toml", "predict = [{N = 4, D = 3", "predict = [{n = 4, D = 3",
     f"{CASES}:5: [public.cases] predict[0] has key 'n', which the input generator of part 'predict', "
     f"make_predict_inputs ({CHECKS}:10), does not take - did you mean 'N'? (it takes: dtype, N, D)"),
    ("cases.toml", MSE_CASE, 'mse_loss = [{N = 4, dtype = "float64", scale = 2.0}]',
     f"{CASES}:6: [public.cases] mse_loss[0] has key 'scale', which the input generator of part 'mse_loss', "
     f"make_mse_inputs ({CHECKS}:14), does not take (it takes: dtype, N)"),
    ("checks.py", "def make_mse_inputs(g, dtype=torch.float64, N=4):", "def make_mse_inputs(g, dtype, N, scale):",
     f"{CASES}:6: [public.cases] mse_loss[0] has no key 'scale', which the input generator of part 'mse_loss', "
     f"make_mse_inputs ({CHECKS}:14), needs: write scale = ... in the case, or give scale a default value there"),
    ("checks.py", "def make_mse_inputs(g, dtype=torch.float64, N=4):", "def make_mse_inputs(g, dtype=torch.float64, N=4:",
     f"{CHECKS}:14: syntax error: invalid syntax in 'def make_mse_inputs(g, dtype=torch.float64, N=4:': "
     "checks.py must be valid Python"),
    ("checks.py", "return torch.addmv(b.expand(X.shape[0]), X, w)", "return torhc.addmv(b.expand(X.shape[0]), X, w)",
     f"{CHECKS}:19: the reference of part 'predict' failed on [public.cases] predict[0] (float64 N=4 D=3): "
     f"NameError: name 'torhc' is not defined - did you mean 'torch'? (the case is at {CASES}:5)"),
    ("checks.py", "return Call(randn(g, (N,), dtype), randn(g, (N,), dtype))",
     "return Call(randn(g, (N,), dtype), randn(g, (N + 1,), dtype))",
     f"{CHECKS}:24: the reference of part 'mse_loss' failed on [public.cases] mse_loss[0] (float64 N=4): "
     "RuntimeError: The size of tensor a (4) must match the size of tensor b (5) at non-singleton dimension 0 "
     f"(the case is at {CASES}:6)"),
    ("checks.py", "return Call(randn(g, (N, D), dtype)", "return Call(randn(g, (N, D), dtpye)",
     f"{CHECKS}:11: the input generator of part 'predict' failed on [public.cases] predict[0] (float64 N=4 D=3): "
     f"NameError: name 'dtpye' is not defined - did you mean 'dtype'? (the case is at {CASES}:5)"),
    ("checks.py", "return Call(randn(g, (N,), dtype), randn(g, (N,), dtype))",
     "return randn(g, (N,), dtype), randn(g, (N,), dtype)",
     f"{CHECKS}:14: the input generator of part 'mse_loss' returned a tuple for [public.cases] mse_loss[0] "
     "(float64 N=4): return Call(arg, ...) (from autograder.checks.values import Call)"),
    ("checks.py", "import torch.nn.functional as F", "import torch.nn.functional as F\nx = undefined_name",
     f"{CHECKS}:4: loading checks.py failed: NameError: name 'undefined_name' is not defined"),
    ("checks.py", "PARTS = {p.name: p for p in [", "PARTS = {p.name.upper(): p for p in [",
     f"{CHECKS}: PARTS['PREDICT'] is the Part named 'predict': a part's key and its name must be the same, "
     'e.g. PARTS = {p.name: p for p in [Part("predict", make_inputs, reference), ...]}'),
    ("checks.py", "PARTS = {p.name: p for p in [", "PART = {p.name: p for p in [",
     f"{CHECKS}: checks.py must define PARTS, a dict from part name to Part, but has no PARTS: write "
     'PARTS = {p.name: p for p in [Part("predict", make_inputs, reference), ...]} '
     "(from autograder.checks.parts import Part)"),
]




@pytest.mark.parametrize("file, old, new, message", MISTAKES + CHECKS_MISTAKES,
                         ids=[m[3].split(": ", 1)[1][:40] for m in MISTAKES + CHECKS_MISTAKES])
def test_is_an_authoring_mistake_one_line_naming_file_line_and_what_to_write(kit, file, old, new, message):
    edit(kit, file, old, new)
    with pytest.raises(SpecError if (file, old, new, message) in MISTAKES else ChecksError) as info:
        check_assignment(kit, "toy")  # loads the spec first, then the checks, then builds every case
    assert str(info.value) == message


def test_is_a_hidden_case_named_as_hidden(kit):
    edit(kit, "cases.toml", 'mse_loss = [{N = 1000, dtype = "float32"}]', 'mse_loss = [{N = 1000, dtype = "float32", M = 1}]')
    with pytest.raises(ChecksError, match=r"^assignments/toy/cases.toml:13: \[hidden.cases\] mse_loss\[0\] has key 'M'"):
        check_assignment(kit, "toy")


def test_is_a_case_of_a_list_over_several_lines_named_at_its_own_line(kit):
    edit(kit, "cases.toml", 'predict = [{N = 4, D = 3, dtype = "float64"}, {N = 257, D = 31, dtype = "float32"}]',
         'predict = [\n    {N = 4, D = 3, dtype = "float64"},  # {[\n    {N = 257, D = 31, dtype = "float32", K = 2},\n]')
    with pytest.raises(ChecksError) as info:
        check_assignment(kit, "toy")
    assert str(info.value) == (f"{CASES}:14: [hidden.cases] predict[1] has key 'K', which the input generator of "
                               f"part 'predict', make_predict_inputs ({CHECKS}:10), does not take (it takes: dtype, N, D)")


def test_does_the_fixed_checks_file_load_again_in_the_same_process(kit):
    edit(kit, "checks.py", "PARTS = {p.name: p for p in [", "PART = {p.name: p for p in [")
    with pytest.raises(ChecksError):
        check_assignment(kit, "toy")
    edit(kit, "checks.py", "PART = {p.name: p for p in [", "PARTS = {p.name: p for p in [ ")  # another size
    check_assignment(kit, "toy")


def _generated(kit: Path) -> list[str]:
    return sorted(p.relative_to(kit).as_posix() for folder in ("starter_code", "notebooks", "dist")
                  for p in (kit / folder).rglob("*") if p.is_file())


def test_does_release_stop_on_a_syntax_error_in_checks_writing_nothing(kit, monkeypatch, capsys):
    edit(kit, "checks.py", "def make_mse_inputs(g, dtype=torch.float64, N=4):",
         "def make_mse_inputs(g, dtype=torch.float64, N=4:")
    monkeypatch.chdir(kit)
    assert cli.main(["release"]) == 2
    assert capsys.readouterr().err == (f"error: {CHECKS}:14: syntax error: invalid syntax in "
                                       "'def make_mse_inputs(g, dtype=torch.float64, N=4:': checks.py must be valid Python\n")
    assert _generated(kit) == [] and not (kit / "docs").exists()


def test_does_release_stop_on_a_hidden_case_the_checks_cannot_build_writing_nothing(kit, monkeypatch, capsys):
    edit(kit, "cases.toml", 'mse_loss = [{N = 1000, dtype = "float32"}]', 'mse_loss = [{N = 1000, dtype = "float32", M = 1}]')
    monkeypatch.chdir(kit)
    assert cli.main(["release", "toy"]) == 2
    assert capsys.readouterr().err.startswith(f"error: {CASES}:13: [hidden.cases] mse_loss[0] has key 'M'")
    assert _generated(kit) == []


def test_does_gradescope_stop_on_a_part_missing_from_checks_writing_nothing(kit, monkeypatch, capsys):
    rename_part(kit, "mse_loss", "mse_los")
    monkeypatch.chdir(kit)
    assert cli.main(["gradescope", "toy", "--out", str(kit / "toy.zip")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {CHECKS}:24: Part 'mse_loss' is spelt 'mse_los' in spec.toml") \
        and err.count("\n") == 1
    assert not (kit / "toy.zip").exists()


def test_does_gradescope_stop_on_a_syntax_error_in_checks_writing_nothing(kit, monkeypatch, capsys):
    edit(kit, "checks.py", "PARTS = {", "PARTS = {{")
    monkeypatch.chdir(kit)
    assert cli.main(["gradescope", "toy", "--out", str(kit / "toy.zip")]) == 2
    assert capsys.readouterr().err.startswith(f"error: {CHECKS}:22: syntax error: ")
    assert not (kit / "toy.zip").exists()


def test_does_validate_fail_a_part_with_no_hidden_cases_saying_so(kit, monkeypatch, capsys):
    edit(kit, "cases.toml", 'mse_loss = [{N = 1000, dtype = "float32"}]', "")
    monkeypatch.chdir(kit)
    assert cli.main(["validate", "toy", "--skip-notebooks"]) == 2
    assert capsys.readouterr().err == (f"error: {CASES}:11: part 'mse_loss' has no hidden cases, so grading would "
                                       "not test it: add mse_loss = [{ ... }] to [hidden.cases]\n")


def test_does_grading_name_a_broken_reference_not_an_internal_error(kit, monkeypatch, capsys, tmp_path):
    edit(kit, "checks.py", "return torch.addmv(b.expand(X.shape[0]), X, w)", "return torch.addmv(b, X, ww)")
    student = tmp_path / "ann.py"
    student.write_text("def predict(X, w, b):\n    return X @ w + b\n")
    monkeypatch.chdir(kit)
    assert cli.main(["check", "toy", str(student)]) == 2
    assert capsys.readouterr().err == (
        f"error: {CHECKS}:19: the reference of part 'predict' failed on [public.cases] predict[0] (float64 N=4 D=3): "
        f"NameError: name 'ww' is not defined - did you mean 'w'? (the case is at {CASES}:5)\n")


# --- mistakes that used to pass silently (issue 21): refused at release, one line at the line to fix ----------

NOTEBOOK = "assignments/toy/notebook.py"
SOLUTION = "solutions/toy.py"
MISTAKE = "Mistake(in_float64(lambda y_hat, y: F.mse_loss(y_hat, y, reduction=\"sum\")),"


def release_error(kit: Path, monkeypatch, capsys, *names: str) -> str:
    """What `release` prints on stderr; it must exit 2, print one line and write nothing."""
    monkeypatch.chdir(kit)
    assert cli.main(["release", *names]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert _generated(kit) == []
    return err[len("error: "):].rstrip("\n")


def test_is_a_known_mistake_that_raises_on_every_case_refused_at_its_line(kit, monkeypatch, capsys):
    edit(kit, "checks.py", MISTAKE, MISTAKE.replace("lambda y_hat, y:", "lambda y_hat, y, N:"))
    assert release_error(kit, monkeypatch, capsys) == (
        f"{CHECKS}:25: part 'mse_loss': mistake 'you summed the squared errors: average them over N' raises on "
        "every case (first: [public.cases] mse_loss[0] (float64 N=4): TypeError: <lambda>() missing 1 required "
        "positional argument: 'N') - it would never be recognised: make its alternative take the reference's "
        "arguments and return what that mistake returns")


def test_is_a_known_mistake_that_raises_on_some_cases_only_accepted(kit):
    edit(kit, "checks.py", MISTAKE, MISTAKE.replace('reduction="sum")', 'reduction="sum") if y.shape[0] < 100 '
                                                    'else 1 / 0'))
    check_assignment(kit, "toy")


def test_is_a_case_listed_twice_refused_with_both_lines(kit, monkeypatch, capsys):
    edit(kit, "cases.toml", 'predict = [{N = 4, D = 3, dtype = "float64"}, {N = 257, D = 31, dtype = "float32"}]',
         'predict = [\n    {N = 4, D = 3, dtype = "float64"},\n    {N = 257, D = 31, dtype = "float32"},\n'
         '    {D = 3, N = 4, dtype = "float64"},\n]')
    assert release_error(kit, monkeypatch, capsys) == (
        f"{CASES}:15: [hidden.cases] predict[2] is the same case as predict[0] (line 13): feedback would name both "
        "'float64 D=3 N=4' and only the random draw tells them apart: change a value, or take one out")


def test_is_a_label_used_twice_in_a_part_refused_with_both_lines(kit, monkeypatch, capsys):
    edit(kit, "cases.toml", PUBLIC_PREDICT, 'predict = [{N = 4, D = 3, dtype = "float64", label = "small"}]')
    edit(kit, "cases.toml", '{N = 257, D = 31, dtype = "float32"}', '{N = 257, D = 31, dtype = "float32", label = "small"}')
    assert release_error(kit, monkeypatch, capsys) == (
        f'{CASES}:12: [hidden.cases] predict[1] has label = "small", which [public.cases] predict[0] (line 5) has '
        "too: feedback would name both alike; give each case its own label")


def test_is_a_hidden_seed_equal_to_the_public_seed_refused(kit, monkeypatch, capsys):
    edit(kit, "cases.toml", "seed = 987654", "seed = 1234")
    assert release_error(kit, monkeypatch, capsys) == (
        f"{CASES}:9: [hidden] seed = 1234 is the [public] seed (line 2): a hidden case would have the inputs of the "
        "public case at its place, which the notebook shows: write another whole number")


def test_is_a_generator_the_solution_cannot_take_refused_at_release(kit, monkeypatch, capsys):
    edit(kit, "checks.py", "return Call(randn(g, (N, D), dtype), randn(g, (D,), dtype), randn(g, (), dtype))",
         "return Call(randn(g, (N, D), dtype), randn(g, (D,), dtype), randn(g, (), dtype), 1.0)")
    edit(kit, "checks.py", "def reference_predict(X, w, b):", "def reference_predict(X, w, b, scale):")
    assert release_error(kit, monkeypatch, capsys) == (
        f"{CHECKS}:10: the reference solution failed part 'predict' on [public.cases] predict[0] (float64 N=4 D=3), "
        "called with what make_predict_inputs returns: TypeError: predict() takes 3 positional arguments but 4 "
        f"were given (the case is at {CASES}:5; predict() is at {SOLUTION}:6)")


def test_is_a_solution_that_fails_a_case_refused_at_release(kit, monkeypatch, capsys):
    edit(kit, "../../solutions/toy.py", "loss = (diff ** 2).mean()", "loss = (diff ** 2).mean() if diff.shape[0] < 100 else diff.sum()")
    err = release_error(kit, monkeypatch, capsys)
    assert err.startswith(f"{SOLUTION}:22: the reference solution fails part 'mse_loss' on [hidden.cases] "
                          "mse_loss[0] (float32 N=1000): "), err
    assert err.endswith(f"(the case is at {CASES}:13; the reference is part 'mse_loss' at {CHECKS}:24)"), err


def test_is_a_solution_that_raises_refused_at_its_line(kit, monkeypatch, capsys):
    edit(kit, "../../solutions/toy.py", "y_hat = X @ w + b", "y_hat = X @ w + bb")
    assert release_error(kit, monkeypatch, capsys) == (
        f"{SOLUTION}:17: the reference solution failed part 'predict' on [public.cases] predict[0] (float64 N=4 D=3): "
        f"NameError: name 'bb' is not defined - did you mean 'b'? (the case is at {CASES}:5)")


def test_is_a_part_name_misspelt_in_spec_alone_named_in_spec_with_the_others_spelling(kit, monkeypatch, capsys):
    edit(kit, "spec.toml", 'name = "predict"', 'name = "predcit"')
    assert release_error(kit, monkeypatch, capsys) == (
        f"{SPEC}:15: part 'predcit' is spelt 'predict' in cases.toml ({CASES}:5) and in checks.py ({CHECKS}:23): "
        'write name = "predict", or rename it there')


def test_is_a_part_name_misspelt_in_checks_alone_named_in_checks_with_the_others_spelling(kit, monkeypatch, capsys):
    edit(kit, "checks.py", 'Part("mse_loss"', 'Part("mse_los"')
    assert release_error(kit, monkeypatch, capsys) == (
        f"{CHECKS}:24: Part 'mse_los' is spelt 'mse_loss' in spec.toml ({SPEC}:19) and in cases.toml ({CASES}:6, "
        f'{CASES}:13): write Part("mse_loss", ...), or rename the part in those files')


def test_is_an_unclosed_solution_region_named_as_never_closed(kit, monkeypatch, capsys):
    edit(kit, "../../solutions/toy.py", "    return y_hat\n    # END SOLUTION\n", "    return y_hat\n")
    assert release_error(kit, monkeypatch, capsys) == (
        f"{SOLUTION}:16: BEGIN SOLUTION at line 16 is never closed: write '# END SOLUTION', indented like it, where "
        "its region ends, before the next BEGIN SOLUTION at line 31 (regions cannot nest)")


@pytest.mark.parametrize("written", ["# kti: setup", "# kit setup", "# Kit: setup"])
def test_is_a_misspelt_setup_directive_refused_at_release_with_line_and_cell(kit, monkeypatch, capsys, written):
    edit(kit, "notebook.py", "# kit: setup", written)
    assert release_error(kit, monkeypatch, capsys) == (
        f"{NOTEBOOK}:5: cell 2: '{written}' is not a kit directive - did you mean '# kit: setup'? "
        "(a directive is '# kit: setup' or '# kit: function NAME [NAME ...]')")


def test_is_a_misspelt_check_name_refused_at_release_with_line_and_cell(kit, monkeypatch, capsys):
    edit(kit, "notebook.py", 'check("mse_loss")', 'check("mse_los")')
    assert release_error(kit, monkeypatch, capsys) == (
        f"{NOTEBOOK}:22: cell 7: check('mse_los') names no graded part - did you mean 'mse_loss'? (the parts: "
        "predict, mse_loss): in the notebook it would stop with a ValueError; write the part's name as spec.toml "
        "has it")


@pytest.mark.parametrize("written", ['due = "2027-01-29"', "due = 2027-01-29"])
def test_is_a_due_date_without_a_time_23_59_in_the_course_zone_as_new_takes_it(kit, written):
    edit(kit, "spec.toml", 'due = "2027-01-29T23:59:00-05:00"', written)
    assert load_spec(Layout(kit), "toy").due.isoformat() == "2027-01-29T23:59:00-05:00"  # course.toml's zone: America/Toronto


def test_is_a_due_date_that_is_no_date_refused_saying_both_forms(kit):
    edit(kit, "spec.toml", 'due = "2027-01-29T23:59:00-05:00"', 'due = "2027-13-29"')
    with pytest.raises(SpecError) as info:
        load_spec(Layout(kit), "toy")
    assert str(info.value) == (
        f"{SPEC}:3: due '2027-13-29' is not a date or an ISO 8601 date-time: write a date, e.g. due = \"2027-01-29\" "
        "(23:59 in course.toml's time zone), or a date-time with its UTC offset, e.g. "
        "due = \"2027-01-29T23:59:00-05:00\"")


def test_does_validate_print_a_kernel_error_without_terminal_colour_codes():
    from autograder.validate import _plain
    assert _plain("\x1b[0;31mNameError\x1b[0m: name 'chek' is not defined") == "NameError: name 'chek' is not defined"
