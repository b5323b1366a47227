"""An instructor's slips never abort a batch: each is one clear line (file and reason), the rest is
graded, and nothing a student reads shows the instructor's folders."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from autograder.grading import collect
from conftest import EXAMPLES, ROOT

LR = EXAMPLES / "linear_regression"


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "autograder", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=600)


def test_is_an_output_folder_that_is_a_file_one_line_before_anything_runs(tmp_path):
    out = tmp_path / "results"
    out.write_text("not a folder")
    proc = cli("grade", "linear_regression", str(LR / "alice_correct.py"), "--out", str(out), "--quiet")
    assert proc.returncode == 2 and proc.stderr.strip() == (
        f"error: --out {out} is a file, not a folder: give a folder for the results (it is created when missing)")


def test_is_a_file_that_is_no_submission_named_and_left_out(tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("grading notes")
    out = tmp_path / "out"
    proc = cli("grade", "linear_regression", str(LR / "alice_correct.py"), str(notes), "--out", str(out), "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert f"{notes}: not graded - not a submission (only .py and .ipynb files are graded)" in proc.stderr
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == ["alice_correct"]


def test_does_an_unreadable_student_folder_cost_only_that_student(tmp_path, monkeypatch):
    for name in ("alice", "bob"):
        (tmp_path / name).mkdir()
        shutil.copy(LR / "alice_correct.py", tmp_path / name / "a1.py")
    real = collect._submission_files

    def unreadable_bob(folder: Path):
        if folder.name == "bob":
            raise PermissionError(13, "Permission denied")
        return real(folder)
    monkeypatch.setattr(collect, "_submission_files", unreadable_bob)
    subs = {s.name: s for s in collect.find_submissions([tmp_path])}
    assert subs["alice"].problem is None
    assert subs["bob"].problem == "the folder bob could not be read (Permission denied); nothing in it was graded"


def test_do_student_pages_never_show_the_instructors_folders(tmp_path):
    deep = tmp_path / "instructor-secret-folder" / "term" / "students"
    deep.mkdir(parents=True)
    (deep / "dave.ipynb").write_text('{"cells": [')
    out = tmp_path / "out"
    proc = cli("grade", "linear_regression", str(deep), "--out", str(out), "--quiet")
    assert proc.returncode == 0, proc.stderr
    for page in ("results.json", "feedback.md", "feedback.html"):
        text = (out / "dave" / page).read_text()
        assert "instructor-secret-folder" not in text and str(tmp_path) not in text, page
    assert "dave.ipynb" in json.loads((out / "dave" / "results.json").read_text())["output"]
