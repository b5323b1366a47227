"""Every case of an assignment built and judged before release and gradescope write anything.

``check_assignment`` builds every case of every part (checks/cases.py), computes its expected value
and every known mistake's output (a mistake that raises on every case is refused at its
``Mistake(...)`` line) and, for release, runs the reference solution on it and judges it as the
grader judges it. Each failure is one line naming the file and the line to fix (checks.py,
cases.toml or the solution), never a traceback from inside.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from ..assignment import Assignment, GradedPart
from ..errors import ChecksError
from ..spec import AssignmentSpec
from .cases import CaseWhere, expected_value, first_line, function_name, part_cases, part_line
from .loading import CHECKS_FILE, check_grading_imports, failure, line_in
from .parts import Case, Mistake, MistakeDoesNotApply, Part, build_case
from .values import fresh, tensors_in


def check_assignment(assignment: Assignment, *, run_solution: bool = False) -> None:
    """Build every case of every part, compute its expected value and every known mistake's output, and
    (with run_solution, as release does) run the reference solution on it and judge it: the first
    failure is a one-line ChecksError at the line to fix (checks.py, cases.toml or the solution).

    A known mistake whose alternative raises on every case would never be recognised: refused at its line."""
    check_grading_imports(assignment.layout, assignment.checks_file)  # what checks.py imports, Gradescope must have
    solution = _solution_namespace(assignment) if run_solution and assignment.solution is not None else None
    for graded in assignment.parts:
        cases: list[Case] = []
        for set_name in assignment.spec.case_sets:
            built = part_cases(assignment.spec, graded.spec, graded.part, set_name)
            if built:
                _check_drawn_from_g(assignment.spec, graded.part, set_name, built[0])
            for case in built:
                expected = expected_value(assignment.spec, case)
                if not cases:
                    _check_names(assignment, graded.part, expected)
                if solution is not None:
                    _run_solution(assignment, graded, case, expected, solution)
                cases.append(case)
        for error in unrecognised_mistakes(assignment, graded.name, cases):
            raise error


def _same_tensor(a: Any, b: Any) -> bool:
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    if a.is_floating_point() or a.is_complex():  # NaN where the other has NaN counts as equal
        return bool(torch.equal(a.isnan(), b.isnan()) and torch.equal(a.nan_to_num(0.0), b.nan_to_num(0.0)))
    return bool(torch.equal(a, b))


def _check_drawn_from_g(spec: AssignmentSpec, part: Part, set_name: str, case: Case) -> None:
    """The set's first case, built once more, must have the same inputs: a generator that draws from torch's
    global random numbers (or the clock) would give the notebook other public cases than the grader's, and each
    grading run other hidden ones."""
    where = CaseWhere(spec, set_name, part.name, case.index, case.descriptor)
    try:
        again = build_case(part, case.index, case.descriptor, spec.case_sets[set_name].seed, hidden=case.hidden)
    except Exception as e:
        raise where.failed("input generator", e) from None
    first, second = tensors_in((case.call.args, case.call.kwargs)), tensors_in((again.call.args, again.call.kwargs))
    if len(first) == len(second) and all(_same_tensor(a, b) for a, b in zip(first, second)):
        return
    generator = function_name(part.make_inputs)
    raise ChecksError(f"the input generator of part {part.name!r}, {generator}, gave other inputs when {where} was "
                      "built again: draw every random number from its generator g (randn(g, shape, dtype) from "
                      "autograder.checks.parts, or torch.rand(..., generator=g)), never from torch's global one, so "
                      "that a case is the same in the notebook, in check() and in the grader (the case is at "
                      f"{where.cases_shown}:{where.cases_line()})",
                      path=spec.shown(CHECKS_FILE), line=first_line(part.make_inputs))


def _check_names(assignment: Assignment, part: Part, expected: Any) -> None:
    """``names=`` labels the entries of the reference's tuple in feedback: one name per entry (a name short
    would show students 'result[1]'; one too many, a value they need not return)."""
    if part.names is None or not isinstance(expected, (tuple, list, torch.Tensor)):
        return
    count = 1 if isinstance(expected, torch.Tensor) else len(expected)
    names = tuple(part.names)
    if len(names) == count:
        return
    returns = "one tensor" if isinstance(expected, torch.Tensor) else f"a tuple of {count}"
    raise ChecksError(f"Part {part.name!r} has names={names!r}, {len(names)} name(s), but its reference returns "
                      f"{returns}: give names= one name per returned value, in order (feedback labels each "
                      "value by its name)", path=assignment.checks_file.shown,
                      line=part_line(assignment.checks_file.text, part.name))


def unrecognised_mistakes(assignment: Assignment, part: str, cases: list[Case]) -> list[ChecksError]:
    """The known mistakes of a part whose alternative raises on every one of ``cases`` (a part's cases, which
    share its Part), each as the one-line ChecksError at its ``Mistake(...)`` line: such a mistake would never
    be recognised. The one place that decides it: release and gradescope refuse (check_assignment), validate
    refuses, grade warns. Each output is computed through the cases' cache (the grader's plan keeps it), up to
    the first case a mistake applies to."""
    if not cases:
        return []
    errors = []
    for i, mistake in enumerate(cases[0].part.mistakes):
        if any(_applies(case, i) for case in cases):
            continue
        again = fresh(cases[0].call)
        try:  # once more, for the exception itself (the cache keeps only its text): where it was raised
            mistake.alternative(*again.args, **again.kwargs)
        except Exception as e:  # noqa: BLE001 - the message says what it raised
            errors.append(_never_recognised(assignment, part, mistake, cases[0], e))
    return errors


def _applies(case: Case, index: int) -> bool:
    try:
        case.mistake_outputs()[index].output()
    except MistakeDoesNotApply:
        return False
    return True


def _never_recognised(assignment: Assignment, part: str, mistake: Mistake, case: Case,
                      error: Exception) -> ChecksError:
    checks = assignment.checks_file  # its path resolved, as the traceback names it
    line = None
    if mistake.where is not None and Path(mistake.where[0]) == checks.path:
        line = mistake.where[1]
    line = line or line_in(error, checks.path) or part_line(checks.text, part)
    hint = mistake.hint if len(mistake.hint) <= 60 else mistake.hint[:57] + "..."
    where = CaseWhere(assignment.spec, "hidden" if case.hidden else "public", part, case.index, case.descriptor)
    raised = line_in(error, checks.path)
    at = f" at line {raised}" if raised is not None and raised != line else ""
    return ChecksError(f"part {part!r}: mistake {hint!r} raises on every case (first: {where}: "
                       f"{failure(error)}{at}) - it would never be recognised: make its alternative take the "
                       "reference's arguments and return what that mistake returns", path=checks.shown, line=line)


def _solution_namespace(assignment: Assignment) -> dict[str, Any]:
    """The reference solution's top-level names, run from its text (it is the course's own code)."""
    solution = assignment.solution
    assert solution is not None
    namespace: dict[str, Any] = {"__name__": f"kit_solution_{assignment.id}", "__file__": str(solution.path)}
    try:
        exec(compile(solution.text, str(solution.path), "exec"), namespace)
    except Exception as e:
        raise ChecksError(f"running the reference solution failed: {failure(e)}", path=solution.shown,
                          line=line_in(e, Path(solution.path).resolve())) from None
    return namespace


def _run_solution(assignment: Assignment, graded: GradedPart, case: Case, expected: Any,
                  namespace: dict[str, Any]) -> None:
    """The reference solution on one case, judged as the grader judges it; ChecksError when it fails."""
    from .drivers import run_driver
    from .judging import Outcome, judge_case
    from .report import finding_text

    solution = assignment.solution
    assert solution is not None
    spec = assignment.spec
    where = CaseWhere(spec, "hidden" if case.hidden else "public", graded.name, case.index, case.descriptor)
    function = graded.functions[-1]
    defined = f"{solution.shown}:{solution.definitions[function][0]}" if function in solution.definitions else \
        solution.shown
    live = fresh(case.call)
    try:
        result = run_driver(graded.part.driver, lambda name: namespace[name], live)
    except Exception as e:
        solution_path = Path(solution.path).resolve()
        line = line_in(e, solution_path)
        if line is not None:  # it failed inside the solution
            raise ChecksError(f"the reference solution failed part {graded.name!r} on {where}: {failure(e)} "
                              f"(the case is at {where.cases_shown}:{where.cases_line()})",
                              path=solution.shown, line=line) from None
        # it was called with what it does not take: the input generator and the solution disagree
        make_inputs = graded.part.make_inputs
        raise ChecksError(f"the reference solution failed part {graded.name!r} on {where}, called with what "
                          f"{function_name(make_inputs)} returns: {failure(e)} (the case is at "
                          f"{where.cases_shown}:{where.cases_line()}; {function}() is at {defined})",
                          path=assignment.checks_file.shown, line=first_line(make_inputs)) from None
    tol = graded.spec.tolerances[case.dtype]
    outcome = Outcome("ok", result=result, inputs_after=tensors_in((live.args, live.kwargs)))
    verdict = judge_case(graded.name, graded.part.judge, case.label, case.hidden, case.call, outcome, expected,
                         tol, ())
    if not verdict.passed:
        nonfinite = _non_finite(expected)
        if nonfinite:  # no result can match it: the case (or the reference) is what is wrong, not the solution
            raise ChecksError(f"the reference of part {graded.name!r} gives {nonfinite} on {where}, so no result can "
                              "pass that case: change the case so that its answer is finite (N = 0 averages over "
                              f"nothing), or the reference (part {graded.name!r} at {assignment.checks_file.shown}:"
                              f"{part_line(assignment.checks_file.text, graded.name)})",
                              path=where.cases_shown, line=where.cases_line()) from None
        # each failed value with its largest difference, where, and the two values: a tolerance too tight
        # for float32 reads differently from a reference that computes something else
        found = verdict.message or "; ".join(finding_text(f, reveal=True) for f in verdict.failures) or \
            verdict.status.value
        raise ChecksError(f"the reference solution fails part {graded.name!r} on {where}: {found} (the case is at "
                          f"{where.cases_shown}:{where.cases_line()}; the reference is part "
                          f"{graded.name!r} at {assignment.checks_file.shown}:"
                          f"{part_line(assignment.checks_file.text, graded.name)})",
                          path=solution.shown, line=solution.definitions.get(function, (None,))[0]) from None


def _non_finite(value: Any) -> str:
    """'nan' or 'inf' when a floating tensor in ``value`` holds one; '' when all are finite."""
    for tensor in tensors_in(value):
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            return "nan" if bool(tensor.isnan().any()) else "inf"
    return ""
