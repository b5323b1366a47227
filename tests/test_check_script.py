"""The check script a student runs on a .py or .ipynb file (starter_code/check_<id>.py): does it run from
any folder without the kit, print what check() prints, and exit 0 / 1 / 2 for passes / fails / unreadable?"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograder.layout import KIT_LAYOUT
from autograder.release.pipeline import output_files
from autograder.release.setup_cell import packed_sources
from conftest import EXAMPLES
from notebook_session import check_output, run_cell, session

ASSIGNMENT = "linear_regression"
SCRIPT = output_files(KIT_LAYOUT, ASSIGNMENT)["check"]


def run_script(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """python check_<id>.py ARGS in cwd, isolated (no user site, no PYTHONPATH) and with the kit made unimportable."""
    runner = ("import runpy, sys\nsys.modules['autograder'] = None  # the script must not need the kit\n"
              f"sys.argv = [{str(SCRIPT)!r}] + {args!r}\nrunpy.run_path({str(SCRIPT)!r}, run_name='__main__')\n")
    return subprocess.run([sys.executable, "-I", "-c", runner], capture_output=True, text=True, cwd=cwd, timeout=300)


def test_does_the_script_pass_the_reference_solution_from_another_folder(tmp_path):
    (tmp_path / "mine.py").write_text(KIT_LAYOUT.solution_file(ASSIGNMENT).read_text())
    proc = run_script(["mine.py"], tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines()[0] == "predict: all 2 public cases pass. The grader also runs hidden cases."
    assert proc.stdout.rstrip().endswith("6 of 6 functions pass their public checks (the grader also runs hidden cases)")
    assert list(tmp_path.iterdir()) == [tmp_path / "mine.py"]  # it writes nothing


def test_does_the_script_report_a_mistake_as_check_does_and_exit_1(tmp_path):
    example = EXAMPLES / ASSIGNMENT / "bob_forgot_mean.py"
    (tmp_path / "bob.py").write_text(example.read_text())
    proc = run_script(["bob.py", "cost_gradients"], tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    ns = session(ASSIGNMENT)
    run_cell(ns, example.read_text().split("\nif __name__")[0])
    expected = check_output(ns, "cost_gradients")
    # The same report; only the places are named as each names them (a file's line, a kernel's cell).
    assert proc.stdout.replace("line ", "LINE ").split("\n\n")[0] == \
        expected.replace("the cell run as In [2], line ", "LINE ").rstrip("\n")
    assert "did you forget to average over the batch" in proc.stdout


def test_does_the_script_read_a_notebook(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Mine"),
                                         nbformat.v4.new_code_cell(KIT_LAYOUT.solution_file(ASSIGNMENT).read_text())])
    nbformat.write(nb, tmp_path / "mine.ipynb")
    proc = run_script(["mine.ipynb", "predict", "fit_direct"], tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.rstrip().endswith("2 of 2 functions pass their public checks (the grader also runs hidden cases)")


def test_is_an_unreadable_file_one_line_and_exit_2(tmp_path):
    (tmp_path / "broken.ipynb").write_text('{"cells": [')
    proc = run_script(["broken.ipynb"], tmp_path)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr == ("broken.ipynb: the notebook is not valid JSON (Expecting value at line 1, column 12) - was "
                           "it saved completely? Download it again from Colab (File > Download > .ipynb)\n")


@pytest.mark.parametrize("assignment", KIT_LAYOUT.assignment_ids())
def test_does_the_script_carry_what_the_setup_cell_carries(assignment):
    """The same check modules and public cases (one KitCheck): so the release scans the packed modules once."""
    files = output_files(KIT_LAYOUT, assignment)
    script = files["check"].read_text()
    setup = next("".join(c["source"]) for c in nbformat.read(files["notebook"], as_version=4).cells
                 if c["metadata"].get("cellView") == "form")
    assert packed_sources(script) and packed_sources(script) == packed_sources(setup)
    cases = [text.split("_PUBLIC_CASES = str(\n", 1)[1].split("\n)\n", 1)[0] for text in (script, setup)]
    assert cases[0] == cases[1]
