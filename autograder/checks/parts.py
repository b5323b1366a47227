"""The authoring API of assignments/<id>/checks.py: parts, their cases and known mistakes.

A part is one graded function. ``make_inputs(g, **descriptor)`` builds one case's Call from
a seeded CPU generator and a case table of cases.toml; ``reference`` computes the expected
value with torch's own ops and autograd (references.py); ``judge`` holds the returned value
against it (judges.py); ``mistakes`` are what known mistakes return, for hints.
Used by the grader and the release only: none of it reaches a student.
"""

from __future__ import annotations

import functools
import sys
import zlib
from dataclasses import dataclass, field
from typing import Any, Callable

import torch

from .judges import Judge
from .judging import MistakeOutput
from .values import Call, fresh, map_tensors, moved

DTYPES = {"float64": torch.float64, "float32": torch.float32}


class MistakeDoesNotApply(Exception):
    """A known mistake has no output on this case (its alternative raised; the message says what)."""


@dataclass(frozen=True)
class Mistake:
    """A known mistake: ``alternative(*args, **kwargs)`` is what that mistake returns.

    ``where`` is the file and line that wrote ``Mistake(...)`` (for release's messages)."""

    alternative: Callable[..., Any]
    hint: str
    where: tuple[str, int] | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.where is None:
            try:
                caller = sys._getframe(2)  # this method, then the dataclass's __init__, then Mistake(...)'s line
                object.__setattr__(self, "where", (caller.f_code.co_filename, caller.f_lineno))
            except ValueError:
                pass


@dataclass
class Part:
    name: str
    make_inputs: Callable[..., Call]
    reference: Callable[..., Any]
    names: tuple[str, ...] | None = None
    # Left out, both are filled in by __post_init__ (a call of the part's function; a Judge of its names),
    # so neither is ever None once the Part is made.
    driver: dict[str, Any] = None  # type: ignore[assignment]
    judge: Judge = None  # type: ignore[assignment]
    mistakes: list[Mistake] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.driver is None:
            self.driver = {"kind": "call", "function": self.name}
        if self.judge is None:
            self.judge = Judge(names=tuple(self.names) if self.names else None)
        self.mistakes = list(self.mistakes)


@dataclass
class Case:
    """One case of a part: its label, its inputs, the table it came from, and whether it is hidden."""

    part: Part
    index: int
    label: str
    call: Call
    descriptor: dict[str, Any]
    hidden: bool
    _alternatives: dict[int, Any] = field(default_factory=dict, repr=False)

    @property
    def dtype(self) -> str:
        return str(self.descriptor.get("dtype", "float64"))

    def expected(self) -> Any:
        """The reference's value on a copy of the inputs."""
        again = fresh(self.call)
        return self.part.reference(*again.args, **again.kwargs)

    def compute_mistakes(self) -> None:
        """Every known mistake's output on this case, now (a grader does it once, before its workers fork)."""
        for output in self.mistake_outputs():
            try:
                output.output()
            except Exception:  # noqa: S110 - kept in the cache: this mistake does not apply here
                pass

    def move(self, move: Callable[[Any], Any]) -> None:
        """Inputs and every computed mistake output through move (a tensor -> the same on another device)."""
        self.call = moved(self.call, move)
        self._alternatives = {i: (ok, map_tensors(v, move) if ok else v) for i, (ok, v) in self._alternatives.items()}

    def mistake_outputs(self) -> list[MistakeOutput]:
        """The part's known mistakes on this case, each computed once on first use."""
        return [MistakeOutput(m.hint, self._alternative_getter(i, m)) for i, m in enumerate(self.part.mistakes)]

    def _alternative_getter(self, index: int, mistake: Mistake) -> Callable[[], Any]:
        def output() -> Any:
            if index not in self._alternatives:
                again = fresh(self.call)
                try:
                    self._alternatives[index] = (True, mistake.alternative(*again.args, **again.kwargs))
                except Exception as e:  # this mistake does not apply to this case
                    self._alternatives[index] = (False, f"{type(e).__name__}: {e}")
            ok, value = self._alternatives[index]
            if not ok:
                # A new exception each time: raising a cached one grows its traceback by the judging frames,
                # which hold each submission's returned values, for as long as the plan lives.
                raise MistakeDoesNotApply(value)
            return value
        return output


def case_seed(seed: int, part_name: str, index: int) -> int:
    """A per-case seed that depends only on the set's seed, the part and the index."""
    return (int(seed) * 1000003 + zlib.crc32(part_name.encode()) * 7919 + index) % (2 ** 62)


def describe(descriptor: dict[str, Any]) -> str:
    """A short label for a case table, e.g. 'float32 N=1 D=1 scale=1e+04'."""
    if "label" in descriptor:
        return str(descriptor["label"])
    bits: list[str] = []
    for key, value in descriptor.items():
        if key == "dtype":
            bits.insert(0, str(value))
        elif isinstance(value, float):
            bits.append(f"{key}={value:g}")
        else:
            bits.append(f"{key}={value}")
    return " ".join(bits)


def generator_arguments(descriptor: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments a case table gives the part's input generator ('label' is only a label)."""
    arguments = {k: v for k, v in descriptor.items() if k != "label"}
    if "dtype" in arguments:
        arguments["dtype"] = DTYPES[arguments["dtype"]]
    return arguments


def build_case(part: Part, index: int, descriptor: dict[str, Any], seed: int, hidden: bool = False) -> Case:
    """Case ``index`` of a part from its case table and the set's seed."""
    g = torch.Generator().manual_seed(case_seed(seed, part.name, index))
    call = part.make_inputs(g, **generator_arguments(descriptor))
    return Case(part, index, describe(descriptor), call, descriptor, hidden)


def build_cases(part: Part, descriptors: list[dict[str, Any]], seed: int, hidden: bool = False) -> list[Case]:
    """The cases of one part from its case tables and the set's seed."""
    return [build_case(part, index, descriptor, seed, hidden) for index, descriptor in enumerate(descriptors)]


# A training part's positional arguments, in order: training_calls changes some of them by name
# ("sizes": K, or layer_sizes).
_TRAINING_ARGS = ("X", "t", "sizes", "lr", "num_epochs", "batch_size")


def training_calls(args: tuple, kwargs: dict[str, Any], seed: int | None, other_seed: int | None = None) -> Call:
    """The runs of one case of a mini-batch training part (model_judges.TrainingJudge).

    args are (X, t, K or layer_sizes, lr, num_epochs, batch_size). With a seed, five runs: the case
    itself; lr = 0 for two epochs; one epoch; another generator seed; one epoch with batch_size = N;
    all but the fourth with the case's seed, so each must retrace the beginning of the first.
    Without one (generator=None, the default), four: the same minus the other seed.
    """
    def run(seed_: int | None, **changes: Any) -> tuple[tuple, dict[str, Any]]:
        changed = list(args)
        for name, value in changes.items():
            changed[_TRAINING_ARGS.index(name)] = value
        generator = {} if seed_ is None else {"generator": torch.Generator().manual_seed(seed_)}
        return tuple(changed), {**kwargs, **generator}
    n = int(args[0].shape[0])
    if seed is None:
        return Call(run(None), run(None, lr=0.0, num_epochs=2), run(None, num_epochs=1),
                    run(None, num_epochs=1, batch_size=n))
    return Call(run(seed), run(seed, lr=0.0, num_epochs=2), run(seed, num_epochs=1), run(other_seed),
                run(seed, num_epochs=1, batch_size=n))


def first_run(reference: Callable[..., Any]) -> Callable[..., Any]:
    """A reference for a case of several runs (driver "calls"): the reference's value for the first."""
    @functools.wraps(reference)
    def wrapped(*runs: tuple[tuple, dict[str, Any]]) -> Any:
        args, kwargs = runs[0]
        return reference(*args, **kwargs)
    return wrapped


def randn(g: torch.Generator, shape: tuple[int, ...] | list[int], dtype: torch.dtype = torch.float64,
          scale: float = 1.0) -> torch.Tensor:
    """Seeded normal samples: drawn in float64 on the CPU, then cast (the same on every machine)."""
    return (torch.randn(tuple(shape), generator=g, dtype=torch.float64) * scale).to(dtype)
