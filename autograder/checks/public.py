"""The notebook's check(name), judging public cases as the grader does.

The public cases of one graded function run on the notebook's current definition.

The cases arrive as data (inputs, expected outputs, the outputs of known mistakes, computed
by the reference at release time); nothing here can compute an expected value. Before any
value is compared, the grader's rule scan reads the function and everything it calls.
With a GPU, every public case runs a second time on CUDA inputs.
"""

from __future__ import annotations

import ast
import functools
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
    for fn_name in functions:
        problem = not_taken(fn_name, namespace[fn_name])
        if problem:  # the grader would find no such function: say so now, as the grader will
            return score_part(name, 1.0, [], problem)
    try:
        violations, where = rule_violations(namespace, functions)
    except rules.ScanError as e:
        return score_part(name, 1.0, [], str(e))
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

@functools.lru_cache(maxsize=1)
def _banned_objects() -> dict[int, str]:
    """id of every banned callable reachable by name -> its dotted name (for 'from torch import sigmoid')."""
    found: dict[int, str] = {}
    for ban in rules.BANNED:
        if ban.kind not in ("call", "namespace") or "." not in ban.name:
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


def not_taken(name: str, fn: Any) -> str | None:
    """Why the grader would not find fn as the function NAME (None when it would).

    The grader takes functions defined with ``def NAME(...)`` at the top level of a cell; a lambda,
    a functools.partial, an object with __call__ or a def inside an if is no such function there.
    """
    what = None
    if not isinstance(fn, types.FunctionType) or fn.__name__ != name or fn.__qualname__ != name:
        what = f"{name} is {_kind(fn)}"
    else:
        try:
            first = next(line for line in inspect.getsourcelines(fn)[0] if line.strip())
        except (OSError, TypeError, StopIteration):
            return None
        if first[:1].isspace():
            what = f"{name} is defined inside another statement (an if, a with, a loop)"
    if what is None:
        return None
    return (f"no function named {name} would be found in your submission: {what}, and the grader only takes "
            f"functions defined with `def {name}(...)` at the top level of a cell")


def _kind(fn: Any) -> str:
    if isinstance(fn, types.FunctionType):
        return "a lambda" if fn.__name__ == "<lambda>" else f"the function {fn.__qualname__} under another name"
    return f"a {type(fn).__name__} object, not a function"


def _source(value: Any) -> str | None:
    """The source of a function or class as written (decorators unwrapped), or None if it cannot be read."""
    try:
        target = inspect.unwrap(value) if callable(value) else value
        if not isinstance(target, (types.FunctionType, type)):
            return None
        source = textwrap.dedent(inspect.getsource(target))
        ast.parse(source)  # a lambda in the middle of an expression gives text that is no statement
        return source
    except (OSError, TypeError, SyntaxError, ValueError):
        return None


def rule_violations(namespace: dict[str, Any], functions: list[str]
                    ) -> tuple[list[rules.Violation], Callable[[int], str]]:
    """What the grader's scan finds in the current definitions of functions and what they call,
    and where(line), which names a line as 'line K of NAME' (K counted within that definition)."""
    sources: dict[str, str] = {}
    todo = list(functions)
    while todo:
        fn_name = todo.pop()
        value = namespace.get(fn_name)
        if fn_name in sources or value is None or isinstance(value, types.ModuleType):
            continue
        source = _source(value)
        if source is None:
            continue
        sources[fn_name] = source
        code = getattr(inspect.unwrap(value), "__code__", None) if callable(value) else None
        todo += sorted(_global_names(code)) if code is not None else []
    banned = _banned_objects()
    header = []
    for alias, value in namespace.items():
        if not alias.isidentifier():
            continue
        if isinstance(value, types.ModuleType) and all(p.isidentifier() for p in value.__name__.split(".")):
            header.append(f"import {value.__name__} as {alias}")
        elif id(value) in banned and not isinstance(value, types.ModuleType):
            module, _, attr = banned[id(value)].rpartition(".")
            header.append(f"from {module} import {attr} as {alias}")
    lines, places = list(header), {}
    for fn_name, source in sources.items():
        for k, line in enumerate(source.splitlines(), start=1):
            lines.append(line)
            places[len(lines)] = f"line {k} of {fn_name}"
    found = rules.scan("\n".join(lines), functions)
    violations = [v for f in functions for v in found.get(f, [])]
    return violations, lambda line: places.get(line, f"line {line}")
