"""Grade many submissions: one warm sandbox per job slot, progress, results on disk as they finish.

A rerun can be narrowed: ``only`` (done by the caller, by choosing the submissions) rewrites
just those students' folders, and ``parts`` reruns just those parts, keeping every other
part's entry from the earlier result. Either way grades.csv is rebuilt from every result in
the folder, so the rows of students not regraded stay as they were.
"""

from __future__ import annotations

import queue
import sys
import traceback
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from pathlib import Path

from tqdm import tqdm

from ..sandbox.client import Sandbox, start_group
from ..spec import load_spec
from . import regrade
from .collect import SUBMISSION_SUFFIXES, Submission, collect_submissions, find_submissions  # noqa: F401 (re-exported)
from .grade import GradingPlan, SubmissionResult, grade_submission, make_plan, unreadable
from .results import write_grades, write_submission


def grade_many(assignment: str, submissions: list[tuple[str, Path]] | list[Submission], out: Path, jobs: int,
               progress: bool = True, *, parts: list[str] | None = None,
               keep_others: bool = False, workers: list[Sandbox] | None = None, device: str = "cpu",
               hidden_details: bool = False) -> tuple[list[tuple[str, SubmissionResult]], list[str]]:
    """Grade every submission; return the results and the grader's own failures (one line each).

    parts: rerun only these parts, keeping the others from each submission's earlier result in out
    (a submission without one, or whose earlier result is 'not graded', gets every part graded).
    keep_others: grades.csv lists every result in out, not only this run's (implied by parts).
    workers: sandboxes started earlier with start_workers (they are closed here); default: new ones.
    device: where every case's inputs and expected values live ("cuda": the children compute on the GPU).
    hidden_details: results.json and the feedback pages show the hidden cases' details (after the due date).
    """
    subs = [s if isinstance(s, Submission) else Submission(s[0], Path(s[1])) for s in submissions]
    slots = max(1, min(jobs, len(subs)))
    sandboxes: queue.Queue[Sandbox] = queue.Queue()
    # The worker is a fresh interpreter whatever this process holds; started first, its torch
    # import overlaps with reading the assignment. Its children see an allowlisted root only.
    started = list(workers) if workers else start_workers(slots, _hidden(subs, out))
    for sb in started:
        sandboxes.put(sb)
    failures: list[str] = []
    rows: list[tuple[str, SubmissionResult]] = []
    try:
        part_names = [p.name for p in load_spec(assignment).parts]
        if parts:
            regrade.check_parts(parts, part_names, assignment)
        earlier = {s.name: regrade.read_record(out / s.name) for s in subs} if parts else {}
        for name in sorted(n for n, r in earlier.items() if r is None or r.error):
            why = "no earlier result" if earlier[name] is None else "it was not graded before"
            print(f"{name}: every part graded ({why} to keep parts from)", file=sys.stderr)
        plan = make_plan(assignment, device=device)
        partial = plan.only(parts) if parts else None
        report_protections(started[0])
        bar = tqdm(total=len(subs), unit="sub", file=sys.stderr, disable=not progress or len(subs) < 2,
                   desc=f"grading {assignment}", dynamic_ncols=True)
        with ThreadPoolExecutor(max_workers=slots) as pool:
            futures: dict[Future, Submission] = {}
            for sub in subs:
                previous = earlier.get(sub.name)
                sub_plan = partial if partial is not None and previous is not None and not previous.error else plan
                futures[pool.submit(_grade_one, sub_plan, sub, sandboxes)] = sub
            for future in as_completed(futures):
                sub = futures[future]
                result, failure = future.result()
                if failure:
                    failures.append(f"{sub.path}: {failure}")
                if parts and earlier.get(sub.name) is not None:
                    result = regrade.merge_parts(earlier[sub.name], result, parts, part_names)
                write_submission(result, out / sub.name, hidden_details)
                regrade.write_record(result, out / sub.name)
                rows.append((sub.name, result))
                bar.update()
        bar.close()
        everyone = {**regrade.results_in(out, part_names), **dict(rows)} if parts or keep_others else dict(rows)
        write_grades(list(everyone.items()), part_names, out / "grades.csv")
    finally:
        for sb in started:
            sb.close()
    return sorted(rows, key=lambda r: r[0]), failures


def start_workers(count: int, hide: tuple[str, ...]) -> list[Sandbox]:
    """Start count sandbox workers (one fresh zygote serving them all) that will not see the folders in hide.

    Call it early: the zygote imports torch while the grader reads the assignment.
    """
    workers = [Sandbox(slot=i, hide=hide) for i in range(max(1, count))]
    start_group(workers)  # one fresh zygote for all of them
    return workers


def folders_to_hide(inputs: list[Path], out: Path) -> tuple[str, ...]:
    """From the command line alone: the submission folders (a file's folder) and the results folder."""
    return _outermost({(p if p.is_dir() else p.parent) for p in inputs} | {out})


def _hidden(subs: list[Submission], out: Path) -> tuple[str, ...]:
    """The folders holding the submissions, and out."""
    return _outermost({(s.folder.parent if s.folder else s.path.parent) for s in subs} | {out})


def _outermost(folders: set[Path]) -> tuple[str, ...]:
    """The folders, resolved, without any that lies inside another (covering the outer one covers it)."""
    resolved = {f.resolve() for f in folders}
    return tuple(sorted(str(f) for f in resolved if not any(o != f and o in f.parents for o in resolved)))


def report_protections(sandbox: Sandbox) -> None:
    """One line on stderr when the OS did not allow some protection; grading goes on regardless."""
    sandbox.wait_ready()
    if sandbox.protections_off:
        print("sandbox: these protections are off on this machine: " + "; ".join(sandbox.protections_off),
              file=sys.stderr)


def _grade_one(plan: GradingPlan, sub: Submission,
               sandboxes: "queue.Queue[Sandbox]") -> tuple[SubmissionResult, str | None]:
    failure = None
    if sub.problem:  # nothing to run: no sandbox needed
        result = unreadable(plan, sub.path, sub.problem)
    else:
        sandbox = sandboxes.get()
        try:
            result = grade_submission(plan, sub.path, sandbox)
        except Exception as e:  # a bug of ours must not cost the rest of the batch
            failure = "grader failure: " + traceback.format_exception_only(type(e), e)[-1].strip()
            result = unreadable(plan, sub.path, "the grader failed on this submission; your instructor has been told",
                                failure)
            result.grader_failed = True
        finally:
            sandboxes.put(sandbox)
    result.notes[:0] = [n for n in sub.notes if n not in result.notes]
    return result, failure
