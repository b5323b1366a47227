"""Batch runs: the layouts submissions come in, the summary, feedback pages and regrading in place."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.errors import KitError
from autograder.grading.collect import find_submissions, read_gradescope_metadata
from autograder.grading.feedback import feedback_html, feedback_markdown
from autograder.checks.verdict import CaseVerdict, PartVerdict, Status
from autograder.grading.grade import SubmissionResult
from autograder.grading.summary import summarise, summary_markdown, summary_text
from conftest import EXAMPLES, ROOT

LR = EXAMPLES / "linear_regression"
PARTS = ["predict", "squared_error_cost", "cost_gradients", "gradient_descent", "fit_direct", "polynomial_features"]
HINT_1_OVER_N = "your result is exactly N times the expected one - did you forget to average over the batch (1/N)?"


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "autograder", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)


def put(path: Path, text: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def names(subs) -> list[str]:
    return [s.name for s in subs]


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# --- a fake Gradescope bulk export ("Download submissions", unzipped) ---------------------------

METADATA = """\
submission_101:
  :submitters:
  - :name: Alice Aalto
    :sid: '1001'
    :email: alice@uni.edu
  :created_at: 2027-02-05 23:10:00.123456000 -05:00
  :score: !ruby/object:BigDecimal 18:0.17e2
  :status: processed
  :results:
    score: 17.0
    tests:
    - name: predict
      output: |-
        predict   2 / 2
        submission_999:
          :submitters: []
  :history: []
submission_102:
  :submitters:
  - :name: Bob Byrne
    :sid:
    :email: Bob.Byrne@uni.edu
  - :name: Dan O'Neil
    :sid: 1004
    :email: dan@uni.edu
  :created_at: 2027-02-06 09:30:00.000000000 -05:00
  :history: []
submission_103:
  :submitters:
  - :name: "Erin \\"E\\" Eriksson"
    :sid: '1005'
    :email: erin@uni.edu
  :created_at: 2027-02-04 12:00:00.000000000 -05:00
"""


@pytest.fixture
def export(tmp_path) -> Path:
    root = tmp_path / "assignment_42_export"
    put(root / "submission_metadata.yml", METADATA)
    shutil.copy(LR / "carol_notebook.ipynb", put(root / "submission_101" / "hw.ipynb"))
    shutil.copy(LR / "bob_forgot_mean.py", root / "submission_101" / "hw.py")
    shutil.copy(LR / "bob_forgot_mean.py", put(root / "submission_102" / "linear_regression.py"))
    put(root / "submission_103" / "report.pdf", "%PDF-1.4")
    return root


def test_is_a_gradescope_export_named_by_sid_else_email_with_one_entry_per_group_member(export):
    subs = find_submissions([export])
    assert names(subs) == ["1001", "1004", "1005", "bob.byrne"]
    by = {s.name: s for s in subs}
    assert by["1001"].path == export / "submission_101" / "hw.ipynb"
    assert by["1004"].path == by["bob.byrne"].path == export / "submission_102" / "linear_regression.py"
    assert by["1001"].student == {"name": "Alice Aalto", "email": "alice@uni.edu", "sid": "1001"}
    assert by["1001"].submitted_at.isoformat() == "2027-02-05T23:10:00.123456-05:00"
    assert by["1005"].student["name"] == 'Erin "E" Eriksson'


def test_does_a_notebook_win_over_a_py_in_one_students_folder_and_is_that_said(export):
    alice = find_submissions([export])[0]
    assert alice.notes == ["graded hw.ipynb; not graded: hw.py (a notebook is graded when the submission has one)"]


def test_is_a_submission_without_code_kept_as_a_problem_not_an_error(export):
    erin = {s.name: s for s in find_submissions([export])}["1005"]
    assert erin.problem == "no .py or .ipynb file was handed in (found: report.pdf)"


def test_is_an_export_found_inside_the_folder_it_was_unzipped_into(export):
    assert names(find_submissions([export.parent])) == names(find_submissions([export]))


def test_are_two_people_with_one_sid_both_graded_with_a_note(export):
    """Two entries whose submitters share a sid but not an email are two people (one typed the other's sid):
    the export was a KitError for the whole batch; now each is graded under its own name, said in a note."""
    text = METADATA.replace(":sid: '1005'", ":sid: '1001'")
    put(export / "submission_metadata.yml", text)
    subs = {s.name: s for s in find_submissions([export])}
    shared = sorted(n for n in subs if n.startswith("1001"))
    assert len(shared) == 2 and "1001" not in subs and all(n.startswith("1001-") for n in shared)
    for name in shared:
        assert subs[name].notes[-1].startswith("another submitter in this export has the sid '1001' too: graded as "
                                               f"{name}")
    assert sorted(s.name for s in find_submissions([export])) == sorted(subs)  # the same names every run


def test_is_one_person_in_two_export_entries_an_error_naming_both(export):
    text = METADATA.replace(":sid: '1005'", ":sid: '1001'").replace("erin@uni.edu", "alice@uni.edu")
    put(export / "submission_metadata.yml", text)
    with pytest.raises(KitError) as e:
        find_submissions([export])
    assert str(e.value) == (f"two submissions would both be written to 1001/: {export / 'submission_101' / 'hw.ipynb'} "
                            f"and {export / 'submission_103'} - rename one of them")


def test_is_a_folder_missing_from_the_export_reported(export):
    shutil.rmtree(export / "submission_102")
    with pytest.raises(KitError, match=r"submission_metadata.yml lists submission_102, but .* is not there"):
        find_submissions([export])


def test_is_metadata_that_is_not_an_export_a_one_line_error(tmp_path):
    path = put(tmp_path / "submission_metadata.yml", "- just\n- a list\n")
    with pytest.raises(KitError, match="this is not a Gradescope export's metadata"):
        read_gradescope_metadata(path)


def test_can_a_sid_not_climb_out_of_the_results_folder(export):
    put(export / "submission_metadata.yml", METADATA.replace(":sid: '1001'", ":sid: '../../etc'"))
    assert "_.._etc" in names(find_submissions([export]))


# --- folders of files and folders of students -----------------------------------------------

def test_is_a_flat_folder_one_submission_per_file_named_by_its_stem(tmp_path):
    for name in ("alice.py", "bob smith.ipynb", "notes.txt", ".hidden.py"):
        put(tmp_path / name, "x = 1\n")
    subs = find_submissions([tmp_path])
    assert [(s.name, s.path.name) for s in subs] == [("alice", "alice.py"), ("bob_smith", "bob smith.ipynb")]


def test_is_a_folder_of_student_folders_one_submission_per_student(tmp_path):
    put(tmp_path / "alice" / "anything.ipynb", "{}")
    put(tmp_path / "bob" / "work" / "lr.py")
    put(tmp_path / "carol" / "hw.ipynb", "{}")
    put(tmp_path / "carol" / "hw.py")
    put(tmp_path / "carol" / ".ipynb_checkpoints" / "hw-checkpoint.ipynb", "{}")
    put(tmp_path / "__MACOSX" / "alice" / "._anything.ipynb")
    subs = find_submissions([tmp_path])
    assert [(s.name, s.path.relative_to(tmp_path).as_posix()) for s in subs] == [
        ("alice", "alice/anything.ipynb"), ("bob", "bob/work/lr.py"), ("carol", "carol/hw.ipynb")]
    assert subs[2].notes == ["graded hw.ipynb; not graded: hw.py (a notebook is graded when the submission has one)"]


def test_does_a_notebook_win_over_a_py_of_the_same_name_in_a_flat_folder(tmp_path):
    put(tmp_path / "alice.py")
    put(tmp_path / "alice.ipynb", "{}")
    (alice,) = find_submissions([tmp_path])
    assert alice.path.name == "alice.ipynb" and "not graded: alice.py" in alice.notes[0]


def test_among_two_notebooks_of_one_student_is_the_one_named_after_the_assignment_graded(tmp_path):
    put(tmp_path / "alice" / "a.ipynb", "{}")
    put(tmp_path / "alice" / "linear_regression.ipynb", "{}")
    (alice,) = find_submissions([tmp_path], "linear_regression")
    assert alice.path.name == "linear_regression.ipynb"
    assert alice.notes == ["graded linear_regression.ipynb; not graded: a.ipynb (of several, the one named "
                           "linear_regression.ipynb is graded)"]


@pytest.mark.parametrize("files", [
    ["hw.ipynb", "hw.py"],
    ["b.ipynb", "a.ipynb", "c.py"],
    ["z.py", "linear_regression.py", "deep/linear_regression.ipynb"],
    ["x.py", "deep/a.py", "linear_regression.ipynb", ".ipynb_checkpoints/linear_regression-checkpoint.ipynb"],
])
def test_is_the_file_graded_in_a_students_folder_the_one_the_gradescope_autograder_grades(tmp_path, files):
    from autograder.gradescope import run
    for f in files:
        put(tmp_path / "alice" / f, "{}")
    (alice,) = find_submissions([tmp_path], "linear_regression")
    choice = run.choose_submission(tmp_path / "alice", "linear_regression")
    assert alice.path == choice.path and alice.notes == ([choice.why] if len(files) > 1 else [])


def test_are_two_files_that_sanitise_to_one_name_an_error_naming_both(tmp_path):
    a, b = put(tmp_path / "alice smith.py"), put(tmp_path / "alice_smith.py")
    with pytest.raises(KitError) as e:
        find_submissions([tmp_path])
    assert str(e.value) == f"two submissions would both be written to alice_smith/: {a} and {b} - rename one of them"


def test_is_a_zip_refused_with_what_to_do(tmp_path):
    with pytest.raises(KitError, match=r"is a zip archive; unzip it and give the folder instead"):
        find_submissions([put(tmp_path / "export.zip")])


# --- the summary ------------------------------------------------------------------------------

def result(scores: dict[str, float], hints: dict[str, list[str]] | None = None, error: str | None = None):
    points = {"predict": 2.0, "cost_gradients": 4.0}
    parts = [PartVerdict(n, points[n], s, (CaseVerdict("case", False, Status.OK if s == points[n] else Status.WRONG_VALUE,
                                                       hints=tuple((hints or {}).get(n, []))),))
             for n, s in scores.items()]
    return SubmissionResult(Path("x.py"), parts, error=error,
                            grader_failed=bool(error and error.startswith("grader failure")))


def test_are_means_and_medians_over_graded_submissions_with_losses_and_hints_counted():
    rows = [result({"predict": 2, "cost_gradients": 4}).row("a"),
            result({"predict": 2, "cost_gradients": 1}, {"cost_gradients": ["1/N?", "sign?"]}).row("b"),
            result({"predict": 1, "cost_gradients": 0}, {"cost_gradients": ["1/N?"], "predict": ["shape?"]}).row("c"),
            result({"predict": 0, "cost_gradients": 0}, error="the notebook is not valid JSON").row("d"),
            result({"predict": 0, "cost_gradients": 0}, error="grader failure: RuntimeError: boom").row("e")]
    s = summarise(rows, ["predict", "cost_gradients"])
    assert (s.submissions, s.graded, s.unreadable, s.grader_failures) == (5, ["a", "b", "c"], ["d"], ["e"])
    predict, grads = s.parts
    assert (predict.mean, predict.median, predict.lost_by) == (pytest.approx(5 / 3), 2, 1)
    assert (grads.mean, grads.median, grads.lost_by) == (pytest.approx(5 / 3), 1, 2)
    assert (s.total.points, s.total.mean, s.total.median) == (6, pytest.approx(10 / 3), 3)
    assert [p.name for p in s.most_lost] == ["cost_gradients", "predict"]
    assert s.hints == [(2, "cost_gradients", "1/N?"), (1, "predict", "shape?"), (1, "cost_gradients", "sign?")]
    text = summary_text(s)
    assert text.splitlines()[0] == ("summary: 5 submission(s): 3 graded, 2 failed to grade "
                                    "(could not be read: d; the grader failed: e)")
    assert "parts most often lost: cost_gradients (2 of 3), predict (1 of 3)" in text
    assert "  2 of 3  cost_gradients: 1/N?" in text
    md = summary_markdown(s)
    assert "| `cost_gradients` | 4 | 1.67 | 1.00 | 2 of 3 |" in md and "- 2 of 3, `cost_gradients`: 1/N?" in md


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The bundled examples plus a malformed notebook, graded once for the module."""
    subs = tmp_path_factory.mktemp("subs")
    for f in LR.iterdir():
        shutil.copy(f, subs / f.name)
    (subs / "dave_broken.ipynb").write_text('{"cells": [')
    out = tmp_path_factory.mktemp("out")
    proc = cli("grade", "linear_regression", str(subs), "--out", str(out), "--jobs", "2", "--quiet")
    assert proc.returncode == 0, proc.stderr
    return proc, subs, out


def test_does_grade_print_the_summary_of_the_bundled_examples(graded):
    proc, _, out = graded
    text = proc.stdout
    assert text.index("alice_correct") < text.index("summary: 4 submission(s): 3 graded, 1 failed to grade "
                                                    "(could not be read: dave_broken)")
    rows = {line.split()[0]: line.split()[1:] for line in text.splitlines() if line.split()[:1] in ([p] for p in PARTS)}
    assert rows["cost_gradients"] == ["4", "2.86", "4.00", "1", "of", "3"]
    assert rows["gradient_descent"] == ["4", "2.93", "4.00", "1", "of", "3"]
    assert rows["predict"] == ["2", "2.00", "2.00", "0", "of", "3"]
    assert "parts most often lost: cost_gradients (1 of 3), gradient_descent (1 of 3)" in text
    assert f"  1 of 3  cost_gradients: {HINT_1_OVER_N}" in text
    md = (out / "summary.md").read_text()
    assert md.startswith("# Grading summary: linear_regression\n") and "| `cost_gradients` | 4 | 2.86 | 4.00 | 1 of 3 |" in md


def test_is_there_a_feedback_page_beside_each_results_json_with_the_score_and_hints(graded):
    _, _, out = graded
    md = (out / "bob_forgot_mean" / "feedback.md").read_text()
    page = (out / "bob_forgot_mean" / "feedback.html").read_text()
    assert "**Score: 10.37 / 17**" in md and HINT_1_OVER_N in md
    assert "Score: <strong>10.37</strong> / 17" in page and HINT_1_OVER_N in page
    assert "| `cost_gradients` | 0.57 / 4 | 1/7 |" in md
    broken = (out / "dave_broken" / "feedback.html").read_text()
    assert "This submission could not be graded:</strong> " in broken and "not valid JSON" in broken


def test_does_the_feedback_page_carry_the_written_answers(graded):
    _, _, out = graded
    page = (out / "carol_notebook" / "feedback.html").read_text()
    assert "<h2>Written answers</h2>" in page and '<div class="answer">' in page


def test_does_the_feedback_page_escape_everything_the_student_wrote():
    evil = "<script>alert(1)</script>"
    r = SubmissionResult(Path(f"{evil}.py"), [
        PartVerdict("predict", 2.0, 1.0, (CaseVerdict("a", False, Status.OK),
                                          CaseVerdict(evil, False, Status.ERROR, message=f"got {evil}", hints=(evil,))))],
        notes=[f'uses <img src=x onerror="alert(1)">'],
        answers=[(3, f"My answer: $\\frac{{1}}{{N}}$ {evil} [x](javascript:alert(1))")])
    page = feedback_html(r)
    assert "<script" not in page and "https://" not in page.split("<body>")[0]  # no script, nothing loaded
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<img" not in page
    assert 'href="javascript:' not in page
    assert "<math" in page and "<mfrac>" in page  # the math typeset here, as MathML
    assert "Content-Security-Policy" in page
    md = feedback_markdown(r)
    assert "- `predict`: &lt;script&gt;alert(1)&lt;/script&gt;" in md


# --- regrading in place -----------------------------------------------------------------------

def test_does_regrading_only_some_students_leave_the_others_byte_identical(graded, tmp_path):
    _, subs, first = graded
    out = tmp_path / "out"
    shutil.copytree(first, out)
    before = snapshot(out)
    (out / "bob_forgot_mean" / "feedback.html").unlink()
    proc = cli("grade", "linear_regression", str(subs), "--out", str(out), "--quiet", "--only", "bob_forgot_mean")
    assert proc.returncode == 0, proc.stderr
    after = snapshot(out)
    others = [k for k in before if not k.startswith("bob_forgot_mean/") and k != "summary.md"]
    assert {k: after[k] for k in others} == {k: before[k] for k in others}  # grades.csv included
    assert "bob_forgot_mean/feedback.html" in after
    table = proc.stdout.split("\n\n")[0]
    assert "bob_forgot_mean" in table and "alice_correct" not in table
    assert "summary: 4 submission(s): 3 graded" in proc.stdout


def test_does_regrading_some_parts_keep_the_other_parts_and_recompute_the_total(graded, tmp_path):
    _, subs, first = graded
    out = tmp_path / "out"
    shutil.copytree(first, out)
    record = json.loads((out / "bob_forgot_mean" / "record.json").read_text())
    for part in record["parts"]:  # what an earlier version of the checks gave
        part["score"] = {"predict": 1.5, "cost_gradients": 4.0}.get(part["name"], part["score"])
    (out / "bob_forgot_mean" / "record.json").write_text(json.dumps(record))
    before = snapshot(out)
    proc = cli("grade", "linear_regression", str(subs), "--out", str(out), "--quiet",
               "--only", "bob_forgot_mean", "--parts", "cost_gradients")
    assert proc.returncode == 0, proc.stderr
    tests = {t["name"]: t for t in json.loads((out / "bob_forgot_mean" / "results.json").read_text())["tests"]}
    assert tests["predict"]["score"] == 1.5            # kept from before
    assert tests["cost_gradients"]["score"] == 0.57    # run again
    total = 1.5 + 2 + 0.57 + 0.8 + 3 + 2
    assert json.loads((out / "bob_forgot_mean" / "results.json").read_text())["score"] == pytest.approx(total)
    rows = {r["submission"]: r for r in csv.DictReader((out / "grades.csv").open())}
    assert rows["bob_forgot_mean"]["score"] == f"{total:g}" and rows["alice_correct"]["score"] == "17"
    after = snapshot(out)
    others = [k for k in before if k.split("/")[0] in ("alice_correct", "carol_notebook", "dave_broken")]
    assert others and {k: after[k] for k in others} == {k: before[k] for k in others}
    # a part that was not run again keeps its entries word for word (hidden-case counts included)
    kept_before = {t["name"]: t for t in json.loads(before["bob_forgot_mean/results.json"])["tests"]}
    assert tests["gradient_descent"] == kept_before["gradient_descent"]
    assert "hidden cases: 1/3 passed" in tests["gradient_descent"]["output"]


def test_does_a_parts_rerun_without_earlier_results_grade_every_part_and_say_so(tmp_path):
    proc = cli("grade", "linear_regression", str(LR / "bob_forgot_mean.py"), "--out", str(tmp_path / "o"),
               "--quiet", "--parts", "predict")
    assert proc.returncode == 0, proc.stderr
    assert "bob_forgot_mean: every part graded (no earlier result to keep parts from)" in proc.stderr
    assert json.loads((tmp_path / "o" / "bob_forgot_mean" / "results.json").read_text())["score"] == 10.37


def test_is_an_unknown_only_name_a_one_line_error_listing_the_names(tmp_path):
    proc = cli("grade", "linear_regression", str(LR), "--out", str(tmp_path / "o"), "--only", "bob")
    assert proc.returncode == 2 and not (tmp_path / "o").exists()
    assert proc.stderr == ("error: --only: no submission named 'bob' among the submissions given "
                           "(they are: alice_correct, bob_forgot_mean, carol_notebook)\n")


def test_is_an_unknown_part_a_one_line_error_listing_the_parts(tmp_path):
    proc = cli("grade", "linear_regression", str(LR), "--out", str(tmp_path / "o"), "--parts", "gradients")
    assert proc.returncode == 2 and not (tmp_path / "o").exists()
    assert proc.stderr == (f"error: --parts: linear_regression has no part named 'gradients' (its parts: "
                           f"{', '.join(PARTS)})\n")


# --- a whole export, end to end ---------------------------------------------------------------

def test_does_grading_an_export_write_each_students_results_under_their_name(export, tmp_path):
    out = tmp_path / "out"
    proc = cli("grade", "linear_regression", str(export), "--out", str(out), "--jobs", "2", "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert "1001: graded hw.ipynb; not graded: hw.py (a notebook is graded when the submission has one)" in proc.stdout
    score = lambda name: json.loads((out / name / "results.json").read_text())  # noqa: E731
    assert score("1001")["score"] == 17 and "note: graded hw.ipynb; not graded: hw.py" in score("1001")["output"]
    assert score("1004")["score"] == score("bob.byrne")["score"] == 10.37
    assert score("1005")["score"] == 0
    assert ("no .py or .ipynb file was handed in (expected linear_regression.ipynb or linear_regression.py; "
            "found: report.pdf)") in score("1005")["output"]
    rows = [r["submission"] for r in csv.DictReader((out / "grades.csv").open())]
    assert rows == ["1001", "1004", "1005", "bob.byrne"]
    assert "summary: 4 submission(s): 3 graded, 1 failed to grade (nothing handed in: 1005)" in proc.stdout
