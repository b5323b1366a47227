"""The Gradescope autograder zip: what it holds, that it rebuilds identically, and that a run of it
in Gradescope's layout gives the results local grading gives - hidden details once submissions have closed."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from autograder import paths
from autograder.assignment import load_assignment
from autograder.errors import KitError, LeakError
from autograder.gradescope.build import (REQUIREMENT_FILES, ZIP_TIME, build_gradescope_zip, find_solution_code,
                                         refuse_solution_code, solution_secrets, zip_members)
from autograder.gradescope.run import choose_submission, lateness
from autograder.checks.verdict import CaseVerdict, Finding, PartVerdict, Status, zero_part
from autograder.grading.grade import SubmissionResult
from autograder.grading.results import HIDDEN_CASES_SUFFIX, HIDDEN_DETAILS_SUFFIX, results_json
from autograder.release.markers import find_regions
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
        f"assignments/{ASSIGNMENT}/{f}" for f in ("cases.toml", "checks.py", "spec.toml")]
    package = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "autograder").rglob("*.py")
                     if "__pycache__" not in p.parts)
    assert set(package) <= set(names)
    assert all(n.startswith(("autograder/", "assignments/"))
               or n in ("setup.sh", "run_autograder", "course.toml", *REQUIREMENT_FILES) for n in names)


def test_is_there_no_solution_starter_or_notebook_in_the_zip(built):
    names = zipfile.ZipFile(built).namelist()
    assert not [n for n in names if n.startswith(("solutions/", "starter_code/", "notebooks/", "dist/"))]
    assert not [n for n in names if n.endswith((".ipynb", ".pyc")) or n.startswith("assignments/") and "notebook" in n]


def test_does_the_leak_scanner_find_no_solution_line_in_the_zip(built):
    secrets = solution_secrets(load_assignment(ASSIGNMENT))
    assert secrets.solution_lines  # the scan has something to look for
    with zipfile.ZipFile(built) as archive:
        for name in archive.namelist():
            assert find_solution_code(archive.read(name).decode("utf-8"), secrets) is None, name


@pytest.mark.parametrize("assignment", paths.assignment_ids())
def test_does_every_assignments_zip_build(assignment, tmp_path):
    """The kit's own code is in every zip: none of its lines may look like a line of any solution."""
    built = build_gradescope_zip(load_assignment(assignment), tmp_path / f"{assignment}.zip")
    assert built.path.is_file() and f"assignments/{assignment}/checks.py" in built.names


def test_would_a_solution_line_in_the_zip_be_refused_with_its_place():
    solution = paths.solution_file(ASSIGNMENT)
    region = find_regions(solution.read_text(), str(solution))[0]
    line = max(region.body, key=len)
    members = zip_members(load_assignment(ASSIGNMENT))
    members["autograder/extra.py"] = f"x = 1\n{line}\n".encode()
    with pytest.raises(LeakError, match=r"^autograder/extra\.py:2: refusing to write a leak into the Gradescope "
                                        r"zip: this would show a line of a solution region \(solutions/"):
        refuse_solution_code(members, load_assignment(ASSIGNMENT))
    members["solutions/linear_regression.py"] = b"# nothing\n"
    del members["autograder/extra.py"]
    with pytest.raises(LeakError, match="autograder needs no solution, starter or notebook"):
        refuse_solution_code(members, load_assignment(ASSIGNMENT))


def test_does_rebuilding_give_identical_bytes_with_fixed_times(built, tmp_path):
    again = tmp_path / "again.zip"
    build_gradescope_zip(load_assignment(ASSIGNMENT), again)
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
        build_gradescope_zip(load_assignment(ASSIGNMENT), tmp_path / "x.tar")


# ---------------------------------------------------------------- a run in Gradescope's layout


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


def gradescope_run(zip_path: Path, base: Path, files: list[Path], created_at: str,
                   due: str = DUE, meta: dict | None = None, course: str = "") -> tuple[dict, str]:
    """``meta``: submission_metadata.json's keys replacing those of metadata(); ``course``: added to the zip's
    course.toml, as if it had been built with it."""
    root = unpack(zip_path, base)
    (root / "submission").mkdir()
    for f in files:
        shutil.copy(f, root / "submission" / f.name)
    data = {**json.loads(metadata(created_at, due)), **(meta or {})}
    (root / "submission_metadata.json").write_text(json.dumps(data))
    if course:
        with (root / "source" / "course.toml").open("a") as f:
            f.write(course)
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "KIT_PYTHON": GRADING_PYTHON}
    proc = subprocess.run([str(root / "run_autograder")], cwd=base, env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads((root / "results" / "results.json").read_text()), proc.stdout


@pytest.fixture(scope="module")
def local(tmp_path_factory) -> dict[str, dict]:
    """results.json of 'python -m autograder grade' for each example, as an instructor would run it."""
    out = tmp_path_factory.mktemp("local")
    files = [LR / "alice_correct.py", LR / "bob_forgot_mean.py", LR / "carol_notebook.ipynb"]
    proc = cli("grade", ASSIGNMENT, *map(str, files), "--out", str(out), "--quiet", "--jobs", "1")
    assert proc.returncode == 0, proc.stderr
    return {f.name: json.loads((out / f.stem / "results.json").read_text()) for f in files}


def same_as_local(gradescope: dict, local: dict, graded_line: str, lateness_line: str) -> None:
    """Equal but for the execution time and the three lines only Gradescope's output has."""
    *output, sandbox, graded, late = gradescope["output"].split("\n\n")
    assert graded == graded_line and late == lateness_line
    assert sandbox.startswith("sandbox: every guarantee of the floor held; layers on: ")
    strip = lambda d: {k: v for k, v in d.items() if k != "execution_time"}  # noqa: E731
    assert strip({**gradescope, "output": "\n\n".join(output)}) == strip(local)


def test_does_a_correct_py_get_what_local_grading_gives(built, local, tmp_path):
    data, stdout = gradescope_run(built, tmp_path, [LR / "alice_correct.py"], "2027-02-07T03:05:00-05:00")
    same_as_local(data, local["alice_correct.py"], "graded alice_correct.py",
                  "submitted 1 day 3 hours after the due date; the course's late policy is applied in the gradebook")
    assert data["score"] == 17 and [t["name"] for t in data["tests"]] == PARTS
    assert all(t["visibility"] == "visible" and "hidden cases: all passed" in t["output"] for t in data["tests"])
    assert "score 17; results in" in stdout


def test_does_a_notebook_get_what_local_grading_gives(built, local, tmp_path):
    data, _ = gradescope_run(built, tmp_path, [LR / "carol_notebook.ipynb"], "2027-02-05T21:59:00-05:00")
    same_as_local(data, local["carol_notebook.ipynb"], "graded carol_notebook.ipynb",
                  "submitted on time (2 hours before the due date)")
    assert data["score"] == 17


def test_is_the_notebook_graded_when_a_py_comes_with_it(built, local, tmp_path):
    files = [LR / "bob_forgot_mean.py", LR / "carol_notebook.ipynb"]
    data, _ = gradescope_run(built, tmp_path, files, "2027-02-05T23:59:00-05:00")
    same_as_local(data, local["carol_notebook.ipynb"],
                  "graded carol_notebook.ipynb; not graded: bob_forgot_mean.py "
                  "(a notebook is graded when the submission has one)",
                  "submitted on time (less than a minute before the due date)")


def test_does_a_student_see_every_test_and_the_total_before_the_due_date(built, local, tmp_path):
    data, _ = gradescope_run(built, tmp_path, [LR / "bob_forgot_mean.py"], "2027-02-06T00:30:00-05:00",
                             due="2100-01-01T00:00:00+00:00")
    assert [t["name"] for t in data["tests"]] == PARTS  # no details test: nothing Gradescope would hold back
    assert all(t["visibility"] == "visible" for t in data["tests"])
    assert [t["number"] for t in data["tests"]] == [str(i) for i in range(1, len(PARTS) + 1)]
    assert data["output_format"] == "md" and all(t["output_format"] == "text" for t in data["tests"])
    tests = {t["name"]: t for t in data["tests"]}
    assert "hidden case " not in tests["cost_gradients"]["output"]
    assert "hidden cases: 1/4 passed; details once submissions have closed" in tests["cost_gradients"]["output"]
    assert data["score"] == pytest.approx(sum(t["score"] for t in data["tests"]))
    assert data["execution_time"] > 1.0  # the whole run, torch's import included, not the grading alone
    cases = tmp_path / "autograder" / "source" / "assignments" / ASSIGNMENT / "cases.toml"
    assert stat.S_IMODE(cases.stat().st_mode) & 0o077 == 0  # unreadable to the sandbox's users


def test_does_a_run_after_the_due_date_show_the_hidden_details(built, tmp_path):
    data, _ = gradescope_run(built, tmp_path, [LR / "bob_forgot_mean.py"], "2027-02-06T00:30:00-05:00",
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


def test_are_hidden_details_held_back_while_gradescope_still_accepts_late_submissions(built, tmp_path):
    """The due date is long past, but Gradescope's late due date is not: a classmate may still submit, so no
    details (issue 20); only the counts, as before the due date."""
    late = {"assignment": {"due_date": "2020-01-01T00:00:00+00:00", "late_due_date": "2100-01-01T00:00:00+00:00",
                           "title": "Linear regression", "total_points": "17.0"}}
    data, _ = gradescope_run(built, tmp_path, [LR / "bob_forgot_mean.py"], "2027-02-06T00:30:00-05:00", meta=late)
    assert [t["name"] for t in data["tests"]] == PARTS
    tests = {t["name"]: t for t in data["tests"]}
    assert "hidden case " not in tests["cost_gradients"]["output"]
    assert "hidden cases: 1/4 passed; details once submissions have closed" in tests["cost_gradients"]["output"]


def test_does_a_spent_daily_budget_withhold_the_hidden_counts_but_record_the_score(built, local, tmp_path):
    """course.toml's [feedback] daily_submissions = 2, and two submissions already today: the score is the same
    as ever, nothing shown counts the hidden cases, and the output says until when."""
    earlier = {"previous_submissions": [{"submission_time": t, "score": 10.37, "results": {}}
                                        for t in ("2027-02-05T20:00:00-05:00", "2027-02-06T00:10:00-05:00")]}
    data, _ = gradescope_run(built, tmp_path, [LR / "bob_forgot_mean.py"], "2027-02-06T00:30:00-05:00",
                             due="2100-01-01T00:00:00+00:00", meta=earlier,
                             course="\n[feedback]\ndaily_submissions = 2\n")
    normal = local["bob_forgot_mean.py"]
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


def test_does_a_submission_within_the_budget_say_how_many_it_has_used(built, local, tmp_path):
    data, _ = gradescope_run(built, tmp_path, [LR / "bob_forgot_mean.py"], "2027-02-06T00:30:00-05:00",
                             due="2100-01-01T00:00:00+00:00", course="\n[feedback]\ndaily_submissions = 2\n")
    *output, late, budget = data["output"].split("\n\n")
    assert budget == "submissions in the last 24 h: 1 of 2 with hidden-case results"
    assert [t["name"] for t in data["tests"]] == PARTS and data["score"] == local["bob_forgot_mean.py"]["score"]


def test_does_an_empty_submission_get_zero_with_the_reason(built, tmp_path):
    data, _ = gradescope_run(built, tmp_path, [], "2027-02-01T00:00:00-05:00")
    assert data["score"] == 0 and [t["name"] for t in data["tests"]] == PARTS
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
