"""``validate --device cuda``: every assignment on one device, in one table.

For each assignment: the reference notebook executed top to bottom (it picks the GPU by itself
when there is one); every part's public cases through check()'s code with their inputs and
expected values moved to the device; the reference solution graded with every case (hidden
ones too) on the device, in the sandbox. ``--device cpu`` runs the same table on the CPU, which
is how CI exercises this code without a GPU.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass

import torch

from .assignment import Assignment


@dataclass
class DeviceRow:
    assignment: str
    notebook: str        # "ok 9.7 s", "FAIL: ...", or "skipped"
    public: str          # "13/13 parts, 20 cases"
    graded: str          # "26/26"
    ok: bool
    warnings: list[str]  # raised by the notebook's cells, "cell 12: UserWarning: ..."


def device_name(device: str) -> str:
    if device == "cuda":
        return f"cuda ({torch.cuda.get_device_name()}), torch {torch.__version__}"
    return f"cpu, torch {torch.__version__}"


def public_on_device(assignment: Assignment, device: str) -> tuple[str, bool]:
    """Every part's public cases, moved to device, run on the reference solution through check()'s code."""
    from .checks.public import graded_functions, load_file, run_part
    move = (lambda t: t.to(device))
    parts = assignment.public_data["parts"]
    loaded = load_file(assignment.release_sources("validate")[0].path, graded_functions(parts))  # as check() would
    passed, cases, failures = 0, 0, []
    for name, part in parts.items():
        verdict = run_part(name, part, loaded, [(f" on {device}", move)])
        cases += len(verdict.cases)
        if verdict.problem is None and all(c.passed for c in verdict.cases):
            passed += 1
        else:
            failures.append(name)
    text = f"{passed}/{len(parts)} parts, {cases} cases" + (f" (failed: {', '.join(failures)})" if failures else "")
    return text, not failures


def graded_on_device(assignment: Assignment, device: str) -> tuple[str, bool]:
    from .grading.grade import grade_submission, make_plan
    from .sandbox.client import Sandbox
    from .sandbox.launch import ZygotePool
    # On the GPU, its children see the grader's GPUs (the zygote never touches them).
    cuda = os.environ.get("CUDA_VISIBLE_DEVICES", "0") if device == "cuda" else ""
    with Sandbox(ZygotePool(assignment.layout, cuda=cuda)) as sandbox:
        plan = make_plan(assignment, device=device)
        result = grade_submission(plan, assignment.release_sources("validate")[0].path, sandbox)
    lost = [p.name for p in result.parts if not p.full_marks]
    text = f"{result.score:g}/{result.max_score:g}" + (f" (lost: {', '.join(lost)})" if lost else "")
    return text, not lost and not result.error


def notebook_on_device(assignment: Assignment) -> tuple[str, bool, list[str]]:
    import nbclient
    from .release.notebook import build_notebook
    from .validate import ValidationFailure, _execute, cell_warnings
    nb = build_notebook(assignment, variant="solution", github_base="validate/validate/blob/main")
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="kit-nb-") as cwd:
        try:
            warnings = _execute(nb, cwd)
        except nbclient.exceptions.CellExecutionError as e:
            return f"FAIL: {str(e).strip().splitlines()[-1][:80]}", False, cell_warnings(nb)
        except ValidationFailure as e:  # the kernel died
            return f"FAIL: {str(e)[:80]}", False, []
    return f"ok {time.perf_counter() - start:.1f} s" + (f", {len(warnings)} warning(s)" if warnings else ""), \
        True, warnings


def device_table(assignments: list[Assignment], device: str, notebooks: bool = True) -> bool:
    """Print the table; True when every cell of it is ok."""
    rows = []
    for assignment in assignments:
        nb_text, nb_ok, warnings = notebook_on_device(assignment) if notebooks else ("skipped", True, [])
        public_text, public_ok = public_on_device(assignment, device)
        graded_text, graded_ok = graded_on_device(assignment, device)
        rows.append(DeviceRow(assignment.id, nb_text, public_text, graded_text, nb_ok and public_ok and graded_ok,
                              warnings))
    print(f"device: {device_name(device)}")
    headers = ("assignment", "reference notebook", "check() on the device", "grader, all cases on the device")
    table = [headers] + [(r.assignment, r.notebook, r.public, r.graded) for r in rows]
    widths = [max(len(line[i]) for line in table) for i in range(4)]
    for line in table:
        print("  ".join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip())
    for row in rows:  # the notebook's own warnings: a device may raise some the CPU does not
        for warning in row.warnings:
            print(f"{row.assignment} reference notebook: warning: {warning}")
    ok = all(r.ok for r in rows)
    print("all ok" if ok else "FAILED")
    return ok
