"""checks.py against spec.toml and cases.toml, and an assignment's cases built with their expected values.

Where those three files disagree, or checks.py fails on a case, the error is one line naming
the file and the line (the part in spec.toml, the case in cases.toml, the failing line of
checks.py) and saying what to write instead, never a KeyError or TypeError from inside.
``part_of`` and ``check_case_keys`` are cheap and run when an assignment is loaded
(autograder/assignment.py); ``check_assignment`` builds every case, for release and gradescope
to call before they write: its expected value, every known mistake's output (a mistake that raises
on every case is refused at its ``Mistake(...)`` line) and, for release, the reference solution's
result, judged as the grader judges it.
"""

from __future__ import annotations

import inspect
import re
import types
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import torch

from ..errors import ChecksError
from ..paths import shown
from ..spec import AssignmentSpec, PartSpec
from ..tomlfile import did_you_mean, line_of, line_of_item
from .loading import check_grading_imports, checks_path, failure, line_in
from .parts import Case, Mistake, MistakeDoesNotApply, Part, build_case, describe
from .values import Call, fresh, tensors_in

if TYPE_CHECKING:
    from ..assignment import Assignment, GradedPart

CASE_SETS = ("public", "hidden")


def part_of(spec: AssignmentSpec, checks: types.ModuleType, part_spec: PartSpec) -> Part:
    """The Part of checks.py for a part of spec.toml; ChecksError at the spec's line when there is none."""
    part = checks.PARTS.get(part_spec.name)
    if part is not None:
        return part
    name, defined = part_spec.name, list(checks.PARTS)
    spec_file = spec.directory / "spec.toml"
    index = [p.name for p in spec.parts].index(name)
    line = line_of(spec.spec_text, "parts", "name", index)
    graded = [p.name for p in spec.parts]
    close = [n for n in defined if n not in graded and did_you_mean(name, [n])]
    if close:
        # spec.toml and cases.toml agree on the name; checks.py's Part is the one spelt otherwise
        path = checks_path(spec.id)
        text = path.read_text(encoding="utf-8")
        cases = [f"{shown(spec.directory / 'cases.toml')}:{line_of(spec.cases_text, f'{s}.cases', name)}"
                 for s in CASE_SETS if name in getattr(spec, s).cases]
        raise ChecksError(f"Part {close[0]!r} is spelt {name!r} in spec.toml ({shown(spec_file)}:{line})"
                          + (f" and in cases.toml ({', '.join(cases)})" if cases else "")
                          + f": write Part(\"{name}\", ...), or rename the part in those files",
                          path=shown(path), line=part_line(text, close[0]))
    raise ChecksError(f"part {name!r} has no Part in checks.py's PARTS{did_you_mean(name, defined)} "
                      f"(PARTS has: {', '.join(defined) or 'nothing'}): add Part(\"{name}\", make_inputs, reference) "
                      f"to {shown(checks_path(spec.id))} or write the part's name as it is there",
                      path=shown(spec_file), line=line)


def check_no_extra_parts(spec: AssignmentSpec, checks: types.ModuleType, checks_text: str) -> None:
    """ChecksError at its Part in checks.py for a part spec.toml does not grade (it would never be run)."""
    names = [p.name for p in spec.parts]
    for name in checks.PARTS:
        if name not in names:
            raise ChecksError(f"PARTS has part {name!r}, which spec.toml does not grade{did_you_mean(name, names)} "
                              f"(its parts: {', '.join(names)}): add a [[parts]] table with name = \"{name}\" and "
                              f"its points to {shown(spec.directory / 'spec.toml')}, or take the Part out of PARTS",
                              path=shown(checks_path(spec.id)), line=part_line(checks_text, name))


def check_case_keys(spec: AssignmentSpec, part_spec: PartSpec, part: Part) -> None:
    """Every case of a part (public and hidden) against its input generator's parameters."""
    for set_name in CASE_SETS:
        for index, descriptor in enumerate(getattr(spec, set_name).cases.get(part_spec.name, [])):
            _check_keys(_CaseWhere(spec, set_name, part_spec.name, index, descriptor), part.make_inputs)


def part_cases(spec: AssignmentSpec, part_spec: PartSpec, part: Part, set_name: str) -> list[Case]:
    """The cases of one part in one set ("public" or "hidden"), each built by the part's input generator
    (whose parameters check_case_keys matched with the cases' keys when the assignment was loaded)."""
    case_set = getattr(spec, set_name)
    cases = []
    for index, descriptor in enumerate(case_set.cases.get(part_spec.name, [])):
        where = _CaseWhere(spec, set_name, part_spec.name, index, descriptor)
        try:
            case = build_case(part, index, descriptor, case_set.seed, hidden=set_name == "hidden")
        except Exception as e:
            raise where.failed("input generator", e) from None
        if not isinstance(case.call, Call):
            raise ChecksError(f"the input generator of part {part_spec.name!r} returned a "
                              f"{type(case.call).__name__} for {where}: return Call(arg, ...) "
                              "(from autograder.checks.values import Call)",
                              path=shown(checks_path(spec.id)), line=_first_line(part.make_inputs))
        cases.append(case)
    return cases


def expected_value(spec: AssignmentSpec, case: Case) -> Any:
    """The reference's value for one case; ChecksError at the failing line of checks.py."""
    try:
        return case.expected()
    except Exception as e:
        where = _CaseWhere(spec, "hidden" if case.hidden else "public", case.part.name, case.index, case.descriptor)
        raise where.failed("reference", e) from None


def check_assignment(assignment: "Assignment", *, run_solution: bool = False) -> None:
    """Build every case of every part, compute its expected value and every known mistake's output, and
    (with run_solution, as release does) run the reference solution on it and judge it: the first
    failure is a one-line ChecksError at the line to fix (checks.py, cases.toml or the solution).

    A known mistake whose alternative raises on every case would never be recognised: refused at its line."""
    check_grading_imports(assignment.checks_file)  # what checks.py imports, Gradescope must have
    solution = _solution_namespace(assignment) if run_solution and assignment.solution is not None else None
    for graded in assignment.parts:
        cases: list[Case] = []
        for set_name in CASE_SETS:
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
    where = _CaseWhere(spec, set_name, part.name, case.index, case.descriptor)
    try:
        again = build_case(part, case.index, case.descriptor, getattr(spec, set_name).seed, hidden=case.hidden)
    except Exception as e:
        raise where.failed("input generator", e) from None
    first, second = tensors_in((case.call.args, case.call.kwargs)), tensors_in((again.call.args, again.call.kwargs))
    if len(first) == len(second) and all(_same_tensor(a, b) for a, b in zip(first, second)):
        return
    generator = _name(part.make_inputs)
    raise ChecksError(f"the input generator of part {part.name!r}, {generator}, gave other inputs when {where} was "
                      "built again: draw every random number from its generator g (randn(g, shape, dtype) from "
                      "autograder.checks.parts, or torch.rand(..., generator=g)), never from torch's global one, so "
                      "that a case is the same in the notebook, in check() and in the grader (the case is at "
                      f"{shown(where.cases_file)}:{where.cases_line()})",
                      path=shown(checks_path(spec.id)), line=_first_line(part.make_inputs))


def _check_names(assignment: "Assignment", part: Part, expected: Any) -> None:
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
                      "value by its name)", path=shown(checks_path(assignment.id)),
                      line=part_line(assignment.checks_file.text, part.name))


def unrecognised_mistakes(assignment: "Assignment", part: str, cases: list[Case]) -> list[ChecksError]:
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


def _never_recognised(assignment: "Assignment", part: str, mistake: Mistake, case: Case,
                      error: Exception) -> ChecksError:
    path = checks_path(assignment.id)
    line = None
    if mistake.where is not None and Path(mistake.where[0]) == path.resolve():
        line = mistake.where[1]
    line = line or line_in(error, path.resolve()) or part_line(assignment.checks_file.text, part)
    hint = mistake.hint if len(mistake.hint) <= 60 else mistake.hint[:57] + "..."
    where = _CaseWhere(assignment.spec, "hidden" if case.hidden else "public", part, case.index, case.descriptor)
    raised = line_in(error, path.resolve())
    at = f" at line {raised}" if raised is not None and raised != line else ""
    return ChecksError(f"part {part!r}: mistake {hint!r} raises on every case (first: {where}: "
                       f"{failure(error)}{at}) - it would never be recognised: make its alternative take the "
                       "reference's arguments and return what that mistake returns", path=shown(path), line=line)


def _solution_namespace(assignment: "Assignment") -> dict[str, Any]:
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


def _run_solution(assignment: "Assignment", graded: "GradedPart", case: Case, expected: Any,
                  namespace: dict[str, Any]) -> None:
    """The reference solution on one case, judged as the grader judges it; ChecksError when it fails."""
    from .compare import Tolerance
    from .drivers import run_driver
    from .judging import Outcome, judge_case
    from .report import finding_text

    solution = assignment.solution
    assert solution is not None
    spec = assignment.spec
    where = _CaseWhere(spec, "hidden" if case.hidden else "public", graded.name, case.index, case.descriptor)
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
                              f"(the case is at {shown(where.cases_file)}:{where.cases_line()})",
                              path=solution.shown, line=line) from None
        # it was called with what it does not take: the input generator and the solution disagree
        make_inputs = graded.part.make_inputs
        raise ChecksError(f"the reference solution failed part {graded.name!r} on {where}, called with what "
                          f"{_name(make_inputs)} returns: {failure(e)} (the case is at "
                          f"{shown(where.cases_file)}:{where.cases_line()}; {function}() is at {defined})",
                          path=shown(checks_path(spec.id)), line=_first_line(make_inputs)) from None
    tol = graded.spec.tolerances[case.dtype]
    outcome = Outcome("ok", result=result, inputs_after=tensors_in((live.args, live.kwargs)))
    verdict = judge_case(graded.name, graded.part.judge, case.label, case.hidden, case.call, outcome, expected,
                         Tolerance(tol.atol, tol.rtol), ())
    if not verdict.passed:
        nonfinite = _non_finite(expected)
        if nonfinite:  # no result can match it: the case (or the reference) is what is wrong, not the solution
            raise ChecksError(f"the reference of part {graded.name!r} gives {nonfinite} on {where}, so no result can "
                              "pass that case: change the case so that its answer is finite (N = 0 averages over "
                              f"nothing), or the reference (part {graded.name!r} at {shown(checks_path(spec.id))}:"
                              f"{part_line(assignment.checks_file.text, graded.name)})",
                              path=shown(where.cases_file), line=where.cases_line()) from None
        # each failed value with its largest difference, where, and the two values: a tolerance too tight
        # for float32 reads differently from a reference that computes something else
        found = verdict.message or "; ".join(finding_text(f, reveal=True) for f in verdict.failures) or \
            verdict.status.value
        raise ChecksError(f"the reference solution fails part {graded.name!r} on {where}: {found} (the case is at "
                          f"{shown(where.cases_file)}:{where.cases_line()}; the reference is part "
                          f"{graded.name!r} at {shown(checks_path(spec.id))}:"
                          f"{part_line(assignment.checks_file.text, graded.name)})",
                          path=solution.shown, line=solution.definitions.get(function, (None,))[0]) from None


class _CaseWhere:
    """One case as a TA wrote it, for messages: ``[hidden.cases] predict[2] (float32 N=1)`` and its line."""

    def __init__(self, spec: AssignmentSpec, set_name: str, part: str, index: int,
                 descriptor: dict[str, Any]) -> None:
        self.spec, self.part, self.index = spec, part, index
        self.table = f"{set_name}.cases"
        self.label = describe(descriptor)
        self.descriptor = descriptor
        self.cases_file = spec.directory / "cases.toml"
        self.cases_text = spec.cases_text

    def __str__(self) -> str:
        return f"[{self.table}] {self.part}[{self.index}]" + (f" ({self.label})" if self.label else "")

    def cases_line(self) -> int | None:
        return line_of_item(self.cases_text, self.table, self.part, self.index)

    def key_error(self, message: str) -> ChecksError:
        return ChecksError(message, path=shown(self.cases_file), line=self.cases_line())

    def failed(self, what: str, error: Exception) -> ChecksError:
        """``checks.py:LINE: the reference of part 'p' failed on [public.cases] p[0] (...): Type: message``."""
        path = checks_path(self.spec.id)
        # Where checks.py was running when it failed; else (a torch function given as the reference
        # itself) where the part is declared.
        line = line_in(error, path.resolve()) or part_line(path.read_text(encoding="utf-8"), self.part)
        return ChecksError(f"the {what} of part {self.part!r} failed on {self}: {failure(error)} "
                           f"(the case is at {shown(self.cases_file)}:{self.cases_line()})",
                           path=shown(path), line=line)


def part_line(checks_text: str, part: str) -> int | None:
    """The line of checks.py that starts ``Part("part", ...)``."""
    declared = re.compile(rf"""\bPart\(\s*["']{re.escape(part)}["']""")
    for number, line in enumerate(checks_text.splitlines(), start=1):
        if declared.search(line):
            return number
    return None


def _check_keys(where: _CaseWhere, make_inputs: Callable[..., Any]) -> None:
    """A case's keys against the generator's parameters, before it is called (a TypeError there
    would name neither the case nor the key)."""
    try:
        params = list(inspect.signature(make_inputs).parameters.values())[1:]  # the first is the generator
    except (TypeError, ValueError):
        return
    if any(p.kind is p.VAR_KEYWORD for p in params):
        return
    named = [p for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    takes = [p.name for p in named]
    generator = f"{_name(make_inputs)} ({shown(checks_path(where.spec.id))}:{_first_line(make_inputs)})"
    for key in where.descriptor:
        if key != "label" and key not in takes:
            raise where.key_error(f"[{where.table}] {where.part}[{where.index}] has key {key!r}, which the input "
                                  f"generator of part {where.part!r}, {generator}, does not take"
                                  f"{did_you_mean(key, takes)} (it takes: {', '.join(takes) or 'no keys'})")
    for p in named:
        if p.default is p.empty and p.name not in where.descriptor:
            raise where.key_error(f"[{where.table}] {where.part}[{where.index}] has no key {p.name!r}, which the "
                                  f"input generator of part {where.part!r}, {generator}, needs: write "
                                  f"{p.name} = ... in the case, or give {p.name} a default value there")


def _non_finite(value: Any) -> str:
    """'nan' or 'inf' when a floating tensor in ``value`` holds one; '' when all are finite."""
    for tensor in tensors_in(value):
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            return "nan" if bool(tensor.isnan().any()) else "inf"
    return ""


def _name(function: Callable[..., Any]) -> str:
    return getattr(function, "__name__", type(function).__name__)


def _first_line(function: Callable[..., Any]) -> int | None:
    code = getattr(inspect.unwrap(function), "__code__", None)
    return code.co_firstlineno if code is not None else None
