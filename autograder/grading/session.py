"""One grading run over a batch: the single home of `grade`, the Gradescope run and each shard.

``start()`` does, in this order, what must happen before any student's code runs:

1. the sandbox's zygote starts: a fresh interpreter that knows only the folders it must hide
   (the submissions' and the results'), so nothing the grader reads later is in its memory;
   its torch import overlaps with the next steps;
2. the plan: the assignment's checks and hidden cases are read and every expected value computed,
   once, in this (trusted) process;
3. the submissions are found, and narrowed by ``--only`` and ``--shard``;
4. (in ``run()``) the trusted workers are forked, one per sandbox slot (one for ``--jobs 1`` too): each
   starts with the plan and the list, grades whole submissions and writes each student's files itself;
   one that takes longer than the deadline on a submission is stopped (a grader failure for it alone).

The grader's own process then only hands out submission numbers and keeps a ScoreRow of each;
when all are in, it writes what spans the batch (grades.csv, summary.md, shard.json).
"""

from __future__ import annotations

import gc
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from tqdm import tqdm

from ..errors import KitError
from ..layout import Layout
from ..sandbox.isolation import set_dumpable
from ..sandbox.launch import ZygotePool
from ..sandbox.protections import BelowFloor, SandboxReport
from .collect import ONLY_PY_AND_IPYNB, Submission, find_submissions
from .options import GradingOptions
from .scores import Graded, ScoreRow
from .shards import ShardManifest, grading_digest, listing_digest
from .workers import WorkerPool

# Nothing above imports torch: the zygote starts first, and its torch import overlaps with ours
# (task.py, which needs torch, is imported once the zygote is on its way).
if TYPE_CHECKING:
    from ..sandbox.client import Sandbox
    from .summary import BatchSummary
    from .task import SubmissionTask

SLOTS_PER_ZYGOTE = 4  # measured (2 cores): a zygote spends ~5 ms a child, a slot (two per core) ~70 ms a submission


class _Progress(tqdm):
    """The batch's bar, without tqdm's monitor: a thread, and a worker forked to replace a dead one must come
    from a process without threads."""

    monitor_interval = 0


@dataclass
class BatchOutcome:
    part_names: list[str]
    rows: list[ScoreRow]                 # this run's, by name
    failures: list[str]                  # the grader's own failures, one line each
    batch: list[ScoreRow]                # every result in out now: what grades.csv lists
    summary: BatchSummary | None         # when the batch has more than one submission
    notes: list[str] = field(default_factory=list)  # lines for the instructor (regrading decisions)


class GradingSession:
    """Grade a batch: ``with GradingSession(...) as s: s.start(); outcome = s.run()``."""

    def __init__(self, layout: Layout, assignment: str, out: Path, options: GradingOptions, *,
                 inputs: list[Path] | None = None, submissions: list[Submission] | None = None) -> None:
        """layout: the course's; inputs: files and folders as given on the command line; or submissions, found
        already."""
        if (inputs is None) == (submissions is None):
            raise ValueError("give inputs or submissions")
        self.layout, self.assignment, self.out, self.options = layout, assignment, out, options
        self.inputs, self.submissions = inputs, submissions or []
        self.skipped: list[str] = []        # inputs that are no submission, one line each
        self.sandbox: SandboxReport | None = None  # what the sandbox holds on this host (measured at start)
        self.total = 0                      # submissions found, before --only and --shard
        self.task: SubmissionTask | None = None
        self._pool: ZygotePool | None = None
        self._sandboxes: list[Sandbox] = []

    def start(self) -> None:
        """Everything before the first submission, in the order that keeps the sandbox clean."""
        try:
            set_dumpable(False)  # no process of our user (a student's left behind) may read our memory or environment
            # 1. The zygote: a fresh interpreter told only which folders to hide.
            given = self.inputs if self.inputs is not None else [s.folder or s.path for s in self.submissions]
            hide = _outermost({(p if p.is_dir() else p.parent) for p in given} | {self.out})
            # The children see the grader's GPUs; the zygote never touches them.
            cuda = os.environ.get("CUDA_VISIBLE_DEVICES", "0") if self.options.device == "cuda" else ""
            self._pool = pool = ZygotePool(self.layout, hide, cuda)
            slots = list(range(max(1, self.options.jobs)))
            # One zygote forks every child of its slots, one at a time: more slots than it can serve would
            # make it the batch's bottleneck (a fork of a process holding torch costs ~10-30 ms of its CPU).
            for i in range(0, len(slots), SLOTS_PER_ZYGOTE):
                pool.start(slots[i:i + SLOTS_PER_ZYGOTE])
            # 2. The plan: checks, hidden cases and every expected value, in this trusted process.
            from .task import SubmissionTask
            self.task = SubmissionTask.planned(self.layout, self.assignment, self.out, self.options)
            # 3. The submissions.
            self._find_submissions()
            self.task.take(self.submissions)
            # The slots: a sandbox on each of the zygotes' sockets; the first says which protections hold here.
            from ..sandbox.client import Sandbox
            self._sandboxes = [Sandbox(pool, slot) for slot in slots]
            self.sandbox = report = self._sandboxes[0].wait_ready()
            # Fail closed: below the floor no student code runs, unless the instructor said so.
            if not report.floor_held and not self.options.allow_weak_sandbox:
                raise BelowFloor(report)
        except BaseException:
            self.close()
            raise

    def _find_submissions(self) -> None:
        if self.inputs is not None:
            found = find_submissions(self.inputs, self.assignment, self.skipped)
            # --out inside a submissions folder: an earlier run's results are no student's submission.
            out = self.out.resolve()
            self.submissions = [s for s in found if out != (s.folder or s.path).resolve()]
            if len(self.submissions) < len(found):
                self.skipped.append(f"{self.out}: not graded - it is the results folder (--out)")
            if not self.submissions:  # an empty grades.csv and exit 0 would read as a batch graded
                given = ", ".join(str(p) for p in self.inputs[:3]) + (" ..." if len(self.inputs) > 3 else "")
                raise KitError(f"no submissions found in {given} ({ONLY_PY_AND_IPYNB})")
        self._listing = listing_digest([s.name for s in self.submissions])
        self.total = len(self.submissions)
        if self.options.only:
            check_only(list(self.options.only), [s.name for s in self.submissions])
            self.submissions = [s for s in self.submissions if s.name in self.options.only]
        if self.options.shard is not None:
            self.submissions = [s for s in self.submissions if self.options.shard.takes(s.name)]
        if self.inputs is not None and not self.options.regrading:  # (a Gradescope run grades into a fresh folder)
            check_earlier_run(self.out, [s.name for s in self.submissions])

    def run(self) -> BatchOutcome:
        """4. The workers, forked now with the plan and the list; the batch's own files once all are in."""
        from ..sandbox.client import Sandbox
        task, zygotes = self._started
        rows: list[ScoreRow] = []
        failures: list[str] = []
        slots = self._sandboxes[:max(1, min(len(self._sandboxes), len(self.submissions)))]
        task.before_fork(len(slots))  # what the workers would each compute or import on demand, once here
        # What the workers inherit stays shared: their collections must not touch (and so copy) it. (No collection
        # first: ~0.1 s of the batch's start, to free what little garbage there is.)
        gc.freeze()
        pool = WorkerPool(task, slots, task.setup, lambda slot: Sandbox(zygotes, slot), self.deadline_s)
        bar: _Progress | None = None  # drawn from the first result: a batch whose workers cannot start prints only why

        def done(report: Graded) -> None:
            nonlocal bar
            if bar is None:
                bar = _Progress(total=len(self.submissions), unit="sub", file=sys.stderr, dynamic_ncols=True,
                                disable=not self.options.progress or len(self.submissions) < 2,
                                desc=f"grading {self.assignment}")
            rows.append(report.row)
            if report.failure:
                failures.append(f"{self.submissions[report.index].path}: {report.failure}")
            bar.update()

        try:
            pool.run(list(range(len(self.submissions))), done, lambda index, why: done(task.lost(index, why)))
        finally:
            gc.unfreeze()  # the workers are gone: nothing is shared any more
            if bar is not None:
                bar.close()
        rows.sort(key=lambda r: r.name)
        batch, summary = task.write_batch(rows, self.sandbox)
        if self.options.shard is not None:
            shard = self.options.shard
            grading = grading_digest(task.plan.assignment.grading_files(), self.options.hidden_details)
            ShardManifest(self.assignment, shard.index, shard.count, self._listing, self.total,
                          [r.name for r in batch], task.part_names, grading,
                          self.sandbox.to_json() if self.sandbox else {}).write(self.out)
        return BatchOutcome(task.part_names, rows, failures, batch, summary, task.notes)

    @property
    def _started(self) -> tuple[SubmissionTask, ZygotePool]:
        if self.task is None or self._pool is None:
            raise RuntimeError("the grading session was not started")
        return self.task, self._pool

    @property
    def deadline_s(self) -> float:
        """The most one submission may take in its worker: the task's (twice its time in the sandbox and two
        minutes), or less when the options say so (Gradescope: below its own time-out, so the results are written)."""
        if self.task is None:
            raise RuntimeError("the grading session was not started")
        own = self.task.deadline_s
        return own if self.options.max_deadline_s is None else min(own, self.options.max_deadline_s)

    def close(self) -> None:
        for sandbox in self._sandboxes:
            sandbox.close()
        if self._pool is not None:  # the other slots' sockets closed (or handed to workers, now gone): zygotes end
            self._pool.close()
        self._sandboxes, self._pool = [], None

    def __enter__(self) -> "GradingSession":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _outermost(folders: set[Path]) -> tuple[str, ...]:
    """The folders, resolved, without any that lies inside another (covering the outer one covers it)."""
    resolved = {f.resolve() for f in folders}
    return tuple(sorted(str(f) for f in resolved if not any(o != f and o in f.parents for o in resolved)))


def check_only(only: list[str], names: list[str]) -> None:
    unknown = [n for n in only if n not in names]
    if unknown:
        shown = ", ".join(names[:20]) + (f" and {len(names) - 20} more" if len(names) > 20 else "")
        raise KitError(f"--only: no submission named {unknown[0]!r} among the submissions given (they are: {shown})")


def earlier_results(out: Path) -> list[str]:
    """The names of the submissions an earlier run left in out: its folders with a results.json or record.json."""
    from .regrade import RECORD
    if not out.is_dir():
        return []
    try:
        return sorted(p.name for p in out.iterdir() if p.is_dir() and not p.is_symlink() and not p.name.startswith(".")
                      and ((p / "results.json").is_file() or (p / RECORD).is_file()))
    except OSError:
        return []


def check_earlier_run(out: Path, names: list[str]) -> None:
    """A whole run (no --only, no --parts) into an --out holding another run's results is refused: grades.csv
    would list this run alone while the other students' folders stayed beside it, and a gradebook built from it
    would give them 0. Rerunning the same batch (the earlier results are all of this run's students) is fine."""
    others = sorted(set(earlier_results(out)) - set(names))
    if others:
        shown = ", ".join(others[:3]) + (f" and {len(others) - 3} more" if len(others) > 3 else "")
        raise KitError(f"--out {out} holds earlier results of {len(others)} submission(s) not in this run ({shown}); "
                       "grades.csv would list this run only - give every submission with --only NAME ... to regrade "
                       "some, choose a new --out, or remove the folder first")


def check_out_folder(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise KitError(f"--out {out} is a file, not a folder: give a folder for the results (it is created "
                       "when missing)")
