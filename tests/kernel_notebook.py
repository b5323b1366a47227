"""A student's notebook run as Colab runs it: a real Jupyter kernel (nbclient), the committed
notebook's setup cell first, then the student's own cells, then one cell that calls check() on
every graded part and prints what check() found as JSON.

The corpus (tests/agreement/<assignment>/<name>.py) holds students' code as notebook cells
separated by lines ``# %%``; its first lines say what the file is:

    # expect: correct
    # expect: mistake <part>: <what is wrong>      (one line per affected part)
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from autograder.layout import KIT_LAYOUT

SUMMARY_MARK = "KIT-AGREEMENT-SUMMARY "
CELL_TIMEOUT_S = 300
_SEPARATOR = re.compile(r"^# %%.*$", re.MULTILINE)
_EXPECT = re.compile(r"^# expect:\s*(correct|mistake)\s*(?:(\w+)\s*:\s*(.*))?$")


class KernelUnavailable(Exception):
    """No Jupyter kernel running this test's interpreter could be started."""


class CellFailed(Exception):
    """A cell of the notebook raised (a corpus file that does not run, or a setup cell that breaks)."""


# --- the corpus ---------------------------------------------------------------------------------

@dataclass
class CorpusFile:
    path: Path
    assignment: str
    correct: bool
    mistakes: dict[str, str] = field(default_factory=dict)  # part -> what is wrong with it
    cells: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.assignment}/{self.path.stem}"


def read_corpus(path: Path) -> CorpusFile:
    """One corpus file: its expectation lines and its cells (the expectation lines are left out)."""
    text = path.read_text()
    lines = text.splitlines()
    correct, mistakes, header = None, {}, 0
    for line in lines:
        m = _EXPECT.match(line.strip())
        if not m:
            break
        header += 1
        if m.group(1) == "correct":
            correct = True
        else:
            if not m.group(2):
                raise ValueError(f"{path}: '# expect: mistake' needs '<part>: <what>'")
            correct = False
            mistakes[m.group(2)] = m.group(3).strip()
    if correct is None:
        raise ValueError(f"{path}: the first line must be '# expect: correct' or '# expect: mistake <part>: <what>'")
    body = "\n".join(lines[header:])
    cells = [c.strip("\n") for c in _SEPARATOR.split(body)]
    cells = [c for c in cells if c.strip()]
    if not cells:
        raise ValueError(f"{path}: no cells")
    return CorpusFile(path, path.parent.name, correct, mistakes, cells)


# --- the notebook --------------------------------------------------------------------------------

def setup_cell(assignment: str) -> str:
    """The committed notebook's setup cell, as the student runs it."""
    nb = json.loads(KIT_LAYOUT.notebook_file(assignment).read_text())
    for cell in nb["cells"]:
        source = "".join(cell["source"])
        if cell["cell_type"] == "code" and source.startswith("#@title Setup"):
            return source
    raise LookupError(f"notebooks/{assignment}.ipynb has no '#@title Setup' cell")


def check_cell(parts: list[str]) -> str:
    """check(name) on every graded part, as a student runs it, then one JSON line with what it found.

    check.results[name] is the verdict check() keeps of its last run for name (a PartVerdict).
    TEMPORARY FALLBACK: while the setup cell's check() has no .results, the text check() printed
    is passed on instead and parse_check_text() reads the verdict out of it.
    """
    return f"""# Check every graded function (one block: the grader takes nothing from this cell).
if True:
    import contextlib as _kit_contextlib, io as _kit_io, json as _kit_json, sys as _kit_sys
    _kit_summary = {{"kernel": {{"prefix": _kit_sys.prefix, "executable": _kit_sys.executable}}, "parts": {{}}}}
    for _kit_name in {parts!r}:
        _kit_out, _kit_error = _kit_io.StringIO(), None
        try:
            with _kit_contextlib.redirect_stdout(_kit_out):
                check(_kit_name)
        except Exception as _kit_e:
            _kit_error = f"{{type(_kit_e).__name__}}: {{_kit_e}}"
        print(_kit_out.getvalue(), end="")
        _kit_results = getattr(check, "results", None)
        _kit_v = _kit_results.get(_kit_name) if _kit_results is not None else None
        _kit_summary["parts"][_kit_name] = {{
            "has_results": _kit_results is not None,
            "verdict": None if _kit_v is None else {{
                "status": _kit_v.status.value if _kit_v.status is not None else None,
                "passed": _kit_v.passed, "total": _kit_v.total, "problem": _kit_v.problem,
                "cases": [[_c.label, _c.passed] for _c in getattr(_kit_v, "cases", ())]}},
            "text": _kit_out.getvalue(), "error": _kit_error}}
    print({SUMMARY_MARK!r} + _kit_json.dumps(_kit_summary))
"""


def build_notebook(assignment: str, cells: list[str], parts: list[str]) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    nb.metadata["language_info"] = {"name": "python"}
    nb.cells = ([nbformat.v4.new_code_cell(setup_cell(assignment))]
                + [nbformat.v4.new_code_cell(c) for c in cells]
                + [nbformat.v4.new_code_cell(check_cell(parts))])
    return nb


# --- the kernel ----------------------------------------------------------------------------------

_KERNEL_DIRS: dict[str, str] = {}


def _runs_this_interpreter(argv0: str) -> bool:
    # jupyter_client starts sys.executable for a spec whose argv[0] is python / python3 / python3.X.
    if argv0 in {"python", f"python{sys.version_info[0]}", "python%i.%i" % sys.version_info[:2]}:
        return True
    return os.path.abspath(argv0) == os.path.abspath(sys.executable)


def kernel_manager():
    """A kernel manager for KIT_KERNEL (default python3) that runs this test's own interpreter.

    If python3 names another interpreter (a system-wide kernelspec), a kernelspec for
    sys.executable is written to a temporary kernel folder and used instead. A KIT_KERNEL that
    names another interpreter, or a kernel that does not exist, is an error (never a skip).
    """
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
    from jupyter_client.manager import AsyncKernelManager

    name = os.environ.get("KIT_KERNEL", "python3")
    ksm = KernelSpecManager()
    try:
        spec = ksm.get_kernel_spec(name)
    except NoSuchKernel:
        spec = None
    if spec is None or not spec.argv or not _runs_this_interpreter(spec.argv[0]):
        if "KIT_KERNEL" in os.environ:
            found = "does not exist" if spec is None else f"runs {spec.argv[0]!r}"
            raise KernelUnavailable(f"KIT_KERNEL={name!r} {found}, not this test's interpreter {sys.executable}; "
                                    "unset KIT_KERNEL or install a kernelspec for this interpreter "
                                    f"({sys.executable} -m ipykernel install --user --name {name})")
        if name not in _KERNEL_DIRS:
            folder = Path(tempfile.mkdtemp(prefix="kit-kernels-"))
            (folder / name).mkdir()
            (folder / name / "kernel.json").write_text(json.dumps({
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": f"Python ({sys.executable})", "language": "python"}))
            _KERNEL_DIRS[name] = str(folder)
        ksm = KernelSpecManager(kernel_dirs=[_KERNEL_DIRS[name]])
    return AsyncKernelManager(kernel_name=name, kernel_spec_manager=ksm)


def execute(nb: nbformat.NotebookNode, cwd: Path) -> None:
    """Run every cell in a fresh kernel started in cwd, outputs kept in nb (as a student saves it).

    The kernel sees no GPU: check() then runs each public case once, as the grader (on the CPU) does.
    """
    import nbclient
    from nbclient.exceptions import CellExecutionError

    km = kernel_manager()
    client = nbclient.NotebookClient(nb, km=km, timeout=CELL_TIMEOUT_S, startup_timeout=120,
                                     resources={"metadata": {"path": str(cwd)}})
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}
    env.pop("JPY_PARENT_PID", None)
    try:
        # cleanup_kc: shut the kernel down afterwards (nbclient keeps a kernel it was handed alive).
        client.execute(env=env, cleanup_kc=True)
    except CellExecutionError as e:
        raise CellFailed(str(e)) from None
    except Exception as e:  # the kernel did not start, or died
        raise KernelUnavailable(f"the Jupyter kernel failed: {type(e).__name__}: {e}") from e
    finally:
        if km.has_kernel:  # a kernel that failed half-way
            from jupyter_core.utils import run_sync
            run_sync(km.shutdown_kernel)(now=True)


def summary(nb: nbformat.NotebookNode) -> dict[str, Any]:
    """What the last cell printed: {"kernel": {...}, "parts": {name: {...}}}."""
    for output in nb.cells[-1].get("outputs", []):
        if output.get("output_type") == "stream" and output.get("name") == "stdout":
            for line in output.get("text", "").splitlines():
                if line.startswith(SUMMARY_MARK):
                    return json.loads(line[len(SUMMARY_MARK):])
    raise CellFailed("the check cell printed no summary")


# TEMPORARY FALLBACK (remove once every committed setup cell's check() keeps check.results):
# check()'s printed report (autograder/checks/report.py: check_report) read back into a verdict.
_ALL_PASS = re.compile(r"^(\w+): (?:all (\d+) public cases pass|the public case passes)\.")
_HEADER = re.compile(r"^(\w+)   (?:(\d+)/(\d+) cases passed|not run)\s*$")
_RULES = "breaks the assignment's rules"


def parse_check_text(name: str, text: str) -> dict[str, Any]:
    """The verdict in check(name)'s report; the student's own prints (progress, timings) may surround it."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        m = _ALL_PASS.match(line)
        if m and m.group(1) == name:
            n = int(m.group(2) or 1)
            return {"status": None, "passed": n, "total": n, "problem": None}
        m = _HEADER.match(line)
        if m and m.group(1) == name:
            passed, total = (int(m.group(2)), int(m.group(3))) if m.group(2) else (0, 0)
            problem = None
            nxt = lines[i + 1] if i + 1 < len(lines) else ""
            if nxt.startswith("  ") and not re.match(r"  (case |hidden case |hint: |\.\.\. )", nxt):
                problem = nxt.strip()
            status = "rule broken" if problem and problem.startswith(_RULES) else None
            return {"status": status, "passed": passed, "total": total, "problem": problem}
    raise ValueError(f"cannot find check({name!r})'s report in what it printed: {text[:300]!r}")
