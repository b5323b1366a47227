"""The command-line contract: files written, results.json schema, exit codes, one-line errors."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys

import pytest

from conftest import EXAMPLES, ROOT

PARTS = ["predict", "squared_error_cost", "cost_gradients", "gradient_descent", "fit_direct", "polynomial_features"]


def cli(*args: str, cwd=ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "autograder", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=600)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """One batch over the bundled examples plus a malformed notebook, as an instructor would run it."""
    folder = tmp_path_factory.mktemp("subs")
    for f in EXAMPLES.joinpath("linear_regression").iterdir():
        shutil.copy(f, folder / f.name)
    (folder / "dave_broken.ipynb").write_text('{"cells": [')
    out = tmp_path_factory.mktemp("out")
    proc = cli("grade", "linear_regression", str(folder), "--out", str(out), "--jobs", "2", "--quiet")
    return proc, out


def results(out, stem):
    return json.loads((out / stem / "results.json").read_text())


def test_does_grading_exit_0_whatever_the_scores(graded):
    proc, _ = graded
    assert proc.returncode == 0, proc.stderr


def test_is_every_graded_part_exactly_one_test_named_after_its_function(graded):
    _, out = graded
    for stem in ("alice_correct", "bob_forgot_mean", "carol_notebook", "dave_broken"):
        data = results(out, stem)
        # Scored entries only: a part with failed hidden cases also has "<part> (hidden case details)".
        assert [t["name"] for t in data["tests"] if not t["name"].endswith(" (hidden case details)")] == PARTS
        for test in data["tests"]:
            assert set(test) >= {"name", "score", "max_score", "output"}
            assert 0 <= test["score"] <= test["max_score"]
        assert data["score"] == pytest.approx(sum(t["score"] for t in data["tests"]))


def test_do_a_correct_py_and_a_correct_notebook_get_full_marks(graded):
    _, out = graded
    for stem in ("alice_correct", "carol_notebook"):
        data = results(out, stem)
        assert data["score"] == 17 and all(t["score"] == t["max_score"] for t in data["tests"])


def test_does_forgetting_1_over_n_cost_only_the_gradient_and_descent_parts(graded):
    _, out = graded
    tests = {t["name"]: t for t in results(out, "bob_forgot_mean")["tests"]}
    lost = {name for name, t in tests.items() if t["score"] < t["max_score"]}
    assert lost == {"cost_gradients", "gradient_descent"}
    assert "did you forget to average over the batch (1/N)?" in tests["cost_gradients"]["output"]
    assert "gradients N times too large" in tests["gradient_descent"]["output"]


def test_does_a_malformed_notebook_score_0_with_a_message(graded):
    _, out = graded
    data = results(out, "dave_broken")
    assert data["score"] == 0
    assert "the notebook is not valid JSON" in data["output"]
    assert all("not valid JSON" in t["output"] for t in data["tests"])


def test_is_grades_csv_one_row_per_submission(graded):
    _, out = graded
    rows = list(csv.DictReader((out / "grades.csv").open()))
    assert [r["submission"] for r in rows] == ["alice_correct", "bob_forgot_mean", "carol_notebook", "dave_broken"]
    assert list(rows[0])[:3] == ["submission", "score", "max_score"] and list(rows[0])[3:9] == PARTS
    assert rows[0]["score"] == "17" and rows[3]["status"].startswith("not graded: ")


def test_are_written_answers_copied_for_a_ta(graded):
    _, out = graded
    answers = (out / "carol_notebook" / "answers.md").read_text()
    assert answers.startswith("# Written answers: carol_notebook.ipynb")
    # Each question with its own text, from the assignment's source (carol's notebook predates question ids).
    assert "## Question 1 (q1)\n\n> The cost carries a factor" in answers and "## Question 3 (q3)" in answers


def test_does_the_score_table_list_each_submission(graded):
    proc, _ = graded
    assert "alice_correct" in proc.stdout and "17/17" in proc.stdout


def test_is_a_missing_submission_a_one_line_usage_error(tmp_path):
    proc = cli("grade", "linear_regression", str(tmp_path / "nope.py"), "--out", str(tmp_path / "o"))
    assert proc.returncode == 2
    assert proc.stderr == f"error: no such file or folder: {tmp_path / 'nope.py'}\n"


def test_are_two_submissions_with_one_stem_an_error_not_an_overwrite(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    for d in ("a", "b"):
        (tmp_path / d / "same.py").write_text("def predict(X, w, b):\n    return X @ w + b\n")
    proc = cli("grade", "linear_regression", str(tmp_path / "a" / "same.py"), str(tmp_path / "b" / "same.py"),
               "--out", str(tmp_path / "o"))
    assert proc.returncode == 2 and "two submissions would both be written to same/" in proc.stderr
    assert not (tmp_path / "o").exists()


def test_is_an_unknown_assignment_a_one_line_error(tmp_path):
    sub = tmp_path / "s.py"
    sub.write_text("def f(): pass\n")
    proc = cli("grade", "linear_regresion", str(sub), "--out", str(tmp_path / "o"))
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: unknown assignment 'linear_regresion' - did you mean 'linear_regression'? "
                                  "(known: ") and proc.stderr.count("\n") == 1


def test_does_check_print_public_verdicts_with_hints():
    proc = cli("check", "linear_regression", str(EXAMPLES / "linear_regression" / "bob_forgot_mean.py"))
    assert proc.returncode == 1
    assert "cost_gradients" in proc.stdout and "did you forget to average over the batch (1/N)?" in proc.stdout
    assert "hidden case " not in proc.stdout
    assert "4 of 6 functions pass their public checks" in proc.stdout


def test_does_each_commands_help_describe_its_arguments():
    """`check --help` listed ASSIGNMENT and FILE with nothing to say what they are."""
    for command in ("check", "grade", "gradescope", "similarity"):
        proc = cli(command, "--help")
        assert proc.returncode == 0
        assert "an assignment's id, as its folder under assignments/ is named" in " ".join(proc.stdout.split())
    assert "your .py or .ipynb" in cli("check", "--help").stdout


@pytest.mark.parametrize("argv, command", [
    (["grade"], "grade"),                                                            # missing arguments
    (["check", "--bogus"], "check"),
    (["check", "linear_regression", "f.py", "--bogus"], "check"),                    # an unknown option
    (["grade", "linear_regression", "f.py", "--out", "o", "--jobs", "0"], "grade"),  # a value refused by main
])
def test_does_an_argument_error_show_that_commands_usage_and_its_help(argv, command):
    """It showed the top level's usage ('usage: autograder [-h] [--version] COMMAND ...') for the last two."""
    proc = cli(*argv)
    assert proc.returncode == 2
    lines = proc.stderr.splitlines()
    assert lines[0].startswith(f"usage: python -m autograder {command} [-h]"), proc.stderr
    assert any(line.startswith(f"python -m autograder {command}: error: ") for line in lines), proc.stderr
    assert lines[-1] == f"run 'python -m autograder {command} --help' for its arguments"


def test_does_an_unknown_command_point_at_the_top_level_help():
    proc = cli("grdae")
    assert proc.returncode == 2
    assert proc.stderr.splitlines()[-1] == "run 'python -m autograder --help' for the commands"


def test_does_grade_warn_the_instructor_of_a_known_mistake_that_raises_on_every_case(toy_course, tmp_path):
    """checks.py edited after the release (which refuses such a mistake): graded all the same, since a hint
    changes no score, with one line on the instructor's stderr naming checks.py's line; no student page says it."""
    checks = toy_course / "assignments" / "toy" / "checks.py"
    checks.write_text(checks.read_text().replace("lambda y_hat, y:", "lambda y_hat, y, N:"))
    sub = tmp_path / "alice.py"
    sub.write_text((toy_course / "solutions" / "toy.py").read_text().replace("(diff ** 2).mean()", "(diff ** 2).sum()"))
    out = tmp_path / "out"
    proc = cli("grade", "toy", str(sub), "--out", str(out), "--quiet", cwd=toy_course)
    assert proc.returncode == 0, proc.stderr
    warnings = [line for line in proc.stderr.splitlines() if line.startswith("warning: ")]
    assert warnings == [
        "warning: assignments/toy/checks.py:25: part 'mse_loss': mistake 'you summed the squared errors: average "
        "them over N' raises on every case (first: [public.cases] mse_loss[0] (float64 N=4): TypeError: <lambda>() "
        "missing 1 required positional argument: 'N') - it would never be recognised: make its alternative take the "
        "reference's arguments and return what that mistake returns; graded without that hint (no score depends on "
        "it): fix it, then 'python -m autograder grade ... --parts mse_loss' adds it"]
    assert "2/4" in proc.stdout  # scored as ever: predict right, mse_loss wrong
    for page in (out / "alice").iterdir():
        assert "raises on every case" not in page.read_text(errors="replace"), page
