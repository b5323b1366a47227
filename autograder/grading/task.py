"""The work a grading session does on submissions: the plan, one submission start to finish, the batch's files.

A SubmissionTask is built once in the grader (the plan: checks, hidden cases, every expected
value and known mistake's output), then forked with the workers, in which it is called once per
submission: ingest, run in the sandbox, judge, write the student's files, hand back a row.
"""

from __future__ import annotations

import traceback
from pathlib import Path
from typing import TYPE_CHECKING

from . import answers_page, feedback, regrade  # noqa: F401 (the page writers: imported before the workers fork)
from .collect import Submission
from ..assignment import load_assignment
from ..layout import Layout
from ..release.notebook_source import assignment_questions
from ..sandbox.client import SandboxFailure
from .grade import GradingPlan, SubmissionResult, grade_submission, make_plan, unreadable
from .options import GradingOptions
from .results import write_submission
from .scores import Graded, ScoreRow
from .summary import BatchSummary, write_batch_files

if TYPE_CHECKING:
    from ..sandbox.client import Sandbox
    from ..sandbox.protections import SandboxReport

GRADER_FAILED = "the grader failed on this submission (not your code); your instructor has been told"


class SubmissionTask:
    """Grade submission number i of a batch and write its files: ``task(i, sandbox) -> Graded``."""

    def __init__(self, assignment: str, out: Path, options: GradingOptions, plan: GradingPlan) -> None:
        self.assignment, self.out, self.options, self.plan = assignment, out, options, plan
        self.submissions: list[Submission] = []
        self.notes: list[str] = []  # for the instructor: regrading decisions
        self._earlier: dict[str, SubmissionResult | None] = {}
        self._partial: GradingPlan | None = None
        # The written questions' text beside the answers: from notebook.py, or the Gradescope zip's questions.json
        self.questions = assignment_questions(plan.assignment.layout, plan.assignment.notebook,
                                              plan.assignment.folder)

    @classmethod
    def planned(cls, layout: Layout, assignment: str, out: Path, options: GradingOptions) -> "SubmissionTask":
        """The task for the course's assignment, with everything that does not depend on a submission, computed
        once; a KitError for a bad --parts."""
        import torch
        torch.set_num_threads(1)  # one thread a worker: the workers are the parallelism (and fork cleanly)
        if options.device == "cuda":  # said before the batch starts; each worker checks again as it moves the plan
            from ..devices import require_cuda
            require_cuda("grade --device cuda", before_fork=True)
        task = cls(assignment, out, options, make_plan(load_assignment(layout, assignment)))
        if options.parts:
            regrade.check_parts(list(options.parts), task.part_names, assignment)
        return task

    @property
    def deadline_s(self) -> float:
        """The most one submission may take in a worker: twice its time in the sandbox (every part's wall-time
        limit), and two minutes for reading, judging and writing; past it the worker is stopped."""
        return 2 * self.plan.prepared().budget + 120

    @property
    def part_names(self) -> list[str]:
        return [p.spec.name for p in self.plan.parts]

    def take(self, submissions: list[Submission]) -> None:
        """The batch; for a --parts rerun, each one's earlier result too (read now: the workers inherit them)."""
        self.submissions = submissions
        if self.options.parts:
            self._earlier = {s.name: regrade.read_record(self.out / s.name) for s in submissions}
            self.notes = [f"{name}: every part graded ("
                          + ("no earlier result to keep parts from" if r is None else
                             "it was not graded before" + (", the grader failed on it" if r.grader_failed else ""))
                          + ")" for name, r in sorted(self._earlier.items()) if r is None or r.error]

    def before_fork(self, workers: int) -> None:
        """In the grader, before its workers fork: for a batch with notebooks, the Markdown renderer of written
        answers (~0.1 s to import, once, not once a worker or replacement); with more than one worker, every
        known mistake's output and the encoded requests too (one worker computes only the few it needs: for a
        single submission, often none, and softmax_regression's all take seconds)."""
        if workers > 1:
            self.plan.compute_everything()
        if any(s.path.suffix.lower() == ".ipynb" for s in self.submissions):
            answers_page.load_renderer()

    def setup(self) -> None:
        """In each worker, before its first submission: the plan on the batch's device."""
        if self.options.device != "cpu":
            from ..devices import require_cuda
            require_cuda(f"grade --device {self.options.device}")
            self.plan.to(self.options.device)
        if self.options.parts:
            self._partial = self.plan.only(list(self.options.parts))

    def __call__(self, index: int, sandbox: "Sandbox") -> Graded:
        sub = self.submissions[index]
        earlier = self._earlier.get(sub.name)
        partial = self._partial if earlier is not None and not earlier.error else None
        result, failure = grade_one(partial or self.plan, sub, sandbox)
        if self.options.parts and earlier is not None:
            result = regrade.merge_parts(earlier, result, list(self.options.parts), self.part_names)
        self._write(sub, result)
        return Graded(index, result.row(sub.name), failure)

    def lost(self, index: int, why: str) -> Graded:
        """A submission whose worker died or was stopped at the deadline, or whose task raised: not graded, a
        grader failure (as grade_one's own), written for the student and counted in the batch's failures."""
        sub = self.submissions[index]
        failure = f"grader failure: {why}" if not why.startswith("grader failure") else why
        result = unreadable(self.plan, sub.path, GRADER_FAILED, failure, grader_failed=True)
        try:
            self._write(sub, result)
        except Exception as e:  # (in the grader's own process) what failed the task may fail here too
            failure += "; its results could not be written: " + traceback.format_exception_only(type(e), e)[-1].strip()
        return Graded(index, result.row(sub.name), failure)

    def _write(self, sub: Submission, result: SubmissionResult) -> None:
        folder = self.out / sub.name
        write_submission(result, folder, self.options.hidden_details, self.questions)
        regrade.write_record(result, folder)

    def write_batch(self, rows: list[ScoreRow], sandbox: "SandboxReport | None" = None
                    ) -> tuple[list[ScoreRow], BatchSummary | None]:
        """grades.csv and (for more than one) summary.md: of this run, or of everyone in out when regrading."""
        batch = rows
        if self.options.regrading:  # everyone in out, this run's rows replacing what was there
            fresh = {r.name: r for r in rows}
            batch = sorted({**{r.name: r for r in regrade.rows_in(self.out, self.part_names)}, **fresh}.values(),
                           key=lambda r: r.name)
        return batch, write_batch_files(batch, self.part_names, self.out, self.assignment,
                                        [sandbox.markdown_section()] if sandbox else [])


def grade_one(plan: GradingPlan, sub: Submission, sandbox: "Sandbox") -> tuple[SubmissionResult, str | None]:
    """A submission's result, and the grader's own failure on it (one line) if there was one."""
    failure = None
    if sub.problem:  # nothing to run: no sandbox needed
        result = unreadable(plan, sub.path, sub.problem)
    else:
        try:
            result = grade_submission(plan, sub.path, sandbox)
        except SandboxFailure as e:  # the sandbox's own failure on our side, never an outcome of the student's code
            failure = f"grader failure: the sandbox failed on the grader's side ({e})"
            result = unreadable(plan, sub.path, GRADER_FAILED, failure, grader_failed=True)
        except Exception as e:  # a bug of ours must not cost the rest of the batch
            failure = "grader failure: " + traceback.format_exception_only(type(e), e)[-1].strip()
            result = unreadable(plan, sub.path, GRADER_FAILED, failure, grader_failed=True)
    result.notes[:0] = [n for n in sub.notes if n not in result.notes]
    return result, failure
