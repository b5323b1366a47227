"""The check engine: build cases, run a graded function on them, judge the result.

This file is embedded verbatim in every student notebook (see embed.py) and is
also what the grader runs, so public checks and grading can never disagree. It
depends on torch and the standard library only, and defines no name that a
student writes (those live in CURRICULUM.md).

Vocabulary: a *part* is one graded function; a *case* is one set of inputs for
it; an *outcome* is what running the student's code produced (a value or an
error); a *verdict* is the engine's judgement of an outcome against the
reference, with report lines and hints.
"""

import math
import time
import traceback
import zlib

import torch

DTYPES = {"float64": torch.float64, "float32": torch.float32}
# Known mistakes are only matched when the two candidates are clearly different;
# this keeps "factor of 2" from firing on an all-zero gradient.
_HINT_RTOL = 1e-3


# ----------------------------------------------------------------------------
# Parts and cases
# ----------------------------------------------------------------------------

class Call:
    """Positional and keyword arguments for one call of a graded function.

    ``extra`` holds data for judging that must never reach the student's code
    (held-out evaluation data for training parts): only args and kwargs are
    sent to the sandbox, and fresh() copies do not carry extra.
    """

    def __init__(self, *args, **kwargs):
        self.args = tuple(args)
        self.kwargs = dict(kwargs)
        self.extra = {}

    def with_extra(self, **data):
        self.extra.update(data)
        return self


class Mistake:
    """A known mistake: ``alternative(*args, **kwargs)`` is what that mistake returns."""

    def __init__(self, alternative, hint):
        self.alternative = alternative
        self.hint = hint


class Part:
    """One graded function and how to check it.

    make_inputs(g, **descriptor) -> Call      inputs for one case (g: a seeded CPU generator)
    reference(*args, **kwargs)   -> expected   computed with torch's own ops / autograd
    names                        -> labels for the elements of a returned tuple
    driver                       -> how to call the student's code (see run_driver)
    judge(call, got, expected, tol) -> list of (ok, label, message) replacing the default
                                     comparison (for parts graded by what they reach)
    mistakes                     -> Mistake signatures tried when a case fails
    """

    def __init__(self, name, make_inputs, reference, names=None, driver=None,
                 judge=None, mistakes=(), returns_int=False):
        self.name = name
        self.make_inputs = make_inputs
        self.reference = reference
        self.names = names
        self.driver = driver or {"kind": "call", "function": name}
        self.judge = judge
        self.mistakes = list(mistakes)
        self.returns_int = returns_int


class Case:
    """One case of a part: its label, the call, and the descriptor it came from."""

    def __init__(self, part, index, label, call, descriptor, hidden):
        self.part = part
        self.index = index
        self.label = label
        self.call = call
        self.descriptor = descriptor
        self.hidden = hidden


def case_seed(seed, part_name, index):
    """A per-case seed that depends only on the set's seed, the part and the index."""
    return (int(seed) * 1000003 + zlib.crc32(part_name.encode()) * 7919 + index) % (2 ** 62)


def describe(descriptor):
    """A short human label for a case descriptor, e.g. 'float32 N=1 D=1 scale=1e4'."""
    if "label" in descriptor:
        return str(descriptor["label"])
    bits = []
    for key, value in descriptor.items():
        if key == "dtype":
            bits.insert(0, str(value))
        elif isinstance(value, float):
            bits.append(f"{key}={value:g}")
        else:
            bits.append(f"{key}={value}")
    return " ".join(bits)


def build_cases(part, descriptors, seed, hidden=False):
    """The cases of one part from its descriptors (a list of dicts) and a seed."""
    cases = []
    for index, descriptor in enumerate(descriptors):
        g = torch.Generator().manual_seed(case_seed(seed, part.name, index))
        params = {k: v for k, v in descriptor.items() if k != "label"}
        if "dtype" in params:
            params["dtype"] = DTYPES[params["dtype"]]
        call = part.make_inputs(g, **params)
        cases.append(Case(part, index, describe(descriptor), call, descriptor, hidden))
    return cases


def randn(g, shape, dtype=torch.float64, scale=1.0):
    """Seeded normal samples: drawn in float64 on the CPU, then cast (reproducible)."""
    return (torch.randn(shape, generator=g, dtype=torch.float64) * scale).to(dtype)


# ----------------------------------------------------------------------------
# Running the student's code (shared by the notebook and the sandboxed child)
# ----------------------------------------------------------------------------

def run_driver(driver, lookup, call):
    """Call the student's code as the part's driver says; return what it returned.

    kind "call":      function(*args, **kwargs)
    kind "backward":  (out, cache) = forward(*args[:n_forward]); return backward(*args[n_forward:], cache)
    kind "calls":     function called once per (args, kwargs) pair in call.args; a tuple of the results
    """
    kind = driver["kind"]
    if kind == "call":
        return lookup(driver["function"])(*call.args, **call.kwargs)
    if kind == "backward":
        n = driver["n_forward"]
        forward_result = lookup(driver["forward"])(*call.args[:n])
        if not isinstance(forward_result, (tuple, list)) or len(forward_result) != 2:
            raise StudentContractError(
                f"{driver['forward']} must return a pair (output, cache); "
                f"got {type_name(forward_result)}")
        return lookup(driver["function"])(*call.args[n:], forward_result[1])
    if kind == "calls":  # the same function several times in one case: call.args holds (args, kwargs) pairs
        function = lookup(driver["function"])
        return tuple(function(*args, **kwargs) for args, kwargs in call.args)
    raise ValueError(f"unknown driver kind {kind!r}")


def driver_functions(driver):
    """The student functions a driver calls (the forward of a backward part included)."""
    names = [driver["function"]]
    if driver["kind"] == "backward":
        names.insert(0, driver["forward"])
    return names


class StudentContractError(Exception):
    """The student's code broke the calling contract (wrong return structure)."""


def tensors_in(value):
    """Every tensor inside a nested tuple/list/dict, in a fixed order."""
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, (tuple, list)):
        return [t for v in value for t in tensors_in(v)]
    if isinstance(value, dict):
        return [t for k in sorted(value, key=str) for t in tensors_in(value[k])]
    return []


def type_name(value):
    if isinstance(value, torch.Tensor):
        return f"a {tuple(value.shape)} {str(value.dtype).replace('torch.', '')} tensor"
    if isinstance(value, (tuple, list)):
        return f"a {type(value).__name__} of length {len(value)}"
    if value is None:
        return "None"
    if isinstance(getattr(value, "type_name", None), str):  # the grader's stand-in for an object it cannot read
        return f"a {value.type_name}"
    return f"a {type(value).__name__}"


# ----------------------------------------------------------------------------
# Judging
# ----------------------------------------------------------------------------

class Verdict:
    """The judgement of one case: passed or not, report lines, hints."""

    def __init__(self, case, passed, lines, hints=()):
        self.case = case
        self.passed = passed
        self.lines = list(lines)
        self.hints = list(dict.fromkeys(hints))


def fmt_index(index):
    return "[" + ", ".join(str(int(i)) for i in index) + "]" if index else "[]"


def max_diff(got, expected):
    """(largest |got - expected|, its index) in float64; inf where the two disagree on finiteness."""
    g = got.detach().to("cpu", torch.float64)
    e = expected.detach().to("cpu", torch.float64)
    diff = (g - e).abs()
    diff = torch.where(torch.isnan(diff), torch.full_like(diff, math.inf), diff)
    if diff.numel() == 0:
        return 0.0, ()
    flat = int(torch.argmax(diff))
    index, rest = [], flat
    for size in reversed(diff.shape):  # by hand: torch.unravel_index's first call imports sympy
        rest, position = divmod(rest, size)
        index.insert(0, position)
    return float(diff.reshape(-1)[flat]), tuple(index)


def close(got, expected, tol):
    g = got.detach().to("cpu", torch.float64)
    e = expected.detach().to("cpu", torch.float64)
    return g.shape == e.shape and bool(torch.allclose(g, e, atol=tol.atol, rtol=tol.rtol))


def compare_tensor(label, got, expected, tol, exact_dtype=True, reveal=False):
    """Shape, then dtype and device, then finiteness, then values: (ok, message)."""
    if not isinstance(got, torch.Tensor):
        return False, f"expected a tensor, got {type_name(got)}"
    if tuple(got.shape) != tuple(expected.shape):
        return False, f"shape {tuple(got.shape)}, expected {tuple(expected.shape)}"
    if exact_dtype and got.dtype != expected.dtype:
        return False, (f"dtype {str(got.dtype).replace('torch.', '')}, expected "
                       f"{str(expected.dtype).replace('torch.', '')} (the dtype of the inputs)")
    if got.device.type != expected.device.type:
        return False, f"on device {got.device.type}, expected {expected.device.type} (the device of the inputs)"
    if got.is_floating_point() and not bool(torch.isfinite(got).all()):
        bad = "nan" if bool(torch.isnan(got).any()) else "inf"
        return False, f"got {bad} - use a numerically stable form"
    if not got.is_floating_point() and expected.is_floating_point():
        got = got.to(expected.dtype)
    if close(got, expected, tol):
        return True, "ok"
    diff, index = max_diff(got, expected)
    message = f"max |diff| {diff:.1e} at {fmt_index(index)}   (atol {tol.atol:.0e}, rtol {tol.rtol:.0e})"
    if reveal:
        g = got.detach().reshape(-1)[0] if got.dim() == 0 else got.detach()[index]
        e = expected.detach().reshape(-1)[0] if expected.dim() == 0 else expected.detach()[index]
        message += f"   got {float(g):.6g}, expected {float(e):.6g}"
    return False, message


def compare(got, expected, tol, names=None, label="", reveal=False):
    """Walk expected's structure; return [(ok, label, message, got_leaf, expected_leaf)]."""
    if isinstance(expected, torch.Tensor):
        ok, message = compare_tensor(label, got, expected, tol, reveal=reveal)
        return [(ok, label or "result", message, got, expected)]
    if isinstance(expected, tuple):
        if not isinstance(got, (tuple, list)) or len(got) != len(expected):
            what = ", ".join(names) if names else f"{len(expected)} values"
            return [(False, label or "result", f"expected a tuple ({what}), got {type_name(got)}", got, expected)]
        out = []
        for i, (g, e) in enumerate(zip(got, expected)):
            sub = names[i] if names and i < len(names) else f"{label}[{i}]"
            out += compare(g, e, tol, None, sub, reveal)
        return out
    if isinstance(expected, dict):
        if not isinstance(got, dict):
            return [(False, label or "result", f"expected a dict with keys {sorted(expected)}, got {type_name(got)}", got, expected)]
        if set(map(str, got)) != set(expected):
            return [(False, label or "result", f"keys {sorted(map(str, got))}, expected {sorted(expected)}", got, expected)]
        out = []
        for key in expected:
            out += compare(got[key], expected[key], tol, None, f"{label}[{key!r}]", reveal)
        return out
    # Python scalars (ints, strings) compare exactly.
    ok = got == expected and type(got) is type(expected)
    return [(ok, label or "result", "ok" if ok else f"got {got!r}, expected {expected!r}", got, expected)]


def generic_hints(got, expected, call):
    """Hints from the shape of an error in one tensor: factors of N or 2, sign, transpose, broadcasting."""
    if not isinstance(got, torch.Tensor) or not isinstance(expected, torch.Tensor):
        return []
    g = got.detach().to("cpu", torch.float64)
    e = expected.detach().to("cpu", torch.float64)
    hints = []
    n = None
    for a in call.args:
        if isinstance(a, torch.Tensor) and a.dim() >= 1:
            n = a.shape[0]
            break
    if g.shape != e.shape:
        if g.dim() == e.dim() == 2 and g.shape == e.shape[::-1] and e.shape[0] != e.shape[1]:
            if torch.allclose(g.T, e, rtol=_HINT_RTOL, atol=1e-8):
                hints.append("your result is the transpose of the expected one - check which side X and W.T go on")
            else:
                hints.append(f"shape {tuple(g.shape)} is the transpose of {tuple(e.shape)} - a gradient has the shape of its parameter")
        elif e.dim() == 0 and g.numel() == 1:
            hints.append("return a 0-dim tensor (e.g. .sum() or .mean() without keepdim, or .reshape(()))")
        elif g.numel() == e.numel():
            hints.append(f"shape {tuple(g.shape)} instead of {tuple(e.shape)} - watch (N,) against (N, 1) broadcasting; "
                         "squeeze or index the extra dimension away")
        elif g.dim() == 2 and e.dim() == 1 and g.shape[0] == g.shape[1] == e.shape[0]:
            hints.append("an (N,) and an (N, 1) tensor broadcast to (N, N) - keep both one-dimensional")
        return hints
    if not torch.isfinite(g).all() or e.abs().max() == 0:
        return hints
    candidates = [(-1.0, "the sign is flipped - check the order in (y - t) or the direction of the step")]
    if n and n > 1:
        candidates += [(float(n), "your result is exactly N times the expected one - did you forget to average over the batch (1/N)?"),
                       (1.0 / n, "your result is 1/N of the expected one - did you divide by N twice?")]
    candidates += [(2.0, "your result is exactly twice the expected one - check the factor 1/2 in the cost"),
                   (0.5, "your result is half the expected one - did you include a factor 1/2 that cancels?")]
    for factor, hint in candidates:
        if torch.allclose(g, factor * e, rtol=_HINT_RTOL, atol=1e-12) and not torch.allclose(e, factor * e, rtol=_HINT_RTOL):
            hints.append(hint)
            break
    return hints


def judge(part, case, outcome, expected, tol, reveal=False):
    """The verdict for one case, given the outcome of running the student's code."""
    name = part.name
    if outcome["status"] != "ok":
        return Verdict(case, False, [outcome_message(name, outcome)], outcome.get("hints", ()))
    got = outcome["result"]
    lines, hints = [], []
    for pristine, after in zip(tensors_in((case.call.args, case.call.kwargs)), outcome.get("inputs_after") or []):
        if isinstance(after, torch.Tensor) and (after.shape != pristine.shape or not torch.equal(after.cpu(), pristine.cpu())):
            lines.append("modified one of its inputs in place")
            hints.append("never change an input: avoid in-place ops like +=, -=, [...] = on arguments; "
                         "work on a copy (x = x.clone()) if you must")
            return Verdict(case, False, lines, hints)
    if part.judge is not None:
        findings = part.judge(case.call, got, expected, tol)
        leaves = [(ok, label, message, None, None) for ok, label, message in findings]
    else:
        leaves = compare(got, expected, tol, part.names, reveal=reveal)
    passed = all(ok for ok, *_ in leaves)
    for ok, label, message, g, e in leaves:
        if not ok:
            lines.append(f"{label}  FAIL  {message}")
            hints += generic_hints(g, e, case.call)
    if not passed:
        for index, mistake in enumerate(part.mistakes):
            try:
                alternative = _alternative(case, index, mistake)
                if all(ok for ok, *_ in compare(got, alternative, tol, part.names)):
                    hints.insert(0, mistake.hint)
                    break
            except Exception:  # a signature that does not apply to this case
                continue
    return Verdict(case, passed, lines, hints)


def _alternative(case, index, mistake):
    """What a known mistake returns on this case; cached on the case (the grader reuses cases)."""
    cache = case.__dict__.setdefault("alternatives", {})
    if index not in cache:
        again = fresh(case.call)
        cache[index] = mistake.alternative(*again.args, **again.kwargs)
    return cache[index]


def outcome_message(name, outcome):
    status = outcome["status"]
    if status == "error":
        kind = outcome.get("error_type", "Exception")
        text = outcome.get("message", "")
        where = outcome.get("where")
        if kind == "NotImplementedError":
            return f"not implemented yet ({name} raised NotImplementedError)"
        return f"raised {kind}" + (f": {text}" if text else "") + (f" ({where})" if where else "")
    if status == "timeout":
        limit = outcome.get("limit")
        limit = f"{limit:g}" if isinstance(limit, (int, float)) else "its time limit of"
        return f"did not finish within {limit} s (an infinite loop, or far too slow?)"
    if status == "missing":
        return outcome.get("message") or f"no function named {name} was found in the submission"
    if status == "crashed":
        return outcome.get("message") or "the process running your code died"
    if status == "invalid":
        return outcome.get("message", "returned something the grader cannot read")
    return outcome.get("message", status)


# ----------------------------------------------------------------------------
# Running a case in-process (the notebook's public checks)
# ----------------------------------------------------------------------------

def run_in_process(part, case, lookup):
    """Run the student's code on one case here; return an outcome dict."""
    # The student works on a copy, so case.call stays pristine for the comparison.
    live = fresh(case.call)
    start = time.perf_counter()
    try:
        result = run_driver(part.driver, lookup, live)
    except NotImplementedError:
        raise
    except StudentContractError as e:
        return {"status": "error", "error_type": "ContractError", "message": str(e)}
    except Exception as e:
        tb = traceback.extract_tb(e.__traceback__)
        where = f"line {tb[-1].lineno} in {tb[-1].name}" if tb else None
        return {"status": "error", "error_type": type(e).__name__, "message": str(e), "where": where}
    return {"status": "ok", "result": result, "inputs_after": tensors_in((live.args, live.kwargs)),
            "seconds": time.perf_counter() - start}


def fresh(call):
    """A deep copy of a call, generators included, so nothing consumes the original."""
    return Call(*clone_structure(call.args), **clone_structure(call.kwargs))


def clone_structure(value):
    if isinstance(value, torch.Tensor):
        return value.clone()
    if isinstance(value, tuple):
        return tuple(clone_structure(v) for v in value)
    if isinstance(value, list):
        return [clone_structure(v) for v in value]
    if isinstance(value, dict):
        return {k: clone_structure(v) for k, v in value.items()}
    if isinstance(value, torch.Generator):
        g = torch.Generator(device=value.device)
        g.set_state(value.get_state())
        return g
    return value


def format_part_report(name, verdicts, score=None, points=None, limit=3):
    """Report lines for one part: a header, then each failed case and its hints."""
    passed = sum(v.passed for v in verdicts)
    header = f"{name}   {passed}/{len(verdicts)} cases passed"
    if score is not None:
        header = f"{name}   {score:g} / {points:g}   ({passed}/{len(verdicts)} cases passed)"
    lines = [header]
    shown = 0
    for v in verdicts:
        if v.passed:
            continue
        shown += 1
        if shown > limit:
            lines.append(f"  ... and {len(verdicts) - passed - limit} more failed case(s)")
            break
        tag = "hidden case" if v.case.hidden else "case"
        first, *rest = v.lines or ["FAIL"]
        lines.append(f"  {tag} {v.case.label}   {first}")
        lines += [f"      {line}" for line in rest]
        lines += [f"  hint: {h}" for h in v.hints]
    return lines


# ----------------------------------------------------------------------------
# Helpers for writing references (used by assignments/<id>/checks.py)
# ----------------------------------------------------------------------------

def _map_tensors(value, fn):
    if isinstance(value, torch.Tensor):
        return fn(value)
    if isinstance(value, tuple):
        return tuple(_map_tensors(v, fn) for v in value)
    if isinstance(value, list):
        return [_map_tensors(v, fn) for v in value]
    if isinstance(value, dict):
        return {k: _map_tensors(v, fn) for k, v in value.items()}
    return value


def in_float64(reference):
    """Run a reference in float64 on the CPU; cast floating results back to the inputs' dtype and device.

    The truth for a float32 case is computed in float64, so a float32 answer is
    judged against the exact value, not against torch's own float32 rounding.
    """
    def wrapped(*args, **kwargs):
        floats = [t for t in tensors_in((args, kwargs)) if t.is_floating_point()]
        dtype = floats[0].dtype if floats else None
        device = tensors_in((args, kwargs))[0].device if tensors_in((args, kwargs)) else torch.device("cpu")
        to64 = lambda t: t.detach().to("cpu", torch.float64) if t.is_floating_point() else t.detach().to("cpu")
        out = reference(*_map_tensors(args, to64), **_map_tensors(kwargs, to64))
        back = lambda t: t.detach().to(device, dtype) if (t.is_floating_point() and dtype is not None) else t.detach().to(device)
        return _map_tensors(out, back)
    wrapped.__name__ = getattr(reference, "__name__", "reference")
    return wrapped


def autograd_grads(loss_fn, args, wrt):
    """Gradients of loss_fn(*args) with respect to args[i] for i in wrt, by torch.autograd.grad."""
    leaves = [a.detach().clone().requires_grad_(True) if i in wrt else a for i, a in enumerate(args)]
    loss = loss_fn(*leaves)
    grads = torch.autograd.grad(loss, [leaves[i] for i in wrt])
    return tuple(g.detach() for g in grads)


def judge_descent(call, got, expected, tol):
    """Full-batch gradient descent, judged step for step: (w, b, costs) on the reference trajectory.

    w and b must match exactly (within tol); a float32 cost history is accepted for
    float64 inputs, its values still count.
    """
    if not isinstance(got, (tuple, list)) or len(got) != 3:
        return [(False, "result", f"expected a tuple (w, b, costs), got {type_name(got)}")]
    findings = []
    for label, g, e in zip(("w", "b"), got[:2], expected[:2]):
        ok, message = compare_tensor(label, g, e, tol)
        findings.append((ok, label, message))
    costs, e_costs = got[2], expected[2]
    if isinstance(costs, torch.Tensor) and costs.is_floating_point() and costs.dtype != e_costs.dtype:
        costs = costs.to(e_costs.dtype)
    ok, message = compare_tensor("costs", costs, e_costs, tol)
    if not ok and isinstance(got[2], (list, tuple)):
        message += " - return the costs as one 1-D tensor (e.g. torch.stack(costs))"
    findings.append((ok, "costs", message))
    return findings


def cost_history_findings(costs, X, num_epochs, before, diverged):
    """Findings on a training part's cost history: one 1-D floating tensor of num_epochs + 1
    entries, with X's dtype (float32 accepted too) and device, all finite. Empty when fine.

    before: what costs[0] is, in the words of the assignment; diverged: the hint for nan/inf.
    """
    if isinstance(costs, (list, tuple)):
        return [(False, "costs", f"expected a 1-D tensor, got {type_name(costs)} - return the costs as one "
                                 "1-D tensor (e.g. torch.stack(costs))")]
    if not isinstance(costs, torch.Tensor) or not costs.is_floating_point():
        return [(False, "costs", f"expected a 1-D floating-point tensor, got {type_name(costs)}")]
    if costs.dim() != 1 or costs.shape[0] != num_epochs + 1:
        message = f"shape {tuple(costs.shape)}, expected ({num_epochs + 1},)"
        if costs.dim() == 1 and costs.shape[0] == num_epochs:
            message += f" - one entry short: {before}, then one entry after each epoch"
        elif costs.dim() == 1 and costs.shape[0] == num_epochs + 2:
            message += " - one entry too many: the cost before training, then one after each epoch"
        elif costs.dim() == 1 and costs.shape[0] > num_epochs + 2:
            message += " - record the full-batch cost once per epoch, not once per batch"
        return [(False, "costs", message)]
    if costs.dtype not in (X.dtype, torch.float32):  # a float32 history is accepted for float64 inputs
        return [(False, "costs", f"dtype {str(costs.dtype).replace('torch.', '')}, expected "
                                 f"{str(X.dtype).replace('torch.', '')} (the dtype of X)")]
    if costs.device.type != X.device.type:
        return [(False, "costs", f"on device {costs.device.type}, expected {X.device.type} (the device of X)")]
    if not bool(torch.isfinite(costs).all()):
        bad = "nan" if bool(torch.isnan(costs).any()) else "inf"
        return [(False, "costs", f"got {bad} - {diverged}")]
    return []


def cost_reached(cost_fn, got_params, best_params, tol, labels):
    """Findings for a part graded by the cost it reaches: shapes, finiteness, then cost <= best (within tol)."""
    findings = []
    if not isinstance(got_params, (tuple, list)) or len(got_params) < len(best_params):
        return [(False, "result", f"expected a tuple ({', '.join(labels)}), got {type_name(got_params)}")]
    for label, g, e in zip(labels, got_params, best_params):
        ok, message = compare_tensor(label, g, e, tol)
        if not ok and not message.startswith("max |diff|"):
            findings.append((False, label, message))
    if findings:
        return findings
    got_cost = float(cost_fn(*got_params[:len(best_params)]))
    best_cost = float(cost_fn(*best_params))
    if not math.isfinite(got_cost) or got_cost > best_cost + tol.atol + tol.rtol * abs(best_cost):
        # The minimum itself is not printed: for a hidden case it is an expected value.
        return [(False, "cost", f"reaches cost {got_cost:.6g}, which is above the minimum by more than "
                                f"the tolerance (atol {tol.atol:.0e}, rtol {tol.rtol:.0e})")]
    return [(True, "cost", "ok")]


# ----------------------------------------------------------------------------
# The notebook's check(name)
# ----------------------------------------------------------------------------

class Tolerance:
    def __init__(self, atol, rtol):
        self.atol = atol
        self.rtol = rtol


def _to_device(call, device):
    move = lambda t: t.to(device)
    moved = Call(*_map_tensors(call.args, move), **_map_tensors(call.kwargs, move))
    return moved.with_extra(**_map_tensors(call.extra, move))


def make_public_checker(namespace, descriptors, seed, tolerances):
    """check(name): run one graded function's public cases on the notebook's current definition.

    namespace: the notebook's globals (looked up at call time, so re-running a
    cell is picked up); descriptors/seed: the public cases; tolerances:
    part -> dtype -> (atol, rtol).
    """
    parts = globals()["PARTS"]

    def check(name):
        if name not in parts:
            raise ValueError(f"there is no graded function named {name!r}; the graded functions are: "
                             + ", ".join(parts))
        part = parts[name]

        def lookup(fn_name):
            fn = namespace.get(fn_name)
            if not callable(fn):
                raise NameError(f"{fn_name} is not defined yet - run the cell that defines it, then this one")
            return fn

        cases = build_cases(part, descriptors.get(name, []), seed)
        if torch.cuda.is_available() and cases:
            first = cases[0]
            cases.append(Case(part, len(cases), first.label + " on cuda",
                              _to_device(first.call, "cuda"), first.descriptor, False))
        verdicts = []
        for case in cases:
            again = fresh(case.call)
            expected = part.reference(*again.args, **again.kwargs)
            try:
                outcome = run_in_process(part, case, lookup)
            except NotImplementedError:
                raise NotImplementedError(
                    f"{name} is not implemented yet: write your code in its cell (replacing the TODO and the "
                    f"raise NotImplementedError line), run that cell, then run this check again.") from None
            atol, rtol = tolerances[name][case.descriptor.get("dtype", "float64")]
            verdicts.append(judge(part, case, outcome, expected, Tolerance(atol, rtol), reveal=True))
        passed = sum(v.passed for v in verdicts)
        if passed == len(verdicts):
            cases = "the public case passes" if passed == 1 else f"all {passed} public cases pass"
            print(f"{name}: {cases}. The grader also runs hidden cases.")
        else:
            print("\n".join(format_part_report(name, verdicts, limit=len(verdicts))))
    return check
