"""From what running the student's code produced (an Outcome) to a CaseVerdict.

The same function judges a public case in the notebook and every case in the grader.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable

import torch

from .compare import Tolerance, matches
from .judges import Judge
from .values import Call, tensors_in
from .verdict import CaseVerdict, Status

MODIFIED_INPUT_HINT = ("never change an input: avoid in-place ops like +=, -=, [...] = on arguments; work on a copy "
                       "(x = x.clone()) if you must")


@dataclass
class Outcome:
    """What one run of the student's code on one case produced (a value, or why there is none).

    status: "ok", "error", "missing" (no such function), "timeout", "crashed" (the process
    died) or "invalid" (it returned something that could not be read back).
    """

    status: str
    result: Any = None
    inputs_after: list[Any] | None = None   # the inputs as the code left them (modified-input check)
    error_type: str | None = None
    message: str | None = None
    where: str | None = None
    name: str | None = None                 # the undefined name of a NameError, the missing function
    limit: float | None = None              # the time limit of a time-out
    banned: tuple[str, ...] = ()            # banned calls a run-time tripwire saw
    seconds: float = 0.0


def outcome_message(part: str, outcome: Outcome) -> tuple[Status, str]:
    """The status and message of a case whose run produced no value to judge."""
    if outcome.status == "error":
        kind = outcome.error_type or "Exception"
        if kind == "NotImplementedError":
            return Status.NOT_IMPLEMENTED, f"not implemented yet ({part} raised NotImplementedError)"
        text = f"raised {kind}" + (f": {outcome.message}" if outcome.message else "")
        return Status.ERROR, text + (f" ({outcome.where})" if outcome.where else "")
    if outcome.status == "timeout":
        limit = f"{outcome.limit:g}" if isinstance(outcome.limit, (int, float)) else "its time limit of"
        return Status.TIMEOUT, f"did not finish within {limit} s (an infinite loop, or far too slow?)"
    if outcome.status == "missing":
        return Status.ERROR, outcome.message or f"no function named {outcome.name or part} was found in the submission"
    if outcome.status == "crashed":
        return Status.ERROR, outcome.message or "the process running your code died"
    return Status.ERROR, outcome.message or "returned something the grader cannot read"


def _modified(call: Call, outcome: Outcome) -> bool:
    for pristine, after in zip(tensors_in((call.args, call.kwargs)), outcome.inputs_after or []):
        if isinstance(after, torch.Tensor) and (after.shape != pristine.shape
                                                or not torch.equal(after.cpu(), pristine.cpu())):
            return True
    return False


@dataclass
class MistakeOutput:
    """A known mistake on one case: the output it gives (computed on demand) and its hint."""

    hint: str
    output: Callable[[], Any]   # raises when the mistake does not apply to this case


def judge_case(part: str, judge: Judge, label: str, hidden: bool, call: Call, outcome: Outcome, expected: Any,
               tol: Tolerance, mistakes: Iterable[MistakeOutput] = ()) -> CaseVerdict:
    """The verdict on one case. call holds the pristine inputs (never the copy the student's code got)."""
    if outcome.status != "ok":
        status, message = outcome_message(part, outcome)
        return CaseVerdict(label, hidden, status, message=message)
    if _modified(call, outcome):
        return CaseVerdict(label, hidden, Status.MODIFIED_INPUT, message="modified one of its inputs in place",
                           hints=(MODIFIED_INPUT_HINT,))
    judged = judge.judge(call, outcome.result, expected, tol)
    failures = [f for f in judged.findings if not f.ok]
    if not failures:
        return CaseVerdict(label, hidden, Status.OK, tuple(judged.findings))
    hints = list(judged.hints)
    view = judge.mistake_view(outcome.result)
    for mistake in mistakes:
        try:
            if matches(view, mistake.output(), tol, judge.names):
                hints.insert(0, mistake.hint)
                break
        except Exception:  # a mistake that does not apply to this case
            continue
    return CaseVerdict(label, hidden, failures[0].status, tuple(judged.findings),
                       hints=tuple(dict.fromkeys(hints)))


