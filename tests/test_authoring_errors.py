"""A TA's mistakes in spec.toml and cases.toml: one line naming the file, its line and the key,
saying what to write instead (did-you-mean for a misspelt name), and exit status 2 from the CLI."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from autograder import cli, paths
from autograder.errors import SpecError
from autograder.spec import load_spec

FIXTURE = Path(__file__).parent / "fixtures" / "release"
PATH_NAMES = ("ROOT", "ASSIGNMENTS", "SOLUTIONS", "STARTER_CODE", "NOTEBOOKS", "DIST")


@pytest.fixture
def kit(tmp_path, monkeypatch) -> Path:
    """A course with one assignment, 'toy', that autograder.paths points at (restored afterwards)."""
    root = tmp_path / "course"
    shutil.copytree(FIXTURE, root)
    (root / "course.toml").write_text('github = "https://github.com/teacher/dl-kit/blob/main"\n')
    for name in PATH_NAMES:
        monkeypatch.setattr(paths, name, getattr(paths, name))  # so that use_course is undone
    paths.use_course(root)
    return root


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
     "(spec.toml's keys: due, id, parts, time_limit_s, title, tolerances)"),
    ("spec.toml", "time_limit_s = 5", "time_limit_s = 0",
     f"{SPEC}:4: time_limit_s = 0 must be greater than 0: write a number of seconds, e.g. time_limit_s = 10"),
    ("spec.toml", "[tolerances.float32]", "[tolerances.float23]",
     f"{SPEC}:10: tolerances has unknown dtype 'float23' - did you mean 'float32'? (the dtypes: float64, float32)"),
    ("spec.toml", 'name = "mse_loss"', 'name = "mse loss"',
     f'{SPEC}:19: part "mse loss" (parts[1]): name = "mse loss" is not a function name: write the graded '
     'function\'s name, e.g. name = "predict"'),
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


@pytest.mark.parametrize("file, old, new, message", MISTAKES, ids=[m[3].split(": ", 1)[1][:40] for m in MISTAKES])
def test_is_an_authoring_mistake_one_line_naming_file_line_and_key(kit, file, old, new, message):
    edit(kit, file, old, new)
    with pytest.raises(SpecError) as info:
        load_spec("toy")
    assert str(info.value) == message


def test_is_a_part_with_no_cases_at_all_named(kit):
    edit(kit, "cases.toml", 'mse_loss = [{N = 4, dtype = "float64"}]', "")
    edit(kit, "cases.toml", 'mse_loss = [{N = 1000, dtype = "float32"}]', "")
    with pytest.raises(SpecError) as info:
        load_spec("toy")
    assert str(info.value) == (f"{CASES}:4: part 'mse_loss' has no cases: add mse_loss = [{{ ... }}] to "
                               "[public.cases] (shown in the notebook) and to [hidden.cases] (graded)")


def test_does_a_part_without_public_cases_but_with_hidden_ones_load(kit):
    edit(kit, "cases.toml", 'mse_loss = [{N = 4, dtype = "float64"}]', "")
    assert [len(load_spec("toy").hidden.cases[p]) for p in ("predict", "mse_loss")] == [2, 1]


def test_do_the_course_assignments_load_without_a_complaint():
    for assignment in paths.assignment_ids():
        assert load_spec(assignment).total_points > 0


def test_does_the_cli_print_the_mistake_on_one_line_and_exit_2(kit, monkeypatch, capsys):
    edit(kit, "spec.toml", 'name = "predict"\npoints = 2', 'name = "predict"\npoints = "four"')
    monkeypatch.chdir(kit / "assignments" / "toy")  # anywhere inside the course
    assert cli.main(["gradescope", "toy", "--out", str(kit / "toy.zip")]) == 2
    err = capsys.readouterr().err
    assert err == (f'error: {SPEC}:16: part "predict" (parts[0]): points = "four" is not a number: '
                   "write a number of points, e.g. points = 4\n")
    assert not (kit / "toy.zip").exists()
