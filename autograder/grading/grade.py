"""Grade one submission: ingest, scan, run each part in the sandbox, judge in this process.

The cases and their expected values are computed once per run (GradingPlan) and never leave
this process; the sandboxed child only receives copies of the inputs. Verdicts are data
(autograder/checks/verdict.py); every output is rendered from them.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..assignment import Assignment
from ..checks import rules, verifier
from ..checks.explain import explain as _explain  # the notebook's check() explains outcomes alike
from ..checks.explain import map_lines as _map_lines
from ..checks.cases import expected_value, part_cases
from ..checks.drivers import driver_functions
from ..checks.judging import judge_case
from ..checks.parts import Case, Part
from ..checks.values import map_tensors
from ..checks.verdict import PartVerdict, Status, score_part, zero_part
from ..ingest import Ingested, SubmissionError, ingest
from ..sandbox.client import PartRun, Prepared, Sandbox, prepare
from ..spec import PartSpec
from .scores import ScoreRow, Totals

CASE_SETS = ("public", "hidden")


@dataclass
class PlannedPart:
    spec: PartSpec
    part: Part
    cases: list[Case]
    expected: list[Any]


@dataclass
class GradingPlan:
    """Everything about an assignment's grading that does not depend on the submission."""

    assignment: Assignment
    parts: list[PlannedPart]
    device: str = "cpu"
    request: Prepared | None = None  # every part's inputs, encoded once for the sandbox

    def prepared(self) -> Prepared:
        if self.request is None:
            # Each case says whether it is hidden: the sandbox runs every public case before any hidden one.
            self.request = prepare([(p.part.driver, [(c.call.args, c.call.kwargs, c.hidden) for c in p.cases],
                                     p.spec.time_limit_s) for p in self.parts])
        return self.request

    @property
    def functions(self) -> set[str]:
        """Every student function some part calls."""
        return {f for p in self.parts for f in driver_functions(p.part.driver)}

    def to(self, device: str) -> "GradingPlan":
        """Move every case's inputs and expected values to device, in place (a worker does it after it forks:
        the grader itself never touches the GPU, which a forked process could not use)."""
        if device != self.device:
            move = lambda t: t.to(device)  # noqa: E731
            for planned in self.parts:
                for case in planned.cases:
                    case.move(move)
                planned.expected = [map_tensors(e, move) for e in planned.expected]
            self.device, self.request = device, None
        return self

    def compute_everything(self) -> "GradingPlan":
        """Every known mistake's output and the sandbox's encoded requests, now: a batch's workers are forked
        after this and share the values instead of each computing them."""
        for planned in self.parts:
            for case in planned.cases:
                case.compute_mistakes()
        self.prepared()
        return self

    def only(self, names: list[str]) -> "GradingPlan":
        """The same plan narrowed to some parts (regrading)."""
        return GradingPlan(self.assignment, [p for p in self.parts if p.spec.name in names], self.device)


def make_plan(assignment: Assignment, case_sets: tuple[str, ...] = CASE_SETS, device: str = "cpu") -> GradingPlan:
    """Build every case and its expected value (on the CPU, then moved to device)."""
    spec, planned = assignment.spec, []
    for graded in assignment.parts:
        cases = [case for set_name in case_sets for case in part_cases(spec, graded.spec, graded.part, set_name)]
        planned.append(PlannedPart(graded.spec, graded.part, cases, [expected_value(spec, case) for case in cases]))
    return GradingPlan(assignment, planned).to(device)


@dataclass
class SubmissionResult(Totals):
    path: Path
    parts: list[PartVerdict]
    notes: list[str] = field(default_factory=list)
    answers: Sequence[tuple[int, str]] = field(default_factory=list)  # (cell, markdown): checks.taking's Answers
    error: str | None = None     # the submission could not be graded at all ...
    grader_failed: bool = False  # ... because the grader itself failed (ours to fix), not the file
    elapsed: float = 0.0

    def row(self, name: str) -> ScoreRow:
        """What the batch keeps of this result once the student's files are written."""
        return ScoreRow.of(name, self.parts, self.error, self.grader_failed)


def unreadable(plan: GradingPlan, path: Path, message: str, error: str | None = None,
               grader_failed: bool = False) -> SubmissionResult:
    """The all-zero result of a submission that could not be graded (every part carries the message);
    grader_failed: because the grader itself failed (error says how), not because of the file."""
    parts = [zero_part(p.spec.name, p.spec.points, message) for p in plan.parts]
    return SubmissionResult(path, parts, error=error or message, grader_failed=grader_failed)


def grade_submission(plan: GradingPlan, path: Path, sandbox: Sandbox) -> SubmissionResult:
    """Grade one file; never raises for anything the submission contains."""
    start = time.perf_counter()
    try:
        ingested = ingest(path)
    except SubmissionError as e:
        # Named by the file's own name: the instructor's folders never reach the student's pages.
        result = unreadable(plan, path, e.message, str(SubmissionError(e.message, path=path.name, line=e.line,
                                                                          cell=e.cell)))
        result.elapsed = time.perf_counter() - start
        return result
    try:
        violations = verifier.verify(ingested.source, plan.functions)
        scan_problem = None
    except rules.ScanError as e:
        violations, scan_problem = {}, str(e)
    result = SubmissionResult(path, [], notes=list(ingested.notes), answers=ingested.answers)
    # Every part goes to the sandbox, prepared once per batch; parts whose function is missing
    # end at once there, and their results are not used.
    runs = sandbox.run_submission(ingested.source, plan.prepared())
    for note in (n for run in runs for n in run.notes):  # notes on loading, whichever part carries them
        mapped = _map_lines(note, ingested)
        if mapped not in result.notes:
            result.notes.append(mapped)
    for planned, run in zip(plan.parts, runs):
        missing = next((n for n in driver_functions(planned.part.driver) if n not in ingested.defined), None)
        if missing:
            result.parts.append(zero_part(planned.spec.name, planned.spec.points,
                                          f"no function named {missing} was found in the submission - names must "
                                          "match the assignment exactly, and the function must be defined at the "
                                          "top level of a cell or file"))
        elif scan_problem:
            result.parts.append(zero_part(planned.spec.name, planned.spec.points, scan_problem))
        else:
            result.parts.append(_grade_part(planned, ingested, violations, run))
    result.elapsed = time.perf_counter() - start
    return result


def _grade_part(planned: PlannedPart, ingested: Ingested, violations: dict[str, list[rules.Violation]],
                run: PartRun) -> PartVerdict:
    part, spec = planned.part, planned.spec
    verdicts = []
    for case, ran, expected in zip(planned.cases, run.outcomes, planned.expected):
        outcome = _explain(ran, ingested)
        verdicts.append(judge_case(spec.name, part.judge, case.label, case.hidden, case.call, outcome, expected,
                                   spec.tolerances[case.dtype], case.mistake_outputs()))
    static = [v for f in driver_functions(part.driver) for v in violations.get(f, [])]
    if static:
        return score_part(spec.name, spec.points, verdicts, rules.rule_message(static, ingested.where),
                          Status.RULE_BROKEN)
    # Only names the tripwires can report count: the child may send anything. A name is shown only when
    # it fired while loading or in a public case; what fired in a hidden case is said without a name, so
    # that no student can read a hidden input back from which tripwire their code chose to fire.
    labels = tripwire_labels()
    shown = {b for b in run.load_banned if b in labels}
    in_hidden = False
    for case, outcome in zip(planned.cases, run.outcomes):
        fired = {b for b in outcome.banned if b in labels}
        if case.hidden:
            in_hidden = in_hidden or bool(fired)
        else:
            shown |= fired
    if shown or in_hidden:
        return score_part(spec.name, spec.points, verdicts, rules.runtime_rule_message(sorted(shown), in_hidden),
                          Status.RULE_BROKEN)
    return score_part(spec.name, spec.points, verdicts)


@functools.lru_cache(maxsize=1)
def tripwire_labels() -> frozenset[str]:
    """Every name a run-time tripwire reports (from the table of banned calls)."""
    from ..sandbox.tripwires import labels
    return labels()
