"""Do the PUBLIC cases alone (what the notebook's check() runs) catch what the hidden cases catch?

For each mistake below, the public cases of its part must fail the buggy implementation while the
reference solution, and a correct implementation that draws its random numbers another way,
pass them: "check() passes" should predict the grade (issue 19, items 3 and 5).

- float32: a part whose hidden cases include float32 has a public float32 case;
- generator=None: training functions and init_mlp are run without a generator;
- weight decay: train_mlp has a public case with weight_decay > 0;
- batch sizes: a public mini-batch case has a batch size that does not divide N;
- shuffling: training that never shuffles, shuffles once before the epochs, or drops the
  last (short) batch fails a public case, for fit_softmax_regression and train_mlp alike.

The public cases are judged as in tests/conftest.py's run_part (the grader's judging, run in
this process), with the public cases only.
"""

from __future__ import annotations

import functools
import math

import pytest
import torch

from autograder.assignment import load_assignment
from autograder.checks.parts import build_cases
from autograder.layout import KIT_LAYOUT
from autograder.checks.public import run_here
from conftest import ROOT, load_module

ASSIGNMENTS = ("linear_regression", "logistic_regression", "softmax_regression", "mlp")
REFERENCE = {a: load_module(ROOT / "solutions" / f"{a}.py") for a in ASSIGNMENTS}
SOFTMAX, MLP = REFERENCE["softmax_regression"], REFERENCE["mlp"]


@pytest.fixture(autouse=True)
def _seeded_global_generator():
    """Runs with generator=None draw from torch's global generator: seed it, and restore it afterwards.
    One thread: these are many small tensors, where more threads only add overhead."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with torch.random.fork_rng():
            torch.manual_seed(20260)
            yield
    finally:
        torch.set_num_threads(threads)


@functools.lru_cache(maxsize=None)
def _public_cases(assignment: str, name: str):
    """(case, expected value, tolerance) of every public case of one part, built once."""
    loaded = load_assignment(KIT_LAYOUT, assignment)
    spec, part = loaded.spec, loaded.checks.PARTS[name]
    out = []
    for case in build_cases(part, spec.public.cases.get(name, []), spec.public.seed):
        out.append((case, case.expected(), spec.part(name).tolerances[case.dtype]))
    return part, out


def run_public(assignment: str, name: str, impl: dict, where: str | None = None):
    """{case label: (passed, findings text)} for one part's public cases (those whose label contains
    `where`, when given); impl maps function names to the code under test, every other name comes
    from the reference solution."""
    part, cases = _public_cases(assignment, name)
    lookup = lambda n: impl.get(n) or getattr(REFERENCE[assignment], n)  # noqa: E731
    verdicts = {}
    for case, expected, tol in cases:
        if where is not None and where not in case.label:
            continue
        v = run_here(name, part.driver, part.judge, case.label, False, case.call, expected, tol,
                     case.mistake_outputs(), lookup)
        said = [f"{f.label}: {f.message}" for f in v.findings if not f.ok] + list(v.hints)
        text = "; ".join(said) or (v.message or "")
        verdicts[case.label] = (v.passed, text)
    return verdicts


def assert_caught(assignment: str, name: str, impl: dict, where: str) -> None:
    """A public case of the part whose label contains `where` fails impl (only those are run)."""
    verdicts = run_public(assignment, name, impl, where)
    assert verdicts, f"{name} has no public case labelled with {where!r}"
    assert not all(passed for passed, _ in verdicts.values()), \
        f"the public cases of {name} ({where!r}) pass the buggy code: {verdicts}"


def assert_passes(assignment: str, name: str, impl: dict) -> None:
    verdicts = run_public(assignment, name, impl)
    assert all(passed for passed, _ in verdicts.values()), verdicts


# --- item 1: a public float32 case wherever the hidden cases have float32 ----------------------

def _float32_parts():
    out = []
    for a in ASSIGNMENTS:
        spec = load_assignment(KIT_LAYOUT, a).spec
        for p in spec.parts:
            if any(c.get("dtype") == "float32" for c in spec.hidden.cases.get(p.name, [])):
                out.append((a, p.name))
    return out


FLOAT32_PARTS = _float32_parts()


@pytest.mark.parametrize("assignment, name", FLOAT32_PARTS)
def test_has_every_part_with_hidden_float32_a_public_float32_case(assignment, name):
    assert any(c.get("dtype") == "float32" for c in load_assignment(KIT_LAYOUT, assignment).spec.public.cases[name])


def _as_float64(value):
    """float32 tensors (nested in tuples, lists, dicts) as float64: what code that computes in float64
    and never casts back returns for float32 inputs (float64 inputs are untouched)."""
    if isinstance(value, torch.Tensor):
        return value.to(torch.float64) if value.dtype == torch.float32 else value
    if isinstance(value, (tuple, list)):
        return type(value)(_as_float64(v) for v in value)
    if isinstance(value, dict):
        return {k: _as_float64(v) for k, v in value.items()}
    return value


# predict_classes returns int64 whatever the input dtype, so returning float64 is no mistake there.
FLOAT32_RESULT_PARTS = [(a, n) for a, n in FLOAT32_PARTS if n != "predict_classes"]


@pytest.mark.parametrize("assignment, name", FLOAT32_RESULT_PARTS)
def test_does_a_float32_only_bug_fail_a_public_case(assignment, name):
    reference = getattr(REFERENCE[assignment], name)
    float64_out = lambda *args, **kwargs: _as_float64(reference(*args, **kwargs))  # noqa: E731
    assert_caught(assignment, name, {name: float64_out}, where="float32")


# --- the reference and another correct way of drawing pass -------------------------------------

@pytest.mark.parametrize("assignment, name", [(a, p) for a in ASSIGNMENTS
                                              for p in load_assignment(KIT_LAYOUT, a).part_names])
def test_does_the_reference_pass_every_public_case(assignment, name):
    assert_passes(assignment, name, {})


# --- training functions written with the mistakes of items 3 to 5 ----------------------------

def _orders(mistake, N, generator):
    """The order of every epoch: correct (a new torch.randperm each epoch) or with a mistake."""
    if mistake == "argsort":  # correct, but drawn another way: argsort of uniform numbers
        while True:
            yield torch.argsort(torch.rand(N, generator=generator))
    if mistake == "no shuffle" or (mistake == "no shuffle without a generator" and generator is None):
        while True:
            yield torch.arange(N)
    if mistake == "shuffle once":
        once = torch.randperm(N, generator=generator)
        while True:
            yield once
    if mistake == "crash without a generator":
        device = generator.device  # AttributeError for generator=None
        while True:
            yield torch.randperm(N, generator=generator, device=device)
    while True:
        yield torch.randperm(N, generator=generator)


def _batches(mistake, order, batch_size):
    N = order.shape[0]
    if mistake == "drop last batch":
        return [order[s:s + batch_size] for s in range(0, N - batch_size + 1, batch_size)]
    if mistake == "reshape into batches":  # only works when batch_size divides N
        return list(order.view(-1, batch_size))
    return [order[s:s + batch_size] for s in range(0, N, batch_size)]


def fit_with(mistake):
    def fit_softmax_regression(X, t, num_classes, lr, num_epochs, batch_size, generator=None):
        N, D = X.shape
        W = torch.zeros(num_classes, D, dtype=X.dtype, device=X.device)
        b = torch.zeros(num_classes, dtype=X.dtype, device=X.device)
        costs = [SOFTMAX.softmax_cross_entropy(X @ W.T + b, t)]
        orders = _orders(mistake, N, generator)
        for _ in range(num_epochs):
            for batch in _batches(mistake, next(orders).to(X.device), batch_size):
                dW, db = SOFTMAX.softmax_regression_gradients(X[batch], t[batch], W, b)
                W, b = W - lr * dW, b - lr * db
            costs.append(SOFTMAX.softmax_cross_entropy(X @ W.T + b, t))
        return W, b, torch.stack(costs)
    return fit_softmax_regression


def train_with(mistake):
    def train_mlp(X, t, layer_sizes, lr, num_epochs, batch_size, activation="relu", weight_decay=0.0,
                  generator=None):
        params = {k: v.to(device=X.device, dtype=X.dtype) for k, v in MLP.init_mlp(layer_sizes, generator).items()}
        if mistake == "argsort":  # correct too: weights of variance 1 / fan-in instead of 2 / fan-in
            params = {k: v / math.sqrt(2) if k.startswith("W") else v for k, v in params.items()}
        step_decay = 0.0 if mistake == "no weight decay in the updates" else weight_decay
        cost_decay = 0.0 if mistake == "no weight decay in the costs" else weight_decay
        costs = [MLP.mlp_loss_and_gradients(X, t, params, activation, cost_decay)[0]]
        orders = _orders(mistake, X.shape[0], generator)
        for _ in range(num_epochs):
            for batch in _batches(mistake, next(orders).to(X.device), batch_size):
                _, grads = MLP.mlp_loss_and_gradients(X[batch], t[batch], params, activation, step_decay)
                params = {k: p - lr * grads[k] for k, p in params.items()}
            costs.append(MLP.mlp_loss_and_gradients(X, t, params, activation, cost_decay)[0])
        return params, torch.stack(costs)
    return train_mlp


TRAINING = [("softmax_regression", "fit_softmax_regression", fit_with), ("mlp", "train_mlp", train_with)]
IDS = ["fit_softmax_regression", "train_mlp"]


@pytest.mark.parametrize("assignment, name, make", TRAINING, ids=IDS)
def test_do_correct_training_loops_pass_the_public_cases(assignment, name, make):
    """Written like the mistakes below, without one; and with orders drawn another way (and, for
    train_mlp, weights of variance 1 / fan-in), which the contract allows too."""
    assert_passes(assignment, name, {name: make(None)})
    assert_passes(assignment, name, {name: make("argsort")})


# Each mistake, and the public case that must catch it (its label contains the text).
MISTAKES = [
    ("no shuffle", "the rows are sorted by class"),
    ("no shuffle without a generator", "generator=None"),
    ("shuffle once", "first order"),
    ("drop last batch", "batch_size=64 > N"),
    ("crash without a generator", "generator=None"),
    ("reshape into batches", "batch_size="),
]


@pytest.mark.parametrize("mistake, where", MISTAKES, ids=[m for m, _ in MISTAKES])
@pytest.mark.parametrize("assignment, name, make", TRAINING, ids=IDS)
def test_does_a_public_case_catch_the_training_mistake(assignment, name, make, mistake, where):
    assert_caught(assignment, name, {name: make(mistake)}, where)


# Where the buggy code draws its random numbers as the assignment asks, its results are those of a
# known mistake, and the feedback names it.
NAMED = [
    ("softmax_regression", "fit_softmax_regression", fit_with, "no shuffle", "generator=None", "never shuffles"),
    ("softmax_regression", "fit_softmax_regression", fit_with, "shuffle once", "first order", "shuffles once"),
    ("softmax_regression", "fit_softmax_regression", fit_with, "drop last batch", "> N", "skips the last batch"),
    ("mlp", "train_mlp", train_with, "shuffle once", "first order", "shuffles once"),
    ("mlp", "train_mlp", train_with, "drop last batch", "> N", "skips the last batch"),
]


@pytest.mark.parametrize("assignment, name, make, mistake, where, hint", NAMED,
                         ids=[f"{n}-{m}" for _, n, _, m, _, _ in NAMED])
def test_is_the_training_mistake_named(assignment, name, make, mistake, where, hint):
    verdicts = run_public(assignment, name, {name: make(mistake)}, where)
    assert any(not passed and hint in text for passed, text in verdicts.values()), verdicts


@pytest.mark.parametrize("mistake", ["no weight decay in the costs", "no weight decay in the updates"])
def test_does_a_public_case_catch_train_mlp_ignoring_weight_decay(mistake):
    assert_caught("mlp", "train_mlp", {"train_mlp": train_with(mistake)}, "weight_decay=")


def test_do_the_public_training_cases_have_what_the_hidden_ones_test():
    """A case without a generator, one whose batch size does not divide N, and (train_mlp) weight decay."""
    for assignment, name, _ in TRAINING:
        public = load_assignment(KIT_LAYOUT, assignment).spec.public.cases[name]
        assert any(c.get("seeded") is False for c in public)
        assert any(c["N"] % c["batch_size"] and c["batch_size"] < c["N"] for c in public)
        assert any(c["batch_size"] > c["N"] for c in public)
    assert any(c.get("weight_decay", 0) > 0 for c in load_assignment(KIT_LAYOUT, "mlp").spec.public.cases["train_mlp"])
    init = load_assignment(KIT_LAYOUT, "mlp").spec.public.cases["init_mlp"]
    assert any(c.get("seeded") is False for c in init)


def test_does_a_public_case_catch_init_mlp_crashing_without_a_generator():
    def init_mlp(layer_sizes, generator=None):
        device = generator.device  # AttributeError for generator=None
        return {k: v.to(device) for k, v in MLP.init_mlp(layer_sizes, generator).items()}
    assert_caught("mlp", "init_mlp", {"init_mlp": init_mlp}, "seeded=False")
