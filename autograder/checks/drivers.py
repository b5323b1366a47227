"""How a part calls the student's code (shared by the sandboxed child and the notebook).

kind "call":      function(*args, **kwargs)
kind "backward":  (out, cache) = forward(*args[:n_forward]); return backward(*args[n_forward:], cache)
kind "calls":     the function once per (args, kwargs) pair in call.args; a tuple of the results
"""

from __future__ import annotations

from typing import Any, Callable

from .values import Call, type_name


class ContractError(Exception):
    """The student's code broke the calling contract (for example a forward that returns no cache)."""


# torch's global random generators are seeded with this before every case and restored after it: code
# that draws from them (a training case with generator=None) draws the same numbers in check() as in
# the grader, whatever the notebook drew before.
CASE_SEED = 0


def run_driver(driver: dict[str, Any], lookup: Callable[[str], Callable], call: Call) -> Any:
    """Call the student's code as the part's driver says, under torch's global generators seeded with
    CASE_SEED (their state is restored afterwards); return what it returned."""
    import torch
    devices = [torch.cuda.current_device()] if torch.cuda.is_available() and torch.cuda.is_initialized() else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(CASE_SEED)
        return _call(driver, lookup, call)


def _call(driver: dict[str, Any], lookup: Callable[[str], Callable], call: Call) -> Any:
    kind = driver["kind"]
    if kind == "call":
        return lookup(driver["function"])(*call.args, **call.kwargs)
    if kind == "backward":
        n = driver["n_forward"]
        forward_result = lookup(driver["forward"])(*call.args[:n])
        if not isinstance(forward_result, (tuple, list)) or len(forward_result) != 2:
            raise ContractError(f"{driver['forward']} must return a pair (output, cache); "
                                f"got {type_name(forward_result)}")
        return lookup(driver["function"])(*call.args[n:], forward_result[1])
    if kind == "calls":
        function = lookup(driver["function"])
        return tuple(function(*args, **kwargs) for args, kwargs in call.args)
    raise ValueError(f"unknown driver kind {kind!r}")


def driver_functions(driver: dict[str, Any]) -> list[str]:
    """The student functions a driver calls (the forward of a backward part first)."""
    names = [driver["function"]]
    if driver["kind"] == "backward":
        names.insert(0, driver["forward"])
    return names
