"""What grade does with what it is given: every file left out is named with why, extensions count in any
case, an --out holding another run is refused, nothing found is an error, and the summary says why each
submission was not graded. (Issue 21, grade.)"""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.checks import taking
from autograder.errors import KitError
from autograder.escaping import markdown_text
from autograder.grading.collect import find_submissions
from autograder.grading.grade import SubmissionResult
from autograder.grading.summary import summarise, summary_text
from autograder.ingest import SubmissionError, ingest
from conftest import EXAMPLES, ROOT, notebook_json

LR = EXAMPLES / "linear_regression"
ONLY = "only .py and .ipynb files are graded"
TF_NOTE = ("import tensorflow as tf - graded code may use torch, not tensorflow (docs/rules.md): the grader does "
           "not import tensorflow, and a graded function that uses it earns nothing for its part")


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "autograder", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)


def put(path: Path, text: str = "def f():\n    pass\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


# --- finding submissions (no grading) ---------------------------------------------------------------

def test_is_every_file_left_out_of_a_submissions_folder_named_with_why(tmp_path):
    put(tmp_path / "alice.py")
    put(tmp_path / "notes.txt", "grading notes")
    put(tmp_path / "README.md", "# hw1")
    put(tmp_path / ".DS_Store", "")                 # hidden: passed over without a word
    put(tmp_path / "__MACOSX" / "._alice.py", "")   # archive debris: likewise
    skipped: list[str] = []
    subs = find_submissions([tmp_path], "linear_regression", skipped)
    assert [s.name for s in subs] == ["alice"]
    assert skipped == [f"{tmp_path / 'README.md'}: not graded - not a submission ({ONLY})",
                       f"{tmp_path / 'notes.txt'}: not graded - not a submission ({ONLY})"]


def test_are_extensions_accepted_in_any_case(tmp_path):
    put(tmp_path / "alice.PY")
    put(tmp_path / "bob.IPYNB", notebook_json(("code", "def f():\n    pass")))
    put(tmp_path / "carol" / "HW1.Py")
    put(tmp_path / "carol" / "HW1.IpYnB", notebook_json(("code", "def f():\n    pass")))
    skipped: list[str] = []
    subs = {s.name: s for s in find_submissions([tmp_path], "HW1", skipped)}
    assert sorted(subs) == ["alice", "bob", "carol"] and skipped == []
    assert subs["carol"].path.name == "HW1.IpYnB"  # a notebook wins, whatever the case of its extension
    assert ingest(subs["alice"].path).defined == ["f"] and ingest(subs["bob"].path).defined == ["f"]
    assert taking.take_file(b"def f():\n    pass\n", ".PY").kind == taking.FILE


def test_is_a_loose_file_in_a_gradescope_export_named(tmp_path):
    export = tmp_path / "export"
    put(export / "submission_1" / "hw.py")
    put(export / "submission_metadata.yml", "submission_1:\n  :submitters:\n  - :sid: '7'\n")
    put(export / "grading.xlsx", "")
    skipped: list[str] = []
    assert [s.name for s in find_submissions([export], None, skipped)] == ["7"]
    assert skipped == [f"{export / 'grading.xlsx'}: not graded - not a submission ({ONLY})"]


def test_is_a_folder_without_submissions_an_error_saying_what_it_holds(tmp_path):
    put(tmp_path / "notes.txt", "x")
    with pytest.raises(KitError, match=re.escape(f"no submissions found in {tmp_path} ({ONLY}; found: notes.txt)")):
        find_submissions([tmp_path])


# --- what a student hears ---------------------------------------------------------------------------

def test_is_an_empty_file_said_to_be_empty(tmp_path):
    for name in ("a.py", "a.ipynb"):
        with pytest.raises(SubmissionError, match="the file is empty"):
            ingest(put(tmp_path / name, "\n  \n"))


def test_is_an_import_of_another_framework_noted_where_it_is(tmp_path):
    taken = ingest(put(tmp_path / "a.py", "import torch\nimport tensorflow as tf\nimport matplotlib.pyplot as plt\n"
                                          "def f():\n    pass\n"))
    assert taken.notes == [f"line 2: {TF_NOTE}"]  # matplotlib: notebooks plot with it, no note
    nb = ingest(put(tmp_path / "a.ipynb", notebook_json(("code", "import numpy as np\nfrom jax import numpy as jnp"),
                                                        ("code", "def f():\n    pass"))))
    assert nb.notes == ["cell 1, line 2: from jax import numpy as jnp - graded code may use torch, not jax "
                        "(docs/rules.md): the grader does not import jax, and a graded function that uses it earns "
                        "nothing for its part"]
    # check() in the notebook: the kernel's history, as IPython keeps it (the cell run as In [N])
    history = taking.take_cells([("code", 3, "import tensorflow as tf", []), ("code", 4, "import tensorflow as tf", [])],
                                taking.HISTORY, require_definitions=False)
    assert taking.foreign_imports(history) == [f"the cell run as In [3], line 1: {TF_NOTE}"]


# --- the summary --------------------------------------------------------------------------------------

def test_does_the_summary_say_why_each_submission_was_not_graded():
    def row(name: str, error: str | None):
        return SubmissionResult(Path("x.py"), [], error=error,
                                grader_failed=bool(error and error.startswith("grader failure"))).row(name)
    rows = [row("a", None), row("b", "b.py: the file is empty - was it saved before it was handed in?"),
            row("c", "c.py:3: SyntaxError: invalid syntax - fix it so the file runs"),
            row("d", "d.ipynb: the notebook is not valid JSON (Expecting value at line 1, column 2)"),
            row("e", "no .py or .ipynb file was handed in (the folder is empty)"),
            row("f", "f.py: no function definitions were found in this file"),
            row("g", "grader failure: RuntimeError: boom")]
    line = summary_text(summarise(rows, [])).splitlines()[0]
    assert line == ("summary: 7 submission(s): 1 graded, 6 failed to grade (nothing handed in: e; an empty file: b; "
                    "a syntax error: c; no function definitions: f; could not be read: d; the grader failed: g)")


# --- an --out holding another run -------------------------------------------------------------------------

def test_is_a_rerun_of_the_same_batch_allowed_and_another_batch_refused(tmp_path):
    from autograder.grading.session import check_earlier_run
    for name in ("alice", "bob"):
        put(tmp_path / name / "results.json", "{}")
    (tmp_path / "not_results").mkdir()
    check_earlier_run(tmp_path, ["alice", "bob"])           # the same batch again
    check_earlier_run(tmp_path, ["alice", "bob", "carol"])  # a late submission added
    check_earlier_run(tmp_path / "new", ["carol"])           # nothing there yet
    with pytest.raises(KitError, match=r"holds earlier results of 1 submission\(s\) not in this run \(bob\)"):
        check_earlier_run(tmp_path, ["alice"])


# --- end to end ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    subs = tmp_path_factory.mktemp("subs")
    shutil.copy(LR / "alice_correct.py", subs / "alice.PY")
    shutil.copy(LR / "carol_notebook.ipynb", subs / "carol.IPYNB")
    (subs / "tom.py").write_text("import tensorflow as tf\n" + (LR / "bob_forgot_mean.py").read_text())
    (subs / "erin.py").write_text("")
    (subs / "sam.py").write_text("def predict(X, w, b)\n    return X @ w + b\n")
    put(subs / "nina" / "report.pdf", "%PDF")
    put(subs / "notes.txt", "grading notes")
    put(subs / "README.md", "# hw1")
    out = tmp_path_factory.mktemp("out")
    proc = cli("grade", "linear_regression", str(subs), "--out", str(out), "--jobs", "2", "--quiet")
    assert proc.returncode == 0, proc.stderr
    return proc, subs, out


def test_does_grade_name_the_files_it_left_out_and_grade_any_case(batch):
    proc, subs, out = batch
    for name in ("notes.txt", "README.md"):
        assert f"{subs / name}: not graded - not a submission ({ONLY})" in proc.stderr
    rows = {r["submission"]: r for r in csv.DictReader((out / "grades.csv").open())}
    assert sorted(rows) == ["alice", "carol", "erin", "nina", "sam", "tom"]
    assert rows["alice"]["score"] == "17" and float(rows["carol"]["score"]) > 0


def test_does_the_summary_of_a_batch_say_why_each_was_not_graded(batch):
    proc, _, out = batch
    line = "6 submission(s): 3 graded, 3 failed to grade (nothing handed in: nina; an empty file: erin; " \
           "a syntax error: sam)"
    assert f"summary: {line}" in proc.stdout and markdown_text(line) in (out / "summary.md").read_text()


def test_is_an_import_of_tensorflow_noted_for_the_student(batch):
    _, _, out = batch
    result = json.loads((out / "tom" / "results.json").read_text())
    assert f"line 1: {TF_NOTE}" in result["output"] and result["score"] == 10.37


def test_is_grading_another_batch_into_an_earlier_runs_out_refused(batch, tmp_path):
    _, subs, first = batch
    out = tmp_path / "out"
    shutil.copytree(first, out)
    before = (out / "grades.csv").read_bytes()
    proc = cli("grade", "linear_regression", str(subs / "alice.PY"), "--out", str(out), "--quiet")
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.splitlines()[-1] == (
        f"error: --out {out} holds earlier results of 5 submission(s) not in this run (carol, erin, nina and 2 more); "
        "grades.csv would list this run only - give every submission with --only NAME ... to regrade some, choose a "
        "new --out, or remove the folder first")
    assert (out / "grades.csv").read_bytes() == before


def test_is_nothing_to_grade_an_error_without_an_empty_grades_csv(tmp_path):
    notes = put(tmp_path / "notes.txt", "grading notes")
    proc = cli("grade", "linear_regression", str(notes), "--out", str(tmp_path / "out"), "--quiet")
    assert proc.returncode == 2
    assert proc.stderr.splitlines()[-1] == f"error: no submissions found in {notes} ({ONLY})"
    assert not (tmp_path / "out" / "grades.csv").exists()
