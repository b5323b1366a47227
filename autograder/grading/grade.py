"""Grade one submission: ingest, scan, run each part in the sandbox, judge in this process.

The cases and their expected values are computed once per run (GradingPlan) and
never leave this process; the sandboxed child only receives copies of the inputs.
"""

from __future__ import annotations

import re
import time
import types
from dataclasses import dataclass, field
from pathlib import Path

from .. import rules
from ..checks.loader import load_checks
from ..ingest import Ingested, SubmissionError, ingest
from ..sandbox.client import PartRun, Prepared, Sandbox, prepare
from ..spec import AssignmentSpec, PartSpec, load_spec

CASE_SETS = ("public", "hidden")


@dataclass
class PlannedPart:
    spec: PartSpec
    part: object                 # engine.Part
    cases: list                  # engine.Case
    expected: list


@dataclass
class GradingPlan:
    """Everything about an assignment's grading that does not depend on the submission."""

    spec: AssignmentSpec
    checks: types.ModuleType
    parts: list[PlannedPart]
    request: Prepared | None = None  # every part's inputs, encoded once for the sandbox

    def prepared(self) -> Prepared:
        if self.request is None:
            self.request = prepare([(p.part.driver, [(c.call.args, c.call.kwargs) for c in p.cases],
                                     p.spec.time_limit_s) for p in self.parts])
        return self.request


def make_plan(assignment: str, case_sets: tuple[str, ...] = CASE_SETS) -> GradingPlan:
    spec = load_spec(assignment)
    checks = load_checks(assignment)
    planned = []
    for part_spec in spec.parts:
        part = checks.PARTS[part_spec.name]
        cases = []
        for set_name in case_sets:
            case_set = getattr(spec, set_name)
            cases += checks.build_cases(part, case_set.cases.get(part_spec.name, []), case_set.seed,
                                        hidden=set_name == "hidden")
        expected = []
        for case in cases:
            call = checks.fresh(case.call)
            expected.append(part.reference(*call.args, **call.kwargs))
        planned.append(PlannedPart(part_spec, part, cases, expected))
    return GradingPlan(spec, checks, planned)


@dataclass
class PartResult:
    name: str
    score: float
    max_score: float
    output: str
    passed: int
    total: int
    hints: list[str] = field(default_factory=list)
    hidden_passed: int | None = None  # of the cases above, the hidden ones (None: not counted)
    hidden_total: int | None = None


@dataclass
class SubmissionResult:
    path: Path
    parts: list[PartResult]
    notes: list[str] = field(default_factory=list)
    answers: list[tuple[int, str]] = field(default_factory=list)
    error: str | None = None     # the submission could not be read at all
    elapsed: float = 0.0

    @property
    def score(self) -> float:
        return round(sum(p.score for p in self.parts), 4)

    @property
    def max_score(self) -> float:
        return sum(p.max_score for p in self.parts)


def grade_submission(plan: GradingPlan, path: Path, sandbox: Sandbox) -> SubmissionResult:
    """Grade one file; never raises for anything the submission contains."""
    start = time.perf_counter()
    try:
        ingested = ingest(path)
    except SubmissionError as e:
        parts = [PartResult(p.spec.name, 0.0, p.spec.points, f"{p.spec.name}   0 / {p.spec.points:g}\n  {e.message}", 0,
                            len(p.cases)) for p in plan.parts]
        return SubmissionResult(path, parts, error=str(e), elapsed=time.perf_counter() - start)
    violations = rules.scan(ingested.source)
    result = SubmissionResult(path, [], notes=list(ingested.notes), answers=ingested.answers)
    checks = plan.checks
    # Every part goes to the sandbox, prepared once per batch; parts whose function is missing
    # end at once there, and their results are not used.
    runs = sandbox.run_submission(ingested.source, plan.prepared())
    for note in (n for run in runs for n in run.notes):  # notes on loading, whichever part carries them
        mapped = _map_lines(note, ingested)
        if mapped not in result.notes:
            result.notes.append(mapped)
    for planned, run in zip(plan.parts, runs):
        missing = _missing(checks, planned, ingested)
        if missing:
            message = (f"no function named {missing} was found in the submission - names must match the "
                       "assignment exactly, and the function must be defined at the top level of a cell or file")
            result.parts.append(_result(checks, planned.spec, planned, [], message))
        else:
            result.parts.append(_grade_part(plan, planned, ingested, violations, run))
    result.elapsed = time.perf_counter() - start
    return result


def _missing(checks: types.ModuleType, planned: PlannedPart, ingested: Ingested) -> str | None:
    """The first function this part needs that the submission does not define."""
    for name in checks.driver_functions(planned.part.driver):
        if name not in ingested.defined:
            return name
    return None


def _grade_part(plan: GradingPlan, planned: PlannedPart, ingested: Ingested,
                violations: dict[str, list[rules.Violation]], run: PartRun) -> PartResult:
    checks, part, spec = plan.checks, planned.part, planned.spec
    static = [v for f in checks.driver_functions(part.driver) for v in violations.get(f, [])]
    runtime_banned = sorted({b for o in run.outcomes for b in o.get("banned", [])})
    verdicts = []
    for case, outcome, expected in zip(planned.cases, run.outcomes, planned.expected):
        outcome = _explain(outcome, ingested)
        tol = spec.tolerances[case.descriptor.get("dtype", "float64")]
        verdicts.append(checks.judge(part, case, outcome, expected, tol, reveal=not case.hidden))
    if static or runtime_banned:
        uses = [v.describe(ingested.where(v.line)) for v in static] or [f"calls {b} while running" for b in runtime_banned]
        message = ("breaks the assignment's rules, so this part earns nothing: it " + "; ".join(dict.fromkeys(uses)) +
                   ". Gradients must be derived and computed by hand, without torch.autograd, torch.nn, "
                   "torch.func or torch's built-in sigmoid/softmax/logsumexp.")
        return _result(checks, spec, planned, verdicts, message, zero=True)
    return _result(checks, spec, planned, verdicts)


def _result(checks: types.ModuleType, spec: PartSpec, planned: PlannedPart, verdicts: list, message: str | None = None,
            zero: bool = False) -> PartResult:
    total = len(planned.cases)
    passed = sum(v.passed for v in verdicts)
    score = 0.0 if (zero or message and not verdicts) else round(spec.points * passed / max(total, 1), 2)
    lines = checks.format_part_report(spec.name, verdicts, score, spec.points) if verdicts else \
        [f"{spec.name}   {score:g} / {spec.points:g}"]
    if message:
        lines.insert(1, f"  {message}")
    hints = [h for v in verdicts for h in v.hints]
    return PartResult(spec.name, score, spec.points, "\n".join(lines), passed if not zero else 0, total,
                      list(dict.fromkeys(hints)), hidden_passed=sum(v.passed for v in verdicts if v.case.hidden),
                      hidden_total=sum(c.hidden for c in planned.cases))


_LINE = re.compile(r"\bline (\d+)")


def _map_lines(text: str, ingested: Ingested) -> str:
    """Rewrite 'line N' of the taken source into the submission's own place (cell, line)."""
    return _LINE.sub(lambda m: ingested.where(int(m.group(1))), text, count=1)


def _explain(outcome: dict, ingested: Ingested) -> dict:
    """Add what only the parent knows: original places, and globals the grader did not take."""
    if outcome.get("status") == "missing":
        return {**outcome, "message": f"{outcome.get('name')} is not a function in the submission"}
    if outcome.get("status") != "error":
        return outcome
    out = dict(outcome)
    if out.get("where"):
        out["where"] = _map_lines(out["where"], ingested)
    name = out.get("name")
    if out.get("error_type") == "NameError" and name:
        if name in ingested.skipped_names:
            out["message"] = (f"uses the global {name!r}, assigned at {ingested.skipped_names[name]}, which the grader "
                              "did not take: it only takes imports, function and class definitions and simple "
                              "constants. Compute it inside the function, or pass it as an argument")
        else:
            out["message"] = f"uses the name {name!r}, which is not defined anywhere the grader looks"
    return out
