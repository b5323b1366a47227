"""checks.py against spec.toml and cases.toml, and an assignment's cases built with their expected values.

Where those three files disagree, or checks.py fails on a case, the error is one line naming
the file and the line (the part in spec.toml, the case in cases.toml, the failing line of
checks.py) and saying what to write instead, never a KeyError or TypeError from inside.
``part_of``, ``check_no_extra_parts`` and ``check_case_keys`` are cheap and run when an assignment is
loaded (autograder/assignment.py); ``part_cases`` and ``expected_value`` build the cases, for the
public case data (Assignment.public_data), the grader's plan and checks/building.check_assignment.
"""

from __future__ import annotations

import inspect
import re
import types
from typing import Any, Callable

from ..errors import ChecksError
from ..spec import AssignmentSpec, PartSpec
from ..tomlfile import did_you_mean, line_of, line_of_item
from .loading import CHECKS_FILE, failure, line_in
from .parts import Case, Part, build_case, describe
from .values import Call


def part_of(spec: AssignmentSpec, checks: types.ModuleType, part_spec: PartSpec) -> Part:
    """The Part of checks.py for a part of spec.toml; ChecksError at the spec's line when there is none."""
    part = checks.PARTS.get(part_spec.name)
    if part is not None:
        return part
    name, defined = part_spec.name, list(checks.PARTS)
    index = [p.name for p in spec.parts].index(name)
    line = line_of(spec.spec_text, "parts", "name", index)
    graded = [p.name for p in spec.parts]
    close = [n for n in defined if n not in graded and did_you_mean(name, [n])]
    if close:
        # spec.toml and cases.toml agree on the name; checks.py's Part is the one spelt otherwise
        text = (spec.directory / CHECKS_FILE).read_text(encoding="utf-8")
        cases = [f"{spec.shown('cases.toml')}:{line_of(spec.cases_text, f'{s}.cases', name)}"
                 for s, case_set in spec.case_sets.items() if name in case_set.cases]
        raise ChecksError(f"Part {close[0]!r} is spelt {name!r} in spec.toml ({spec.shown('spec.toml')}:{line})"
                          + (f" and in cases.toml ({', '.join(cases)})" if cases else "")
                          + f": write Part(\"{name}\", ...), or rename the part in those files",
                          path=spec.shown(CHECKS_FILE), line=part_line(text, close[0]))
    raise ChecksError(f"part {name!r} has no Part in checks.py's PARTS{did_you_mean(name, defined)} "
                      f"(PARTS has: {', '.join(defined) or 'nothing'}): add Part(\"{name}\", make_inputs, reference) "
                      f"to {spec.shown(CHECKS_FILE)} or write the part's name as it is there",
                      path=spec.shown("spec.toml"), line=line)


def check_no_extra_parts(spec: AssignmentSpec, checks: types.ModuleType, checks_text: str) -> None:
    """ChecksError at its Part in checks.py for a part spec.toml does not grade (it would never be run)."""
    names = [p.name for p in spec.parts]
    for name in checks.PARTS:
        if name not in names:
            raise ChecksError(f"PARTS has part {name!r}, which spec.toml does not grade{did_you_mean(name, names)} "
                              f"(its parts: {', '.join(names)}): add a [[parts]] table with name = \"{name}\" and "
                              f"its points to {spec.shown('spec.toml')}, or take the Part out of PARTS",
                              path=spec.shown(CHECKS_FILE), line=part_line(checks_text, name))


def check_case_keys(spec: AssignmentSpec, part_spec: PartSpec, part: Part) -> None:
    """Every case of a part (public and hidden) against its input generator's parameters."""
    for set_name, case_set in spec.case_sets.items():
        for index, descriptor in enumerate(case_set.cases.get(part_spec.name, [])):
            _check_keys(CaseWhere(spec, set_name, part_spec.name, index, descriptor), part.make_inputs)


def part_cases(spec: AssignmentSpec, part_spec: PartSpec, part: Part, set_name: str) -> list[Case]:
    """The cases of one part in one set ("public" or "hidden"), each built by the part's input generator
    (whose parameters check_case_keys matched with the cases' keys when the assignment was loaded)."""
    case_set = spec.case_sets[set_name]
    cases = []
    for index, descriptor in enumerate(case_set.cases.get(part_spec.name, [])):
        where = CaseWhere(spec, set_name, part_spec.name, index, descriptor)
        try:
            case = build_case(part, index, descriptor, case_set.seed, hidden=set_name == "hidden")
        except Exception as e:
            raise where.failed("input generator", e) from None
        if not isinstance(case.call, Call):
            raise ChecksError(f"the input generator of part {part_spec.name!r} returned a "
                              f"{type(case.call).__name__} for {where}: return Call(arg, ...) "
                              "(from autograder.checks.values import Call)",
                              path=spec.shown(CHECKS_FILE), line=first_line(part.make_inputs))
        cases.append(case)
    return cases


def expected_value(spec: AssignmentSpec, case: Case) -> Any:
    """The reference's value for one case; ChecksError at the failing line of checks.py."""
    try:
        return case.expected()
    except Exception as e:
        where = CaseWhere(spec, "hidden" if case.hidden else "public", case.part.name, case.index, case.descriptor)
        raise where.failed("reference", e) from None


class CaseWhere:
    """One case as a TA wrote it, for messages: ``[hidden.cases] predict[2] (float32 N=1)`` and its line."""

    def __init__(self, spec: AssignmentSpec, set_name: str, part: str, index: int,
                 descriptor: dict[str, Any]) -> None:
        self.spec, self.part, self.index = spec, part, index
        self.table = f"{set_name}.cases"
        self.label = describe(descriptor)
        self.descriptor = descriptor
        self.cases_shown = spec.shown("cases.toml")
        self.cases_text = spec.cases_text

    def __str__(self) -> str:
        return f"[{self.table}] {self.part}[{self.index}]" + (f" ({self.label})" if self.label else "")

    def cases_line(self) -> int | None:
        return line_of_item(self.cases_text, self.table, self.part, self.index)

    def key_error(self, message: str) -> ChecksError:
        return ChecksError(message, path=self.cases_shown, line=self.cases_line())

    def failed(self, what: str, error: Exception) -> ChecksError:
        """``checks.py:LINE: the reference of part 'p' failed on [public.cases] p[0] (...): Type: message``."""
        path = self.spec.directory / CHECKS_FILE
        # Where checks.py was running when it failed; else (a torch function given as the reference
        # itself) where the part is declared.
        line = line_in(error, path.resolve()) or part_line(path.read_text(encoding="utf-8"), self.part)
        return ChecksError(f"the {what} of part {self.part!r} failed on {self}: {failure(error)} "
                           f"(the case is at {self.cases_shown}:{self.cases_line()})",
                           path=self.spec.shown(CHECKS_FILE), line=line)


def part_line(checks_text: str, part: str) -> int | None:
    """The line of checks.py that starts ``Part("part", ...)``."""
    declared = re.compile(rf"""\bPart\(\s*["']{re.escape(part)}["']""")
    for number, line in enumerate(checks_text.splitlines(), start=1):
        if declared.search(line):
            return number
    return None


def _check_keys(where: CaseWhere, make_inputs: Callable[..., Any]) -> None:
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
    generator = f"{function_name(make_inputs)} ({where.spec.shown(CHECKS_FILE)}:{first_line(make_inputs)})"
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


def function_name(function: Callable[..., Any]) -> str:
    return getattr(function, "__name__", type(function).__name__)


def first_line(function: Callable[..., Any]) -> int | None:
    code = getattr(inspect.unwrap(function), "__code__", None)
    return code.co_firstlineno if code is not None else None
