"""The notebook's check(name), judging public cases as the grader does.

The public cases of one graded function run on the notebook's current definition.

The cases arrive as data (inputs, expected outputs, the outputs of known mistakes, computed
by the reference at release time); nothing here can compute an expected value. Before any
value is compared, the grader's rule scan reads the function and everything it calls.
With a GPU, every public case runs a second time on CUDA inputs.
"""

from __future__ import annotations

import inspect
import textwrap
import traceback
import types
from typing import Any, Callable

import torch

from . import report, rules, storable
from .compare import Tolerance
from .drivers import ContractError, run_driver
from .judges import Judge, judge_from_data
from .judging import MistakeOutput, Outcome, judge_case
from .values import Call, fresh, map_tensors, moved, tensors_in
from .verdict import CaseVerdict, PartVerdict, Status, score_part

Mover = Callable[[torch.Tensor], torch.Tensor]


def load(text: str) -> dict[str, Any]:
    """The public case data the release embedded (base64 of torch.save, loaded with weights_only)."""
    return storable.decode(text)


def make_check(namespace: dict[str, Any], data_text: str) -> Callable[[str], None]:
    """check(name), looking the student's functions up in namespace (the notebook's globals) at call time."""
    parts = load(data_text)["parts"]

    def check(name: str) -> None:
        if name not in parts:
            raise ValueError(f"there is no graded function named {name!r}; the graded functions are: "
                             + ", ".join(parts))
        movers: list[tuple[str, Mover | None]] = [("", None)]
        if torch.cuda.is_available():
            movers.append((" on cuda", lambda t: t.to("cuda")))
        verdict = run_part(name, parts[name], namespace, movers)
        print("\n".join(report.check_report(verdict)))
    return check


def run_part(name: str, part: dict[str, Any], namespace: dict[str, Any],
             movers: list[tuple[str, Mover | None]]) -> PartVerdict:
    """Scan the rules, then run and judge every public case once per (label suffix, device mover)."""
    functions = part["functions"]
    for fn_name in functions:
        if not callable(namespace.get(fn_name)):
            raise NameError(f"{fn_name} is not defined yet - run the cell that defines it, then this one")
    violations, where = rule_violations(namespace, functions)
    judge = judge_from_data(part["judge"])
    cases = []
    for suffix, move in movers:
        for case in part["cases"]:
            cases.append(run_case(name, part["driver"], judge, case, namespace, suffix, move))
    if violations:
        return score_part(name, 1.0, cases, rules.rule_message(violations, where),
                          Status.RULE_BROKEN)
    return score_part(name, 1.0, cases)


def run_case(name: str, driver: dict[str, Any], judge: Judge, case: dict[str, Any], namespace: dict[str, Any],
             suffix: str = "", move: Mover | None = None) -> CaseVerdict:
    """One public case from its data, its tensors passed through move (to another device) first."""
    move = move or (lambda t: t)
    call = moved(Call(*case["args"], **case["kwargs"]).with_extra(**case["extra"]), move)
    mistakes = [MistakeOutput(hint, (lambda out=out: _available(out, move))) for hint, out in case["mistakes"]]
    return run_here(name, driver, judge, case["label"] + suffix, False, call, map_tensors(case["expected"], move),
                    Tolerance(*case["tol"]), mistakes, lambda fn: namespace[fn])


def run_here(name: str, driver: dict[str, Any], judge: Judge, label: str, hidden: bool, call: Call, expected: Any,
             tol: Tolerance, mistakes: list[MistakeOutput], lookup: Callable[[str], Callable]) -> CaseVerdict:
    """Run the student's code on a copy of call's inputs, in this process, and judge it."""
    live = fresh(call)
    try:
        result = run_driver(driver, lookup, live)
    except NotImplementedError:
        raise NotImplementedError(
            f"{name} is not implemented yet: write your code in its cell (replacing the TODO and the "
            "raise NotImplementedError line), run that cell, then run this check again.") from None
    except ContractError as e:
        outcome = Outcome("error", error_type="ContractError", message=str(e))
    except Exception as e:
        frames = traceback.extract_tb(e.__traceback__)
        outcome = Outcome("error", error_type=type(e).__name__, message=str(e),
                          where=f"line {frames[-1].lineno} in {frames[-1].name}" if frames else None)
    else:
        outcome = Outcome("ok", result=result, inputs_after=tensors_in((live.args, live.kwargs)))
    return judge_case(name, judge, label, hidden, call, outcome, expected, tol, mistakes)


def _available(output: Any, move: Mover) -> Any:
    if output is None:  # the mistake does not apply to this case
        raise LookupError("no output for this mistake")
    return map_tensors(output, move)


# --- the rule scan on live definitions --------------------------------------------------------

def _banned_objects() -> dict[int, str]:
    """id of every banned callable reachable by name -> its dotted name (for 'from torch import sigmoid')."""
    found: dict[int, str] = {}
    for ban in rules.BANNED:
        if ban.kind == "method":
            continue
        owner_path, _, attr = ban.name.rpartition(".")
        try:
            owner = __import__(owner_path, fromlist=["_"])
        except ImportError:
            continue
        target = getattr(owner, attr, None)
        if ban.kind == "call" and target is not None:
            found[id(target)] = ban.name
        elif isinstance(target, types.ModuleType):
            _walk(target, ban.name, found, set())
    return found


def _walk(module: types.ModuleType, dotted: str, found: dict[int, str], seen: set[int]) -> None:
    """Every public name in module and in its submodules under the same prefix (torch.nn.functional ...)."""
    seen.add(id(module))
    for key in dir(module):
        if key.startswith("_"):
            continue
        value = getattr(module, key, None)
        if isinstance(value, types.ModuleType):
            if value.__name__.startswith(dotted) and id(value) not in seen:
                _walk(value, f"{dotted}.{key}", found, seen)
        elif value is not None:
            found.setdefault(id(value), f"{dotted}.{key}")


def _global_names(code: types.CodeType) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _global_names(const)
    return names


def rule_violations(namespace: dict[str, Any], functions: list[str]
                    ) -> tuple[list[rules.Violation], Callable[[int], str]]:
    """What the grader's scan finds in the current definitions of functions and what they call,
    and where(line), which names a line as 'line K of NAME' (K counted within that definition)."""
    sources: dict[str, str] = {}
    todo = list(functions)
    while todo:
        fn_name = todo.pop()
        fn = namespace.get(fn_name)
        if fn_name in sources or not isinstance(fn, types.FunctionType):
            continue
        try:
            sources[fn_name] = textwrap.dedent(inspect.getsource(fn))
        except (OSError, TypeError):  # defined where its source cannot be read back: nothing to scan
            continue
        todo += sorted(_global_names(fn.__code__))
    banned = _banned_objects()
    header = []
    for alias, value in namespace.items():
        if not alias.isidentifier():
            continue
        if isinstance(value, types.ModuleType):
            header.append(f"import {value.__name__} as {alias}")
        elif id(value) in banned and not isinstance(value, types.ModuleType):
            module, _, attr = banned[id(value)].rpartition(".")
            header.append(f"from {module} import {attr} as {alias}")
    lines, places = list(header), {}
    for fn_name, source in sources.items():
        for k, line in enumerate(source.splitlines(), start=1):
            lines.append(line)
            places[len(lines)] = f"line {k} of {fn_name}"
    found = rules.scan("\n".join(lines))
    violations = [v for f in functions for v in found.get(f, [])]
    return violations, lambda line: places.get(line, f"line {line}")
