"""Grade many submissions: one warm sandbox per job slot, progress, results on disk as they finish."""

from __future__ import annotations

import queue
import re
import sys
import traceback
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from tqdm import tqdm

from ..errors import KitError
from ..sandbox.client import Sandbox
from .grade import GradingPlan, PartResult, SubmissionResult, grade_submission, make_plan
from .results import write_grades, write_submission

SUBMISSION_SUFFIXES = (".py", ".ipynb")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def collect_submissions(inputs: list[Path]) -> list[tuple[str, Path]]:
    """(stem, file) for every submission named or found in a named folder; clashing stems are an error."""
    files: list[Path] = []
    for item in inputs:
        if item.is_dir():
            found = sorted(p for p in item.rglob("*") if p.is_file() and p.suffix in SUBMISSION_SUFFIXES
                           and not any(part.startswith(".") for part in p.relative_to(item).parts))
            if not found:
                raise KitError(f"no .py or .ipynb submissions in folder {item}")
            files += found
        elif item.is_file():
            files.append(item)
        else:
            raise KitError(f"no such file or folder: {item}")
    by_stem: dict[str, Path] = {}
    for f in files:
        stem = _UNSAFE.sub("_", f.stem) or "submission"
        if stem in by_stem and by_stem[stem].resolve() != f.resolve():
            raise KitError(f"two submissions would both be written to {stem}/: {by_stem[stem]} and {f} - "
                           "rename one of them")
        by_stem[stem] = f
    return sorted(by_stem.items())


def grade_many(assignment: str, submissions: list[tuple[str, Path]], out: Path, jobs: int,
               progress: bool = True) -> tuple[list[tuple[str, SubmissionResult]], list[str]]:
    """Grade every submission; return the results and the grader's own failures (one line each)."""
    slots = max(1, min(jobs, len(submissions)))
    sandboxes: queue.Queue[Sandbox] = queue.Queue()
    # The children must not see the submissions (other students' work) or where results are written.
    hide = tuple(sorted({str(path.resolve().parent) for _, path in submissions} | {str(out.resolve())}))
    started = [Sandbox(slot=i, hide=hide) for i in range(slots)]
    for sb in started:
        sb.start()  # their torch import overlaps ours below
        sandboxes.put(sb)
    failures: list[str] = []
    rows: list[tuple[str, SubmissionResult]] = []
    try:
        plan = make_plan(assignment)
        part_names = [p.spec.name for p in plan.parts]
        report_protections(started[0])
        bar = tqdm(total=len(submissions), unit="sub", file=sys.stderr, disable=not progress or len(submissions) < 2,
                   desc=f"grading {assignment}", dynamic_ncols=True)
        with ThreadPoolExecutor(max_workers=slots) as pool:
            futures = {pool.submit(_grade_one, plan, path, sandboxes): (stem, path) for stem, path in submissions}
            for future in as_completed(futures):
                stem, path = futures[future]
                result, failure = future.result()
                if failure:
                    failures.append(f"{path}: {failure}")
                write_submission(result, out / stem)
                rows.append((stem, result))
                bar.update()
        bar.close()
        write_grades(rows, part_names, out / "grades.csv")
    finally:
        for sb in started:
            sb.close()
    return sorted(rows, key=lambda r: r[0]), failures


def report_protections(sandbox: Sandbox) -> None:
    """One line on stderr when the OS did not allow some protection; grading goes on regardless."""
    sandbox.wait_ready()
    if sandbox.protections_off:
        print("sandbox: these protections are off on this machine: " + "; ".join(sandbox.protections_off),
              file=sys.stderr)


def _grade_one(plan: GradingPlan, path: Path, sandboxes: "queue.Queue[Sandbox]") -> tuple[SubmissionResult, str | None]:
    sandbox = sandboxes.get()
    try:
        return grade_submission(plan, path, sandbox), None
    except Exception as e:  # a bug of ours must not cost the rest of the batch
        detail = traceback.format_exception_only(type(e), e)[-1].strip()
        parts = [PartResult(p.spec.name, 0.0, p.spec.points, f"{p.spec.name}   0 / {p.spec.points:g}\n"
                            "  the grader failed on this submission; your instructor has been told", 0, len(p.cases))
                 for p in plan.parts]
        return SubmissionResult(path, parts, error=f"grader failure: {detail}"), f"grader failure: {detail}"
    finally:
        sandboxes.put(sandbox)
