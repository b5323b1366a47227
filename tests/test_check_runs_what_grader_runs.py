"""Does check(), in a real Jupyter kernel, run what the grader runs: the same statements, the same
namespace, the same default dtype, and say what goes wrong in the grader's words?

One kernel serves the whole module (each test starts a new IPython session in it: empty history and
globals, torch still imported). Each test runs the committed notebook's setup cell and a few cells,
calls check() as a student does, reads check.results, then grades the same cells saved as a notebook
with the grader (public cases) and compares the two verdicts case by case.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograder.assignment import load_assignment
from autograder.grading.grade import grade_submission, make_plan
from autograder.ingest import ingest
from autograder.layout import KIT_LAYOUT
from notebook_session import CellError, Kernel, setup_cell

ASSIGNMENT = "linear_regression"
REFERENCE = ingest(KIT_LAYOUT.solution_file(ASSIGNMENT)).source  # the reference's definitions, as one cell
PREDICT = "def predict(X, w, b):\n    return X @ w + b\n"


@pytest.fixture(scope="module")
def kernel():
    k = Kernel()
    yield k
    k.close()


@pytest.fixture(scope="module")
def public_plan():
    return make_plan(load_assignment(KIT_LAYOUT, ASSIGNMENT), case_sets=("public",))


def run_notebook(kernel: Kernel, cells: list[str | tuple[str, str]]) -> None:
    """A fresh session: the setup cell as In [1], then each cell (text, or (text, cell id))."""
    kernel.reset()
    kernel.run(setup_cell(ASSIGNMENT))
    for cell in cells:
        text, cell_id = cell if isinstance(cell, tuple) else (cell, None)
        kernel.run(text, cell_id=cell_id)


def check(kernel: Kernel, name: str) -> tuple[str, dict]:
    """What check(name) printed, and the verdict it kept in check.results."""
    out = kernel.run(f"check({name!r})")
    verdict = kernel.run(f"import json as _kit_json\nprint(_kit_json.dumps(check.results[{name!r}].to_dict()))")
    return out, json.loads(verdict)


def graded(cells: list[str | tuple[str, str]], name: str, tmp_path: Path, plan, sandbox) -> dict:
    """The grader's verdict (public cases) on the same cells saved as a notebook."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(setup_cell(ASSIGNMENT))] + [
        nbformat.v4.new_code_cell(c[0] if isinstance(c, tuple) else c) for c in cells])
    path = tmp_path / "student.ipynb"
    nbformat.write(nb, path)
    result = grade_submission(plan, path, sandbox)
    return next(p for p in result.parts if p.name == name).to_dict()


def same_verdict(checked: dict, grader: dict) -> None:
    """Case by case the same verdict; places named as each names them ('the cell run as In [3]' / 'cell 3')."""
    def norm(value):
        text = json.dumps(value, sort_keys=True)
        return json.loads(re.sub(r"the cell run as In \[(\d+)\]", r"cell \1", text))
    assert norm(checked["cases"]) == norm(grader["cases"])
    assert norm(checked["problem"]) == norm(grader["problem"]) and checked["status"] == grader["status"]


# --- globals the grader does not take ----------------------------------------------------------------

def test_is_the_setup_cells_device_in_a_graded_function_reported_in_the_graders_words(kernel, tmp_path,
                                                                                      public_plan, sandbox):
    cells = [REFERENCE, "def predict(X, w, b):\n    return (X @ w + b).to(DEVICE)\n"]
    run_notebook(kernel, cells)
    out, verdict = check(kernel, "predict")
    line = next(n for n, text in enumerate(setup_cell(ASSIGNMENT).splitlines(), 1) if text.startswith("DEVICE ="))
    assert (f"uses the global 'DEVICE', assigned at the cell run as In [1], line {line}, which the grader did not "
            "take: it only takes imports, function and class definitions and simple constants") in out
    assert verdict["cases"] and not any(c["status"] == "ok" for c in verdict["cases"])
    same_verdict(verdict, graded(cells, "predict", tmp_path, public_plan, sandbox))


def test_is_a_constant_computed_by_a_call_reported_in_the_graders_words(kernel, tmp_path, public_plan, sandbox):
    cells = [REFERENCE, "ONE = float(1)", "def predict(X, w, b):\n    return (X @ w + b) * ONE\n"]
    run_notebook(kernel, cells)
    out, verdict = check(kernel, "predict")
    assert "uses the global 'ONE', assigned at the cell run as In [3], line 1, which the grader did not take" in out
    same_verdict(verdict, graded(cells, "predict", tmp_path, public_plan, sandbox))


# --- the grader's defaults ---------------------------------------------------------------------------

def test_does_check_run_under_float32_whatever_an_experiment_set(kernel, tmp_path, public_plan, sandbox):
    # Correct under float64 as the default dtype, wrong under the grader's float32: the buffer takes the default.
    cells = [REFERENCE, "torch.set_default_dtype(torch.float64)",
             "def predict(X, w, b):\n    out = torch.zeros(X.shape[0])\n    out += X @ w + b\n    return out\n"]
    run_notebook(kernel, cells)
    assert kernel.run("print(predict(torch.ones(2, 3, dtype=torch.float64), torch.ones(3, dtype=torch.float64), "
                      "torch.tensor(0.5, dtype=torch.float64)).dtype)").strip() == "torch.float64"
    out, verdict = check(kernel, "predict")
    assert any(c["status"] == "wrong shape/dtype/device" for c in verdict["cases"]), out
    same_verdict(verdict, graded(cells, "predict", tmp_path, public_plan, sandbox))
    assert kernel.run("print(torch.get_default_dtype())").strip() == "torch.float64"  # the student's, restored


def test_does_a_timing_decorator_without_wraps_pass_as_the_grader_passes_it(kernel, tmp_path, public_plan, sandbox):
    cells = [REFERENCE, "import time\n\ndef timed(fn):\n    def wrapper(*args, **kwargs):\n"
                        "        start = time.perf_counter()\n        out = fn(*args, **kwargs)\n"
                        "        print(f'{time.perf_counter() - start:.3f} s')\n        return out\n    return wrapper\n",
             "@timed\n" + PREDICT]
    run_notebook(kernel, cells)
    out, verdict = check(kernel, "predict")
    assert out.splitlines()[-1] == "predict: all 2 public cases pass. The grader also runs hidden cases.", out
    grader = graded(cells, "predict", tmp_path, public_plan, sandbox)
    assert grader["score"] == grader["points"]
    same_verdict(verdict, grader)


# --- where the notebook's order may not be the kernel's ----------------------------------------------

WRONG_PREDICT = "def predict(X, w, b):\n    return X @ w\n"


def test_is_a_function_defined_differently_by_two_cells_warned_about(kernel):
    run_notebook(kernel, [REFERENCE, (WRONG_PREDICT, "cell-a"), (PREDICT, "cell-b")])
    out, verdict = check(kernel, "predict")
    first, *rest = out.splitlines()
    assert first.startswith("warning: predict is defined differently by more than one cell you ran (In [3] and "
                            "In [4]); the grader takes the one that comes last in the notebook, which may not be "
                            "the one you ran last (In [4])")
    assert rest == ["predict: all 2 public cases pass. The grader also runs hidden cases."]


def test_is_one_cell_edited_and_run_again_no_warning(kernel):
    run_notebook(kernel, [REFERENCE, (WRONG_PREDICT, "cell-a"), (PREDICT, "cell-a")])
    out, _ = check(kernel, "predict")
    assert not out.startswith("warning")


def test_is_a_cell_edited_and_not_run_again_warned_about_from_the_saved_notebook(kernel):
    run_notebook(kernel, [REFERENCE, PREDICT])
    saved = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in
                                            (setup_cell(ASSIGNMENT), REFERENCE, WRONG_PREDICT)])
    path = Path(kernel.cwd) / "student.ipynb"
    nbformat.write(saved, path)
    kernel.run(f"import os\nos.environ['JPY_SESSION_NAME'] = {str(path)!r}")
    try:
        out, _ = check(kernel, "predict")
    finally:
        kernel.run("del os.environ['JPY_SESSION_NAME']")
    assert out.startswith("warning: cell 3 of the notebook as last saved defines predict differently from what "
                          "you ran last - edited and not run again, or not saved since?"), out


def test_does_a_stub_stop_the_notebook_with_the_usual_message(kernel):
    run_notebook(kernel, ["def predict(X, w, b):\n    raise NotImplementedError('predict is not implemented yet')\n"])
    with pytest.raises(CellError) as e:
        kernel.run("check('predict')")
    assert e.value.ename == "NotImplementedError" and "predict is not implemented yet: write your code" in e.value.evalue


# --- no notebook -------------------------------------------------------------------------------------

def test_does_check_outside_a_notebook_say_so_and_point_at_the_check_script(tmp_path):
    script = tmp_path / "setup.py"
    script.write_text(setup_cell(ASSIGNMENT) + "\n" + PREDICT + "\ncheck('predict')\nprint(check.results)\n")
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert ("check() runs only in a notebook (Colab or Jupyter): it reads the cells you ran from the notebook's "
            "history, as the grader reads your notebook's cells. To check a .py file, run: python "
            "check_linear_regression.py YOUR_FILE.py") in proc.stdout
    assert proc.stdout.rstrip().endswith("{}")  # no verdict: nothing was run that was not verified
