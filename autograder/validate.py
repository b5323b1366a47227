"""``validate``: one assignment end to end, as CI runs it.

1. the reference solution (.py, and its notebook) scores full marks;
2. the starter code scores 0, every part failing as "not implemented", nothing crashing;
3. the reference notebook executes top to bottom in a real Jupyter kernel;
4. the student notebook executes until its first stub, which raises a clear NotImplementedError;
5. the committed generated files are up to date and no student-facing file leaks.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Union

from .assignment import Assignment
from .errors import KitError

if TYPE_CHECKING:  # nbformat is imported by the steps that use it, not at start-up
    from nbformat import NotebookNode

NOTEBOOK_TIMEOUT_S = 600


class ValidationFailure(Exception):
    pass


# A step's detail, or its detail and lines to show under it (the warnings a notebook's cells raised).
Detail = Union[str, tuple[str, list[str]]]


def _step(name: str, fn: Callable[[], Detail]) -> bool:
    start = time.perf_counter()
    try:
        detail = fn()
    except (ValidationFailure, KitError) as e:
        print(f"  FAIL  {name}: {e}")
        return False
    detail, notes = detail if isinstance(detail, tuple) else (detail, [])
    print(f"  ok    {name}: {detail} ({time.perf_counter() - start:.1f} s)")
    for note in notes:
        print(f"          {note}")
    return True


def validate(assignment: Assignment, notebooks: bool = True) -> bool:
    """Run every check for one (loaded) assignment, printing a line each; True when all pass."""
    from .checks import report
    from .checks.verdict import Status
    from .grading.grade import grade_submission, make_plan
    from .release.notebook import build_notebook, notebook_to_json
    from .release.pipeline import release
    from .sandbox.client import Sandbox
    from .sandbox.launch import ZygotePool

    solution, _ = assignment.release_sources("validate")
    name = assignment.id
    with Sandbox(ZygotePool(assignment.layout)) as sandbox, tempfile.TemporaryDirectory(prefix="kit-validate-") as tmp:
        plan = make_plan(assignment)
        print(f"validate {name}")
        reference_nb = Path(tmp) / f"{name}_solution.ipynb"
        # Built once: graded from this file here, executed below (after the file is written, so in place).
        reference = build_notebook(assignment, variant="solution", github_base="validate/validate/blob/main")
        reference_nb.write_text(notebook_to_json(reference))

        def full_marks(path: Path) -> Callable[[], str]:
            def run() -> str:
                result = grade_submission(plan, path, sandbox)
                lost = [f"{p.name} {p.score:g}/{p.points:g}: " + "\n".join(report.part_report(p, show_hidden=True))
                        for p in result.parts if not p.full_marks]
                if result.error or lost:
                    raise ValidationFailure(result.error or "; ".join(lost))
                return f"{result.score:g}/{result.max_score:g}"
            return run

        def zero_marks() -> str:
            result = grade_submission(plan, assignment.layout.starter_file(name), sandbox)
            if result.error:
                raise ValidationFailure(result.error)
            bad = [p for p in result.parts
                   if p.score != 0 or not p.cases or any(c.status is not Status.NOT_IMPLEMENTED for c in p.cases)]
            if bad:
                raise ValidationFailure(f"{bad[0].name}: expected 0 and every case 'not implemented yet', got:\n"
                                        + "\n".join(report.part_report(bad[0], show_hidden=True)))
            return f"0/{result.max_score:g}, every part 'not implemented yet'"

        ok = _step("reference solution scores full marks", full_marks(solution.path))
        ok &= _step("reference notebook scores full marks", full_marks(reference_nb))
        ok &= _step("starter code scores 0 without crashing", zero_marks)
    ok &= _step("generated files up to date, no leaks", lambda: _release_check(assignment, release))
    if notebooks:
        ok &= _step("reference notebook executes top to bottom", lambda: _run_reference(reference))
        ok &= _step("student notebook stops at its first stub",
                    lambda: _run_student(assignment.layout.notebook_file(name)))
    print(f"validate {name}: {'passed' if ok else 'FAILED'}")
    return ok


def _release_check(assignment: Assignment, release: Callable) -> str:
    # the same loaded Assignment: load_assignment caches it
    result = release(assignment.layout, [assignment.id], check_only=True)
    if result.stale:
        raise ValidationFailure("stale: " + ", ".join(str(p) for p in result.stale) +
                                " - run 'python -m autograder release' and commit the result")
    return "starter code and notebook match the sources"


def _execute(nb, cwd: str) -> list[str]:
    """Run ``nb`` top to bottom (in place) in a fresh python3 kernel working in ``cwd``; the warnings its
    cells raised, one line each ("cell 12: UserWarning: ...").

    Everything the notebook's code writes (warnings, fd-level writes of torch's C++ or a subprocess) comes
    back in its cells' outputs, which ipykernel captures. What the kernel process itself writes to its
    stdout and stderr is its machinery's (the transport, the debugger, the event loop): that goes to a log, shown only
    when the kernel dies. Two such notices are removed at their source besides: the TCP one (the kernel
    listens on Unix sockets in a private folder instead, where the OS has them) and debugpy's about frozen
    modules."""
    import nbclient
    from jupyter_client import AsyncKernelManager
    with tempfile.TemporaryDirectory(prefix="kit-kernel-") as own:
        log_path = Path(own) / "kernel.log"
        ipc = os.name == "posix"
        km = AsyncKernelManager(kernel_name="python3", transport="ipc" if ipc else "tcp",
                                **({"ip": str(Path(own) / "kernel")} if ipc else {}))
        client = nbclient.NotebookClient(nb, km=km, timeout=NOTEBOOK_TIMEOUT_S, kernel_name="python3",
                                         resources={"metadata": {"path": cwd}})
        env = {**os.environ, "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
        with log_path.open("w") as log:
            try:
                client.execute(env=env, stdout=log, stderr=log)
            except nbclient.exceptions.DeadKernelError:
                said = [ln for ln in log_path.read_text(errors="replace").splitlines() if ln.strip()]
                raise ValidationFailure("the kernel died" + (f"; it last wrote: {said[-1]}" if said else "")) from None
    return cell_warnings(nb)


# How warnings.showwarning writes one: "FILE:LINE: CATEGORY: MESSAGE" (then the source line, indented).
_WARNING = re.compile(r"^\S.*?:\d+: ([A-Za-z_]\w*Warning): (.*)$")


def cell_warnings(nb) -> list[str]:
    """The warnings in a run notebook's stderr outputs, "cell N: Category: message", each once."""
    found: list[str] = []
    for number, cell in enumerate(nb.cells, start=1):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                for line in _plain(output.get("text", "")).splitlines():
                    match = _WARNING.match(line)
                    if match and f"cell {number}: {match[1]}: {match[2]}" not in found:
                        found.append(f"cell {number}: {match[1]}: {match[2]}")
    return found


def _run_reference(nb: NotebookNode) -> Detail:
    import nbclient
    with tempfile.TemporaryDirectory(prefix="kit-nb-") as cwd:
        try:
            warnings = _execute(nb, cwd)
        except nbclient.exceptions.CellExecutionError as e:
            raise ValidationFailure(f"{_failed_cell(nb)} failed: {_plain(str(e)).strip().splitlines()[-1]}") from None
    return _with_warnings(f"{len(nb.cells)} cells", warnings)


def _failed_cell(nb) -> str:
    """'cell N (its first line)' of the cell whose run raised, to find it in notebook.py; 'a cell' if none says so."""
    for number, cell in enumerate(nb.cells, start=1):
        if any(output.get("output_type") == "error" for output in cell.get("outputs", [])):
            first = next((line.strip() for line in cell.get("source", "").splitlines() if line.strip()), "")
            return f"cell {number} ({first[:60]!r})" if first else f"cell {number}"
    return "a cell"


def _with_warnings(detail: str, warnings: list[str]) -> Detail:
    if not warnings:
        return detail
    return f"{detail}, {len(warnings)} warning(s) raised by its cells", [f"warning: {w}" for w in warnings]


def _plain(text: str) -> str:
    """A kernel's error text without its terminal colour codes."""
    return _ANSI.sub("", text)


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _run_student(notebook: Path) -> Detail:
    import nbclient
    import nbformat
    nb = nbformat.read(notebook, as_version=4)
    with tempfile.TemporaryDirectory(prefix="kit-nb-") as cwd:
        try:
            _execute(nb, cwd)
        except nbclient.exceptions.CellExecutionError as e:
            if e.ename != "NotImplementedError" or "is not implemented yet" not in e.evalue:
                raise ValidationFailure(f"stopped with {e.ename}: {_plain(e.evalue)}") from None
            return _with_warnings(f"stopped with NotImplementedError: {e.evalue[:70]}...", cell_warnings(nb))
    raise ValidationFailure("the student notebook ran to the end: no stub raised NotImplementedError")
