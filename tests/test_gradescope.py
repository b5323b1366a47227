"""The Gradescope autograder zip: what it holds, that it rebuilds identically, and that a run of it
in Gradescope's layout gives the results local grading gives - hidden details once submissions have closed."""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from autograder.assignment import load_assignment
from autograder.errors import KitError, LeakError
from autograder.gradescope.build import (REQUIREMENT_FILES, ZIP_TIME, build_gradescope_zip, find_solution_code,
                                         refuse_solution_code, solution_secrets, zip_members)
from autograder.gradescope.run import choose_submission, gradescope_results, lateness, what_is_shown
from autograder.checks.verdict import CaseVerdict, Finding, PartVerdict, Status, zero_part
from autograder.escaping import markdown_text
from autograder.grading.answer_sheet import NO_QUESTIONS, PLACEHOLDER_ANSWER
from autograder.grading.grade import SubmissionResult
from autograder.grading.regrade import read_record
from autograder.grading.results import HIDDEN_CASES_SUFFIX, HIDDEN_DETAILS_SUFFIX, results_json
from autograder.grading.task import grade_one
from autograder.layout import KIT_LAYOUT, Layout
from conftest import EXAMPLES, ROOT

ASSIGNMENT = "linear_regression"
LR = EXAMPLES / ASSIGNMENT
PARTS = ["predict", "squared_error_cost", "cost_gradients", "gradient_descent", "fit_direct", "polynomial_features"]
DUE = "2027-02-05T23:59:00.000000-05:00"
# The interpreter run_autograder grades with: this one, or another environment's (a Python 3.10 one
# made from requirements-grading.txt, as on Gradescope's Ubuntu 22.04 image) when given.
GRADING_PYTHON = os.environ.get("KIT_TEST_GRADING_PYTHON") or sys.executable


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "autograder", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("zip") / f"{ASSIGNMENT}.zip"
    proc = cli("gradescope", ASSIGNMENT, "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    return out


def scored(data: dict) -> list[dict]:
    return [t for t in data["tests"] if not t["name"].endswith(HIDDEN_DETAILS_SUFFIX)]


# ---------------------------------------------------------------- the zip


def test_does_the_zip_hold_exactly_what_grading_needs(built):
    names = zipfile.ZipFile(built).namelist()
    assert names == sorted(names)
    assert {"setup.sh", "run_autograder", "course.toml", *REQUIREMENT_FILES} <= set(names)
    assert zipfile.ZipFile(built).read("course.toml") == (ROOT / "course.toml").read_bytes()  # its [feedback]
    assert [n for n in names if n.startswith("assignments/")] == [
        f"assignments/{ASSIGNMENT}/{f}" for f in ("cases.toml", "checks.py", "questions.json", "spec.toml")]
    package = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "autograder").rglob("*.py")
                     if "__pycache__" not in p.parts)
    assert set(package) <= set(names)
    assert all(n.startswith(("autograder/", "assignments/"))
               or n in ("setup.sh", "run_autograder", "course.toml", *REQUIREMENT_FILES) for n in names)


def test_does_the_zip_carry_the_written_questions_and_nothing_else_of_the_notebook(built):
    """The pages of a Gradescope run name each question with its text, as local grading does from notebook.py."""
    saved = json.loads(zipfile.ZipFile(built).read(f"assignments/{ASSIGNMENT}/questions.json"))
    questions = load_assignment(KIT_LAYOUT, ASSIGNMENT).notebook.questions
    assert [(q["number"], q["id"]) for q in saved["questions"]] == [(1, "q1"), (2, "q2"), (3, "q3")]
    assert [q["text"] for q in saved["questions"]] == [q.text for q in questions]
    assert saved["questions"][0]["text"].startswith("The cost carries a factor $\\frac{1}{2}$.")
    assert {q["placeholder"] for q in saved["questions"]} == {"*Your answer here.*"}
    assert all(set(q) == {"number", "id", "text", "placeholder"} for q in saved["questions"])


def test_is_there_no_solution_starter_or_notebook_in_the_zip(built):
    names = zipfile.ZipFile(built).namelist()
    assert not [n for n in names if n.startswith(("solutions/", "starter_code/", "notebooks/", "dist/"))]
    assert not [n for n in names if n.endswith((".ipynb", ".pyc")) or n.startswith("assignments/") and "notebook" in n]


def test_does_the_leak_scanner_find_no_solution_line_in_the_zip(built):
    secrets = solution_secrets(load_assignment(KIT_LAYOUT, ASSIGNMENT))
    assert secrets.solution_lines  # the scan has something to look for
    with zipfile.ZipFile(built) as archive:
        for name in archive.namelist():
            assert find_solution_code(archive.read(name).decode("utf-8"), secrets) is None, name


@pytest.mark.parametrize("assignment", KIT_LAYOUT.assignment_ids())
def test_does_every_assignments_zip_build(assignment, tmp_path):
    """The kit's own code is in every zip: none of its lines may look like a line of any solution."""
    built = build_gradescope_zip(load_assignment(KIT_LAYOUT, assignment), tmp_path / f"{assignment}.zip")
    assert built.path.is_file() and f"assignments/{assignment}/checks.py" in built.names


def test_would_a_solution_line_in_the_zip_be_refused_with_its_place():
    loaded = load_assignment(KIT_LAYOUT, ASSIGNMENT)
    region = loaded.solution.regions[0]
    line = max(region.body, key=len)
    members = zip_members(loaded)
    members["autograder/extra.py"] = f"x = 1\n{line}\n".encode()
    with pytest.raises(LeakError, match=r"^autograder/extra\.py:2: refusing to write a leak into the Gradescope "
                                        r"zip: this would show a line of a solution region \(solutions/"):
        refuse_solution_code(members, load_assignment(KIT_LAYOUT, ASSIGNMENT))
    members["solutions/linear_regression.py"] = b"# nothing\n"
    del members["autograder/extra.py"]
    with pytest.raises(LeakError, match="autograder needs no solution, starter or notebook"):
        refuse_solution_code(members, load_assignment(KIT_LAYOUT, ASSIGNMENT))


def test_does_rebuilding_give_identical_bytes_with_fixed_times(built, tmp_path):
    again = tmp_path / "again.zip"
    build_gradescope_zip(load_assignment(KIT_LAYOUT, ASSIGNMENT), again)
    assert again.read_bytes() == built.read_bytes()
    infos = zipfile.ZipFile(built).infolist()
    assert {i.date_time for i in infos} == {ZIP_TIME}
    modes = {i.filename: (i.external_attr >> 16) & 0o777 for i in infos}
    assert modes["run_autograder"] == modes["setup.sh"] == 0o755 and modes["requirements-grading.txt"] == 0o644


def test_is_setup_sh_valid_bash_that_installs_every_pinned_requirements_file(built, tmp_path):
    with zipfile.ZipFile(built) as archive:
        setup = archive.read("setup.sh").decode()
        run = archive.read("run_autograder").decode()
        requirement_files = [n for n in archive.namelist() if n.startswith("requirements") and n.endswith(".txt")]
    for name, text in (("setup.sh", setup), ("run_autograder", run)):
        (tmp_path / name).write_text(text)
        check = subprocess.run(["bash", "-n", str(tmp_path / name)], capture_output=True, text=True)
        assert check.returncode == 0, check.stderr
    assert requirement_files and all(f'"$SOURCE/{f}"' in setup for f in requirement_files)
    assert "https://download.pytorch.org/whl/cpu" in setup  # how it is used: tests/test_gradescope_setup.py
    assert f'ASSIGNMENT="{ASSIGNMENT}"' in run and "${KIT_PYTHON:-python3}" in run


def test_is_an_out_path_in_a_missing_folder_refused_before_anything_is_made(tmp_path):
    """`--out /nonexistent/dir/x.zip` made the folders wherever a typo pointed, silently."""
    proc = cli("gradescope", ASSIGNMENT, "--out", str(tmp_path / "typo" / "dir" / "x.zip"))
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1
    assert proc.stderr.startswith(f"error: --out {tmp_path / 'typo' / 'dir' / 'x.zip'}: the folder "
                                  f"{tmp_path / 'typo' / 'dir'} does not exist - create it first")
    assert not (tmp_path / "typo").exists()
    (tmp_path / "a.zip").mkdir()
    proc = cli("gradescope", ASSIGNMENT, "--out", str(tmp_path / "a.zip"))
    assert proc.returncode == 2 and "is a folder: give the zip's file name" in proc.stderr


def test_is_an_unknown_assignment_a_one_line_error(tmp_path):
    proc = cli("gradescope", "linear_regresion", "--out", str(tmp_path / "x.zip"))
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: unknown assignment 'linear_regresion' - did you mean 'linear_regression'? "
                                  "(known: ") and proc.stderr.count("\n") == 1
    assert not (tmp_path / "x.zip").exists()


def test_must_the_output_be_a_zip(tmp_path):
    with pytest.raises(KitError, match="the output must be a .zip file"):
        build_gradescope_zip(load_assignment(KIT_LAYOUT, ASSIGNMENT), tmp_path / "x.tar")


# ---------------------------------------------------------------- a run in Gradescope's layout
# One real run (run_autograder in a subprocess, the zip unpacked as Gradescope does): the layout, the permissions,
# the interpreter, the whole output. Each other case is what that run's own functions (run.py: choose_submission,
# what_is_shown, gradescope_results) make of the local run's record of the same file, with its metadata and
# course.toml in tmp: the grading itself is the same session either way, so no case grades again.


def unpack(zip_path: Path, base: Path) -> Path:
    """Gradescope's layout: the zip unpacked in <root>/source, run_autograder copied to <root>."""
    root = base / "autograder"
    with zipfile.ZipFile(zip_path) as archive:
        for info in archive.infolist():
            target = root / "source" / info.filename
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(archive.read(info))
            target.chmod((info.external_attr >> 16) & 0o777)
    shutil.copy2(root / "source" / "run_autograder", root / "run_autograder")
    return root


def metadata(created_at: str, due: str = DUE, **extra) -> str:
    return json.dumps({"id": 1, "created_at": created_at, "submission_method": "upload",
                       "assignment": {"due_date": due, "late_due_date": None, "title": "Linear regression",
                                      "total_points": "17.0"},
                       "users": [{"email": "s@example.com", "id": 7, "name": "S. Tudent", **extra}],
                       "previous_submissions": []})


def hand_in(root: Path, files: list[Path], created_at: str, due: str = DUE, meta: dict | None = None) -> Path:
    """The submission and its submission_metadata.json under ``root``; ``meta``: keys replacing metadata()'s."""
    (root / "submission").mkdir(parents=True)
    for f in files:
        shutil.copy(f, root / "submission" / f.name)
    data = {**json.loads(metadata(created_at, due)), **(meta or {})}
    (root / "submission_metadata.json").write_text(json.dumps(data))
    return root


def gradescope_run(zip_path: Path, base: Path, files: list[Path], created_at: str) -> tuple[dict, str]:
    root = hand_in(unpack(zip_path, base), files, created_at)
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "KIT_PYTHON": GRADING_PYTHON}
    proc = subprocess.run([str(root / "run_autograder")], cwd=base, env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads((root / "results" / "results.json").read_text()), proc.stdout


@dataclass(frozen=True)
class Run:
    root: Path
    data: dict
    stdout: str


@pytest.fixture(scope="module")
def run(built, tmp_path_factory) -> Run:
    """The one end-to-end run: a notebook handed in with a .py beside it, on the due date's last minute."""
    base = tmp_path_factory.mktemp("gradescope")
    data, stdout = gradescope_run(built, base, [LR / "bob_forgot_mean.py", LR / "carol_notebook.ipynb"],
                                  "2027-02-05T23:59:00-05:00")
    return Run(base / "autograder", data, stdout)


@dataclass(frozen=True)
class Local:
    out: Path
    results: dict[str, dict]  # file name -> its results.json

    def record(self, name: str) -> SubmissionResult:
        return read_record(self.out / Path(name).stem)


@pytest.fixture(scope="module")
def local(tmp_path_factory) -> Local:
    """'python -m autograder grade' of each example, as an instructor would run it: results.json and record."""
    out = tmp_path_factory.mktemp("local")
    files = [LR / "alice_correct.py", LR / "bob_forgot_mean.py", LR / "carol_notebook.ipynb"]
    proc = cli("grade", ASSIGNMENT, *map(str, files), "--out", str(out), "--quiet", "--jobs", "1")
    assert proc.returncode == 0, proc.stderr
    return Local(out, {f.name: json.loads((out / f.stem / "results.json").read_text()) for f in files})


@pytest.fixture
def course_toml(tmp_path):
    """The Layout of a course like the kit's (its assignments) whose course.toml, as the zip carries it, has
    ``text`` added (as if the zip had been built with it)."""
    def use(text: str) -> Layout:
        course = tmp_path / "course"
        course.mkdir()
        (course / "course.toml").write_text((ROOT / "course.toml").read_text() + text)
        (course / "assignments").symlink_to(KIT_LAYOUT.assignments)
        return Layout(course)
    return use


def on_gradescope(local: Local, base: Path, files: list[Path], created_at: str, due: str = DUE,
                  meta: dict | None = None, layout: Layout = KIT_LAYOUT) -> dict:
    """What the run makes of ``files`` handed in under ``base`` (its metadata from ``created_at``, ``due``,
    ``meta``): the file it chooses, as the local run graded it, shown as the metadata and course.toml allow."""
    root = hand_in(base / "autograder", files, created_at, due, meta)
    choice = choose_submission(root / "submission", ASSIGNMENT)
    return gradescope_results(local.record(choice.path.name), root, what_is_shown(layout, ASSIGNMENT, root),
                              [choice.why])


def same_as_local(gradescope: dict, local: dict, graded_line: str, lateness_line: str, sandbox: bool = True) -> None:
    """Equal but for the execution time and the lines only Gradescope's output has (the sandbox's line: the real
    run's alone)."""
    *output, graded, late = gradescope["output"].split("\n\n")
    if sandbox:
        assert output.pop().startswith("sandbox: every guarantee of the floor held; layers on: ")
    assert graded == graded_line and late == lateness_line
    strip = lambda d: {k: v for k, v in d.items() if k != "execution_time"}  # noqa: E731
    assert strip({**gradescope, "output": "\n\n".join(output)}) == strip(local)


@pytest.mark.slow  # the one real run in Gradescope's layout
def test_is_the_notebook_graded_when_a_py_comes_with_it(run, local):
    same_as_local(run.data, local.results["carol_notebook.ipynb"],
                  "graded carol_notebook.ipynb; not graded: bob_forgot_mean.py "
                  "(a notebook is graded when the submission has one)",
                  "submitted on time (less than a minute before the due date)")
    assert run.data["score"] == 17 and "score 17; results in" in run.stdout


@pytest.mark.slow  # the one real run in Gradescope's layout
def test_does_the_run_time_itself_whole_and_lock_the_hidden_cases_away(run):
    assert run.data["execution_time"] > 1.0  # the whole run, torch's import included, not the grading alone
    cases = run.root / "source" / "assignments" / ASSIGNMENT / "cases.toml"
    assert stat.S_IMODE(cases.stat().st_mode) & 0o077 == 0  # unreadable to the sandbox's users


@pytest.mark.slow  # the one real run in Gradescope's layout
def test_does_the_run_name_each_written_question_with_its_text(run):
    """The zip has no notebook.py: the questions come from its questions.json, as local grading's from notebook.py.
    carol's notebook is of an older release (bare 'answer' tags), its cells as released: no answer written."""
    md = (run.root / "results" / "answers.md").read_text()
    assert re.findall(r"^## (.*)$", md, flags=re.MULTILINE) == ["Question 1 (q1)", "Question 2 (q2)",
                                                                "Question 3 (q3)"]
    q1 = md.split("## Question 1 (q1)")[1].split("## Question 2")[0]
    assert "> The cost carries a factor $\\frac{1}{2}$. Does it change which" in q1
    assert f"*{markdown_text(PLACEHOLDER_ANSWER)}*" in q1 and "Your answer here" not in md
    assert NO_QUESTIONS not in md and "matched to the questions by position" in md
    page = (run.root / "results" / "answers.html").read_text()
    assert "<h2>Question 3 (q3)</h2>" in page and "Why do we choose the polynomial degree" in page
    kept = json.loads((run.root / "results" / "answers.json").read_text())  # the grading room's, kept alike
    assert [a["question"] for a in kept["answers"]] == ["q1", "q2", "q3"] and kept["note"] is not None


def test_does_a_correct_py_get_what_local_grading_gives(local, tmp_path):
    data = on_gradescope(local, tmp_path, [LR / "alice_correct.py"], "2027-02-07T03:05:00-05:00")
    same_as_local(data, local.results["alice_correct.py"], "graded alice_correct.py",
                  "submitted 1 day 3 hours after the due date; the course's late policy is applied in the gradebook",
                  sandbox=False)
    assert data["score"] == 17 and [t["name"] for t in data["tests"]] == PARTS
    assert all(t["visibility"] == "visible" and "hidden cases: all passed" in t["output"] for t in data["tests"])


def test_does_a_notebook_get_what_local_grading_gives(local, tmp_path):
    data = on_gradescope(local, tmp_path, [LR / "carol_notebook.ipynb"], "2027-02-05T21:59:00-05:00")
    same_as_local(data, local.results["carol_notebook.ipynb"], "graded carol_notebook.ipynb",
                  "submitted on time (2 hours before the due date)", sandbox=False)
    assert data["score"] == 17


def test_does_a_student_see_every_test_and_the_total_before_the_due_date(local, tmp_path):
    data = on_gradescope(local, tmp_path, [LR / "bob_forgot_mean.py"], "2027-02-06T00:30:00-05:00",
                         due="2100-01-01T00:00:00+00:00")
    assert [t["name"] for t in data["tests"]] == PARTS  # no details test: nothing Gradescope would hold back
    assert all(t["visibility"] == "visible" for t in data["tests"])
    assert [t["number"] for t in data["tests"]] == [str(i) for i in range(1, len(PARTS) + 1)]
    assert data["output_format"] == "md" and all(t["output_format"] == "text" for t in data["tests"])
    tests = {t["name"]: t for t in data["tests"]}
    assert "hidden case " not in tests["cost_gradients"]["output"]
    assert "hidden cases: 1/4 passed; details once submissions have closed" in tests["cost_gradients"]["output"]
    assert data["score"] == pytest.approx(sum(t["score"] for t in data["tests"]))


def test_does_a_run_after_the_due_date_show_the_hidden_details(local, tmp_path):
    data = on_gradescope(local, tmp_path, [LR / "bob_forgot_mean.py"], "2027-02-06T00:30:00-05:00",
                         due="2020-01-01T00:00:00+00:00")
    tests = {t["name"]: t for t in data["tests"]}
    assert [n for n in tests if n.endswith(HIDDEN_DETAILS_SUFFIX)] == [
        "cost_gradients (hidden case details)", "gradient_descent (hidden case details)"]
    for part, number in (("cost_gradients", "3.1"), ("gradient_descent", "4.1")):
        details = tests[part + HIDDEN_DETAILS_SUFFIX]
        assert details["visibility"] == "visible" and details["number"] == number
        assert details["score"] == details["max_score"] == 0
        assert details["output"].split("\n")[1].startswith("  hidden case ")
    assert data["score"] == pytest.approx(sum(t["score"] for t in data["tests"]))


def test_are_hidden_details_held_back_while_gradescope_still_accepts_late_submissions(local, tmp_path):
    """The due date is long past, but Gradescope's late due date is not: a classmate may still submit, so no
    details (issue 20); only the counts, as before the due date."""
    late = {"assignment": {"due_date": "2020-01-01T00:00:00+00:00", "late_due_date": "2100-01-01T00:00:00+00:00",
                           "title": "Linear regression", "total_points": "17.0"}}
    data = on_gradescope(local, tmp_path, [LR / "bob_forgot_mean.py"], "2027-02-06T00:30:00-05:00", meta=late)
    assert [t["name"] for t in data["tests"]] == PARTS
    tests = {t["name"]: t for t in data["tests"]}
    assert "hidden case " not in tests["cost_gradients"]["output"]
    assert "hidden cases: 1/4 passed; details once submissions have closed" in tests["cost_gradients"]["output"]


def test_does_a_spent_daily_budget_withhold_the_hidden_counts_but_record_the_score(local, tmp_path, course_toml):
    """course.toml's [feedback] daily_submissions = 2, and two submissions already today: the score is the same
    as ever, nothing shown counts the hidden cases (nor times them), and the output says until when."""
    course = course_toml("\n[feedback]\ndaily_submissions = 2\n")
    earlier = {"previous_submissions": [{"submission_time": t, "score": 10.37, "results": {}}
                                        for t in ("2027-02-05T20:00:00-05:00", "2027-02-06T00:10:00-05:00")]}
    data = on_gradescope(local, tmp_path, [LR / "bob_forgot_mean.py"], "2027-02-06T00:30:00-05:00",
                         due="2100-01-01T00:00:00+00:00", meta=earlier, layout=course)
    normal = local.results["bob_forgot_mean.py"]
    assert data["score"] == normal["score"] == pytest.approx(10.37)
    assert data["score"] == pytest.approx(sum(t["score"] for t in data["tests"]))
    shown = [t for t in data["tests"] if t["visibility"] == "visible"]
    held = [t for t in data["tests"] if t["visibility"] != "visible"]
    assert [t["name"] for t in shown] == PARTS
    assert [t["name"] for t in held] == [p + HIDDEN_CASES_SUFFIX for p in PARTS]
    assert {t["visibility"] for t in held} == {"after_published"}
    for t in shown:
        assert "hidden cases: results withheld for this submission" in t["output"]
        assert "cases passed)" not in t["output"].replace("public cases passed)", "")
    assert "hidden cases: 1/4 passed" in {t["name"]: t for t in held}["cost_gradients" + HIDDEN_CASES_SUFFIX]["output"]
    assert "10.37" not in data["output"]
    assert ("hidden-case results are withheld: you have made 3 submissions in the last 24 h (limit 2); they are "
            "shown again for a submission after 2027-02-07 00:10 UTC-05:00") in data["output"]
    assert "execution_time" not in data  # code slower on some hidden inputs would tell them through it


def test_does_a_submission_within_the_budget_say_how_many_it_has_used(local, tmp_path, course_toml):
    course = course_toml("\n[feedback]\ndaily_submissions = 2\n")
    data = on_gradescope(local, tmp_path, [LR / "bob_forgot_mean.py"], "2027-02-06T00:30:00-05:00",
                         due="2100-01-01T00:00:00+00:00", layout=course)
    *output, late, budget = data["output"].split("\n\n")
    assert budget == "submissions in the last 24 h: 1 of 2 with hidden-case results"
    assert [t["name"] for t in data["tests"]] == PARTS and data["score"] == local.results["bob_forgot_mean.py"]["score"]


def test_does_an_empty_submission_get_zero_with_the_reason(lr_plan, tmp_path):
    """Nothing to run: the session's task gives it its result without the sandbox (grade_one)."""
    root = hand_in(tmp_path / "autograder", [], "2027-02-01T00:00:00-05:00")
    choice = choose_submission(root / "submission", ASSIGNMENT)
    assert choice.path is None
    result, failure = grade_one(lr_plan, choice.submission, sandbox=None)
    data = gradescope_results(result, root, what_is_shown(KIT_LAYOUT, ASSIGNMENT, root))
    assert failure is None and data["score"] == 0 and [t["name"] for t in data["tests"]] == PARTS
    assert ("no .py or .ipynb file was handed in (expected linear_regression.ipynb or linear_regression.py; "
            "the folder is empty)") in data["output"]


# ---------------------------------------------------------------- the pieces, alone


def test_which_file_is_graded(tmp_path):
    (tmp_path / ".ipynb_checkpoints").mkdir()
    (tmp_path / ".ipynb_checkpoints" / "a-checkpoint.ipynb").write_text("{}")
    (tmp_path / "helper.py").write_text("")
    assert choose_submission(tmp_path, ASSIGNMENT).why == "graded helper.py"
    (tmp_path / f"{ASSIGNMENT}.py").write_text("")
    assert choose_submission(tmp_path, ASSIGNMENT).why == (
        f"graded {ASSIGNMENT}.py; not graded: helper.py (of several, the one named {ASSIGNMENT}.py is graded)")
    (tmp_path / "work.ipynb").write_text("{}")
    choice = choose_submission(tmp_path, ASSIGNMENT)
    assert choice.path == tmp_path / "work.ipynb"
    assert choice.why == (f"graded work.ipynb; not graded: helper.py, {ASSIGNMENT}.py (a notebook is graded "
                          "when the submission has one)")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.ipynb").write_text("{}")
    assert choose_submission(tmp_path, ASSIGNMENT).why == (
        f"graded work.ipynb; not graded: helper.py, {ASSIGNMENT}.py, sub/a.ipynb (a notebook is graded when the "
        "submission has one; of several, the first in name order, top folder first, is graded)")


@pytest.mark.parametrize("created_at, user, says", [
    ("2027-02-07T03:05:00-05:00", {}, "submitted 1 day 3 hours after the due date; the course's late policy is "
                                      "applied in the gradebook"),
    ("2027-02-06T06:00:00.123456+01:00", {}, "submitted 1 minute after the due date; the course's late policy"),
    ("2027-02-03T23:59:00-05:00", {}, "submitted on time (2 days before the due date)"),
    ("2027-02-07T03:05:00-05:00", {"assignment": {"due_date": "2027-02-08T23:59:00-05:00"}},
     "submitted on time (1 day 20 hours before the due date (with an extension))"),
])
def test_is_lateness_read_from_gradescopes_metadata(tmp_path, created_at, user, says):
    path = tmp_path / "submission_metadata.json"
    path.write_text(metadata(created_at, **user))
    assert lateness(path).startswith(says)


def test_is_missing_or_broken_metadata_said_not_fatal(tmp_path):
    path = tmp_path / "submission_metadata.json"
    assert lateness(path) == "submission time unknown: there is no submission_metadata.json"
    path.write_text("{")
    assert lateness(path) == "submission time unknown: submission_metadata.json cannot be read (JSONDecodeError)"
    path.write_text(json.dumps({"created_at": "yesterday"}))
    assert lateness(path) == "submission time unknown: submission_metadata.json has no valid created_at"


def test_does_a_forged_case_line_in_a_hidden_error_stay_hidden():
    forged = "raised ValueError: x=[0.25]\n  case leaked [0.25]"
    part = PartVerdict("cost_gradients", 4.0, 2.0, (
        CaseVerdict("float64 N=7 D=3", False, Status.WRONG_VALUE,
                    (Finding("dw", Status.WRONG_VALUE, "(atol 1e-08, rtol 1e-06)", 1.0, (2,), 3.0, 2.0),)),
        CaseVerdict("float64 N=12 D=2", False, Status.OK),
        CaseVerdict("float64 N=1 D=1", True, Status.ERROR, message=forged, hints=("look",)),
        CaseVerdict("float64 N=40 D=5", True, Status.OK)))
    (before,) = results_json(SubmissionResult(Path("s.py"), [part]))["tests"]
    visible, hidden = results_json(SubmissionResult(Path("s.py"), [part]), hidden_details=True)["tests"]
    assert before == visible
    assert "0.25" not in visible["output"] and "look" not in visible["output"] and "0.25" in hidden["output"]
    assert visible["output"].endswith("  hidden cases: 1/2 passed; details once submissions have closed")
    assert hidden["output"].startswith("cost_gradients: failed hidden cases\n  hidden case float64 N=1 D=1")


def test_is_a_part_without_cases_reported_as_it_is():
    part = zero_part("predict", 2.0, "no function named predict was found in the submission")
    (test,) = results_json(SubmissionResult(Path("s.py"), [part]))["tests"]
    assert test["output"] == "predict   0 / 2\n  no function named predict was found in the submission"
