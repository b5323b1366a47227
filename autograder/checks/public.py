"""The notebook's check(name) and the check script: the public cases, judged as the grader judges them.

check() is the grader minus the sandbox and the hidden cases. It takes the statements the grader
would take (taking.py) from the cells the kernel ran (history.py), runs the grader's verifier on
them, builds the namespace the grader's child builds (namespace.py), runs each public case there
under the grader's defaults (float32 default dtype, the CPU as default device) and explains what
went wrong in the grader's words (explain.py). The check script (check_<id>.py, check_file) does
the same for a .py or .ipynb file. Nothing from the notebook's live globals runs.

The cases arrive as data (inputs, expected outputs, the outputs of known mistakes, computed by the
reference at release time); nothing here can compute an expected value. With a GPU, every public
case with tensor inputs runs a second time on CUDA inputs.
"""

from __future__ import annotations

import contextlib
import functools
import sys
import traceback
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import torch

from . import explain, history, namespace, report, rules, storable, taking, verifier
from .compare import Tolerance
from .drivers import ContractError, run_driver
from .judges import Judge, judge_from_data
from .judging import MistakeOutput, Outcome, judge_case
from .values import Call, fresh, map_tensors, moved, tensors_in
from .verdict import CaseVerdict, PartVerdict, Status, score_part, zero_part

Mover = Callable[[torch.Tensor], torch.Tensor]

NO_NOTEBOOK = ("check() runs only in a notebook (Colab or Jupyter): it reads the cells you ran from the notebook's "
               "history, as the grader reads your notebook's cells. To check a .py file, run: "
               "python check_{id}.py YOUR_FILE.py")


def load(text: str) -> dict[str, Any]:
    """The public case data the release embedded (base64 of torch.save, loaded with weights_only)."""
    return storable.decode(text)


def graded_functions(parts: dict[str, Any]) -> list[str]:
    """Every function some part calls: what the grader's verifier is asked about."""
    return sorted({f for part in parts.values() for f in part["functions"]})


# --- the submission as the grader runs it -------------------------------------------------------

@dataclass
class Loaded:
    """Taken statements, what the verifier found in them, and the namespace they make."""

    taken: taking.Ingested
    namespace: dict[str, Any]
    notes: list[str]                              # statements that failed to load, at their places
    found: dict[str, list[rules.Violation]]       # the verifier's findings per function
    scan_problem: str | None = None               # the source could not be verified at all


def load_taken(taken: taking.Ingested, functions: list[str]) -> Loaded:
    """Verify the taken source as the grader does, then execute it into a fresh namespace as its child does."""
    found, problem = _verified(taken.source, tuple(sorted(set(functions))))
    with grader_defaults():
        module, notes = namespace.load_statements(
            [("\n".join(t.statement.lines), t.first) for t in taken.statements], taken.source)
    return Loaded(taken, module.__dict__, [explain.map_lines(n, taken) for n in notes], found, problem)


@functools.lru_cache(maxsize=8)
def _verified(source: str, functions: tuple[str, ...]) -> tuple[dict[str, list[rules.Violation]], str | None]:
    try:
        return verifier.verify(source, set(functions)), None
    except rules.ScanError as e:
        return {}, str(e)


@contextlib.contextmanager
def grader_defaults() -> Iterator[None]:
    """torch as the grader's child has it: float32 default dtype, the CPU as default device, gradients on.
    Whatever the notebook set is restored afterwards."""
    dtype = torch.get_default_dtype()
    get_device = getattr(torch, "get_default_device", None)
    device = get_device() if get_device is not None else None
    moved_device = device is not None and device.type != "cpu"
    torch.set_default_dtype(torch.float32)
    if moved_device:
        torch.set_default_device(None)
    try:
        with torch.enable_grad():
            yield
    finally:
        torch.set_default_dtype(dtype)
        if moved_device:
            torch.set_default_device(device)


def movers_here() -> list[tuple[str, Mover | None]]:
    """As given; with a GPU, once more on CUDA."""
    movers: list[tuple[str, Mover | None]] = [("", None)]
    if torch.cuda.is_available():
        movers.append((" on cuda", lambda t: t.to("cuda")))
    return movers


# --- check() in the notebook ----------------------------------------------------------------------

def make_check(live: dict[str, Any], data_text: str) -> Callable[[str], None]:
    """check(name) for the notebook whose globals are live (only read to find IPython and to say what a
    name is); check.results[name] keeps the verdict of the last check of name."""
    data = load(data_text)
    parts, assignment = data["parts"], data.get("assignment", "ASSIGNMENT")
    shell = history.shell_of(live)
    if shell is not None:
        history.track_cells(shell)

    def check(name: str) -> None:
        if name not in parts:
            raise ValueError(f"there is no graded function named {name!r}; the graded functions are: "
                             + ", ".join(parts))
        shell = history.shell_of(live)
        if shell is None:
            print(NO_NOTEBOOK.format(id=assignment))
            return
        taken = taking.take_cells(history.executed_cells(shell), taking.HISTORY, require_definitions=False,
                                  cache=True)
        warnings = history.order_warnings(taken, parts[name]["functions"], history.current_notebook(live),
                                          history.cell_ids(shell))
        # Verified and loaded: the same statements less the earlier runs of what was run again (taking.latest);
        # the verifier is asked about this part's functions only, as each part's verdict depends on them alone.
        loaded = load_taken(taking.latest(taken), parts[name]["functions"])
        verdict = run_part(name, parts[name], loaded, movers_here(), live=live)
        check.results[name] = verdict  # type: ignore[attr-defined]
        if any(c.status == Status.NOT_IMPLEMENTED for c in verdict.cases):
            raise NotImplementedError(stub_message(name))
        for warning in warnings:
            print(f"warning: {warning}")
        for note in taking.foreign_imports(taken):  # import tensorflow: said here as the grader says it
            print(f"note: {note}")
        print("\n".join(report.check_report(verdict)))

    check.results = {}  # type: ignore[attr-defined]
    return check


def stub_message(name: str) -> str:
    return (f"{name} is not implemented yet: write your code in its cell (replacing the TODO and the "
            "raise NotImplementedError line), run that cell, then run this check again.")


# --- the check script -------------------------------------------------------------------------------

def check_file(argv: list[str], data_text: str, program: str = "check") -> int:
    """``python check_<id>.py FILE [NAME ...]``: the public checks of every part (or the named ones) on a
    .py or .ipynb file; 0 when all pass, 1 when one does not, 2 when the file cannot be read."""
    data = load(data_text)
    parts = data["parts"]
    if not argv or argv[0] in ("-h", "--help"):
        print(f"usage: python {program} FILE.py|FILE.ipynb [FUNCTION ...]\n"
              f"runs the public checks of {data.get('assignment', 'the assignment')} on FILE as the grader runs them",
              file=sys.stderr)
        return 2 if not argv else 0
    path, names = Path(argv[0]), argv[1:] or list(parts)
    unknown = [n for n in names if n not in parts]
    if unknown:
        print(f"there is no graded function named {unknown[0]!r}; the graded functions are: " + ", ".join(parts),
              file=sys.stderr)
        return 2
    try:
        taken = taking.take_file(path.read_bytes(), path.suffix)
    except OSError as e:
        print(f"{path}: cannot read the file ({e.strerror})", file=sys.stderr)
        return 2
    except taking.SourceProblem as e:
        where = f", cell {e.cell}" if e.cell is not None else ""
        where += (f", line {e.line}" if e.cell is not None else f":{e.line}") if e.line is not None else ""
        print(f"{path}{where}: {e.message}", file=sys.stderr)
        return 2
    loaded = load_taken(taken, graded_functions(parts))
    for note in list(taken.notes) + loaded.notes:
        print(f"note: {note}")
    passed = 0
    for name in names:
        verdict = run_part(name, parts[name], loaded, movers_here())
        passed += verdict.problem is None and bool(verdict.cases) and all(c.passed for c in verdict.cases)
        print("\n".join(report.check_report(verdict)))
    print(f"\n{passed} of {len(names)} functions pass their public checks (the grader also runs hidden cases)")
    return 0 if passed == len(names) else 1


def load_file(path: Path, functions: list[str]) -> Loaded:
    """A .py or .ipynb file loaded as the grader loads it (SourceProblem if it cannot be read)."""
    return load_taken(taking.take_file(path.read_bytes(), path.suffix), functions)


# --- one part, one case -------------------------------------------------------------------------------

def run_part(name: str, part: dict[str, Any], loaded: Loaded, movers: list[tuple[str, Mover | None]],
             live: dict[str, Any] | None = None) -> PartVerdict:
    """A part as the grader judges it: a function it would not find, then the verifier, then every public
    case once per (label suffix, device mover) in the loaded namespace, under the grader's defaults.
    live: the notebook's globals, to say what a name the grader would not find is (NameError if it is
    not defined at all: the student has not run its cell yet)."""
    functions = part["functions"]
    for fn_name in functions:
        if fn_name not in loaded.taken.defined:
            return zero_part(name, 1.0, _not_found(fn_name, loaded.taken, live))
    if loaded.scan_problem:
        return zero_part(name, 1.0, loaded.scan_problem)
    judge = judge_from_data(part["judge"])
    cases = []
    unmoved = any(move is None for _, move in movers)
    with grader_defaults():
        for i, (suffix, move) in enumerate(movers):
            for case in part["cases"]:
                here, to = suffix, move
                if move is not None and not tensors_in((case["args"], case["kwargs"])):
                    # No tensor inputs (init_mlp, xor_network): the contract is the CPU, so the case runs
                    # once, there, whatever the devices.
                    if unmoved or i > 0:
                        continue
                    here, to = "", None
                cases.append(run_case(name, part["driver"], judge, case, loaded, here, to))
    violations = [v for f in functions for v in loaded.found.get(f, [])]
    if violations:
        return score_part(name, 1.0, cases, rules.rule_message(violations, loaded.taken.where), Status.RULE_BROKEN)
    return score_part(name, 1.0, cases)


class _Missing(Exception):
    pass


def run_case(name: str, driver: dict[str, Any], judge: Judge, case: dict[str, Any], loaded: Loaded,
             suffix: str = "", move: Mover | None = None) -> CaseVerdict:
    """One public case from its data, its tensors passed through move (to another device) first."""
    move = move or (lambda t: t)
    call = moved(Call(*case["args"], **case["kwargs"]).with_extra(**case["extra"]), move)
    mistakes = [MistakeOutput(hint, functools.partial(_available, out, move)) for hint, out in case["mistakes"]]

    def lookup(fn_name: str) -> Callable:
        fn = loaded.namespace.get(fn_name)
        if not callable(fn):
            raise _Missing(fn_name)
        return fn

    return run_here(name, driver, judge, case["label"] + suffix, False, call, map_tensors(case["expected"], move),
                    Tolerance(*case["tol"]), mistakes, lookup, taken=loaded.taken)


def run_here(name: str, driver: dict[str, Any], judge: Judge, label: str, hidden: bool, call: Call, expected: Any,
             tol: Tolerance, mistakes: list[MistakeOutput], lookup: Callable[[str], Callable],
             taken: taking.Ingested | None = None) -> CaseVerdict:
    """Run the student's code on a copy of call's inputs, in this process, and judge it.

    With taken (the statements lookup's functions were loaded from), an outcome is what the grader's
    child reports, explained as the grader explains it; without, a NotImplementedError stops the check
    (tests that call functions directly)."""
    live = fresh(call)
    try:
        result = run_driver(driver, lookup, live)
    except _Missing as e:
        outcome = Outcome("missing", name=str(e))
    except NotImplementedError as e:
        if taken is None:
            raise NotImplementedError(stub_message(name)) from None
        outcome = Outcome("error", error_type="NotImplementedError", message=namespace.short(str(e)),
                          where=namespace.innermost(e))
    except ContractError as e:
        outcome = Outcome("error", error_type="ContractError", message=namespace.short(str(e)) if taken else str(e))
    except (Exception, SystemExit) as e:
        if taken is not None:  # as the grader's child reports it
            outcome = Outcome("error", error_type=type(e).__name__, message=namespace.short(str(e)),
                              where=namespace.innermost(e),
                              name=getattr(e, "name", None) if isinstance(e, NameError) else None)
        elif isinstance(e, SystemExit):
            raise
        else:
            frames = traceback.extract_tb(e.__traceback__)
            outcome = Outcome("error", error_type=type(e).__name__, message=str(e),
                              where=f"line {frames[-1].lineno} in {frames[-1].name}" if frames else None)
    else:
        outcome = Outcome("ok", result=result, inputs_after=tensors_in((live.args, live.kwargs)))
    if taken is not None:
        outcome = explain.explain(outcome, taken)
    return judge_case(name, judge, label, hidden, call, outcome, expected, tol, mistakes)


def _available(output: Any, move: Mover) -> Any:
    if output is None:  # the mistake does not apply to this case
        raise LookupError("no output for this mistake")
    return map_tensors(output, move)


# --- a function the grader would not find ----------------------------------------------------------

def _not_found(name: str, taken: taking.Ingested, live: dict[str, Any] | None) -> str:
    """Why the grader would find no function NAME; NameError when the notebook has no NAME at all."""
    value = live.get(name) if live is not None else None
    imported = any(name in t.statement.imports for t in taken.statements)
    if name in taken.skipped_names:
        kind = f"{_kind(value, name)}, " if value is not None else ""
        what = f"{name} is {kind}assigned at {taken.skipped_names[name]}"
    elif imported:
        what = f"{name} is imported, not defined in your code"
    elif isinstance(value, types.FunctionType) and value.__name__ == name:
        what = f"{name} is defined inside another statement (an if, a with, a loop)"
    elif value is not None:
        what = f"{name} is {_kind(value, name)}"
    elif live is not None:
        raise NameError(f"{name} is not defined yet - run the cell that defines it, then this one")
    else:
        what = f"nothing defines {name}"
    return (f"no function named {name} would be found in your submission: {what}, and the grader only takes "
            f"functions defined with `def {name}(...)` at the top level of a cell or file")


def _kind(fn: Any, name: str) -> str:
    if isinstance(fn, types.FunctionType):
        if fn.__name__ == "<lambda>":
            return "a lambda"
        return "a function" if fn.__name__ == name else f"the function {fn.__qualname__} under another name"
    return f"a {type(fn).__name__} object, not a function"
