"""``validate``: one assignment end to end, as CI runs it.

1. the reference solution (.py, and its notebook) scores full marks;
2. the starter code scores 0, every part failing as "not implemented", nothing crashing;
3. the reference notebook executes top to bottom in a real Jupyter kernel;
4. the student notebook executes until its first stub, which raises a clear NotImplementedError;
5. the committed generated files are up to date and no student-facing file leaks.
"""

from __future__ import annotations

import re
import tempfile
import time
from pathlib import Path
from typing import Callable

from . import paths
from .assignment import Assignment
from .errors import KitError

NOTEBOOK_TIMEOUT_S = 600


class ValidationFailure(Exception):
    pass


def _step(name: str, fn: Callable[[], str]) -> bool:
    start = time.perf_counter()
    try:
        detail = fn()
    except (ValidationFailure, KitError) as e:
        print(f"  FAIL  {name}: {e}")
        return False
    print(f"  ok    {name}: {detail} ({time.perf_counter() - start:.1f} s)")
    return True


def validate(assignment: Assignment, notebooks: bool = True) -> bool:
    """Run every check for one (loaded) assignment, printing a line each; True when all pass."""
    from .checks import report
    from .checks.verdict import Status
    from .grading.grade import grade_submission, make_plan
    from .release.notebook import build_notebook, notebook_to_json
    from .release.pipeline import release
    from .sandbox.client import Sandbox

    solution, _ = assignment.release_sources("validate")
    name = assignment.id
    with Sandbox() as sandbox, tempfile.TemporaryDirectory(prefix="kit-validate-") as tmp:
        plan = make_plan(assignment)
        print(f"validate {name}")
        reference_nb = Path(tmp) / f"{name}_solution.ipynb"
        reference_nb.write_text(notebook_to_json(build_notebook(assignment, variant="solution",
                                                                github_base="validate/validate/blob/main")))

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
            result = grade_submission(plan, paths.starter_file(name), sandbox)
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
    ok &= _step("generated files up to date, no leaks", lambda: _release_check(name, release))
    if notebooks:
        ok &= _step("reference notebook executes top to bottom", lambda: _run_reference(assignment, build_notebook))
        ok &= _step("student notebook stops at its first stub", lambda: _run_student(name))
    print(f"validate {name}: {'passed' if ok else 'FAILED'}")
    return ok


def _release_check(assignment: str, release: Callable) -> str:
    result = release([assignment], check_only=True)  # the same loaded Assignment: load_assignment caches it
    if result.stale:
        raise ValidationFailure("stale: " + ", ".join(str(p) for p in result.stale) +
                                " - run 'python -m autograder release' and commit the result")
    return "starter code and notebook match the sources"


def _execute(nb, cwd: str):
    import nbclient
    client = nbclient.NotebookClient(nb, timeout=NOTEBOOK_TIMEOUT_S, kernel_name="python3",
                                     resources={"metadata": {"path": cwd}})
    return client.execute()


def _run_reference(assignment: Assignment, build_notebook: Callable) -> str:
    import nbclient
    nb = build_notebook(assignment, variant="solution", github_base="validate/validate/blob/main")
    with tempfile.TemporaryDirectory(prefix="kit-nb-") as cwd:
        try:
            _execute(nb, cwd)
        except nbclient.exceptions.CellExecutionError as e:
            raise ValidationFailure(f"a cell failed: {_plain(str(e)).strip().splitlines()[-1]}") from None
    return f"{len(nb.cells)} cells"


def _plain(text: str) -> str:
    """A kernel's error text without its terminal colour codes."""
    return _ANSI.sub("", text)


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _run_student(assignment: str) -> str:
    import nbclient
    import nbformat
    nb = nbformat.read(paths.notebook_file(assignment), as_version=4)
    with tempfile.TemporaryDirectory(prefix="kit-nb-") as cwd:
        try:
            _execute(nb, cwd)
        except nbclient.exceptions.CellExecutionError as e:
            if e.ename != "NotImplementedError" or "is not implemented yet" not in e.evalue:
                raise ValidationFailure(f"stopped with {e.ename}: {_plain(e.evalue)}") from None
            return f"stopped with NotImplementedError: {e.evalue[:70]}..."
    raise ValidationFailure("the student notebook ran to the end: no stub raised NotImplementedError")
