"""Do the linear_regression checks pass correct code and name each known mistake?"""

from __future__ import annotations

import pytest
import torch

from autograder.assignment import load_assignment
from autograder.layout import KIT_LAYOUT
from conftest import ROOT, load_module
from conftest import run_part as shared_run_part

SPEC = load_assignment(KIT_LAYOUT, "linear_regression").spec


REFERENCE = load_module(ROOT / "solutions" / "linear_regression.py")
ALICE = load_module(ROOT / "examples" / "linear_regression" / "alice_correct.py")


def run_part(name: str, impl: dict):
    """(verdicts, report text) for one part over its public and hidden cases, run in-process."""
    return shared_run_part("linear_regression", name, impl, REFERENCE)


@pytest.mark.parametrize("module", [REFERENCE, ALICE], ids=["reference", "other-style"])
@pytest.mark.parametrize("name", [p.name for p in SPEC.parts])
def test_does_correct_code_pass_every_case(module, name):
    verdicts, report = run_part(name, {name: getattr(module, name)})
    assert all(v.passed for v in verdicts), report


def _grad_times_n(X, t, w, b):
    dw, db = REFERENCE.cost_gradients(X, t, w, b)
    return dw * X.shape[0], db * X.shape[0]


MISTAKES = [
    ("cost_gradients", _grad_times_n, "did you forget to average over the batch (1/N)?"),
    ("cost_gradients", lambda X, t, w, b: tuple(-g for g in REFERENCE.cost_gradients(X, t, w, b)), "the sign is flipped"),
    ("cost_gradients", lambda X, t, w, b: (REFERENCE.cost_gradients(X, t, w, b)[0].unsqueeze(1),
                                           REFERENCE.cost_gradients(X, t, w, b)[1]), "(N,) against (N, 1)"),
    ("squared_error_cost", lambda y, t: ((y - t) ** 2).mean(), "you left out the factor 1/2 in J"),
    ("squared_error_cost", lambda y, t: ((y - t) ** 2).sum() / 2, "you summed over the examples"),
    ("predict", lambda X, w, b: X @ w, "you left out the bias b"),
    ("predict", lambda X, w, b: (X @ w + b).unsqueeze(1), "(N,) against (N, 1)"),
    ("polynomial_features", lambda x, d: torch.vander(x, N=d + 1), "decreasing order"),
    ("polynomial_features", lambda x, d: torch.stack([x ** j for j in range(1, d + 1)], 1) if d else x[:, None][:, :0],
     "you left out column 0"),
    ("squared_error_cost", lambda y, t: (torch.sub(y, t, out=y) ** 2).mean() / 2, "never change an input"),
]


@pytest.mark.parametrize("name, wrong, hint", MISTAKES, ids=[m[2][:30] for m in MISTAKES])
def test_is_each_known_mistake_failed_with_its_hint(name, wrong, hint):
    verdicts, report = run_part(name, {name: wrong})
    assert not all(v.passed for v in verdicts)
    assert hint in report, report


def test_does_gradient_descent_recognise_a_gradient_missing_its_mean():
    bob = load_module(ROOT / "examples" / "linear_regression" / "bob_forgot_mean.py")
    verdicts, report = run_part("gradient_descent", {"gradient_descent": bob.gradient_descent})
    assert sum(v.passed for v in verdicts) < len(verdicts)
    assert "gradients N times too large" in report


def test_does_gradient_descent_recognise_a_sequential_update():
    def sequential(X, t, lr, num_steps):
        w = X.new_zeros(X.shape[1]); b = X.new_zeros(())
        costs = [REFERENCE.squared_error_cost(REFERENCE.predict(X, w, b), t)]
        for _ in range(num_steps):
            w = w - lr * REFERENCE.cost_gradients(X, t, w, b)[0]
            b = b - lr * REFERENCE.cost_gradients(X, t, w, b)[1]
            costs.append(REFERENCE.squared_error_cost(REFERENCE.predict(X, w, b), t))
        return w, b, torch.stack(costs)
    _, report = run_part("gradient_descent", {"gradient_descent": sequential})
    assert "update w and b together" in report


def test_does_an_unstable_or_nan_answer_fail_with_the_stability_message():
    _, report = run_part("predict", {"predict": lambda X, w, b: X @ w + b * float("nan")})
    assert "got nan - use a numerically stable form" in report


def test_is_a_list_of_costs_rejected_with_a_hint():
    def as_list(X, t, lr, n):
        w, b, costs = REFERENCE.gradient_descent(X, t, lr, n)
        return w, b, list(costs)
    _, report = run_part("gradient_descent", {"gradient_descent": as_list})
    assert "return the costs as one 1-D tensor" in report


def test_are_float32_costs_accepted_for_float64_inputs():
    def f32_costs(X, t, lr, n):
        w, b, costs = REFERENCE.gradient_descent(X, t, lr, n)
        return w, b, costs.float()
    verdicts, report = run_part("gradient_descent", {"gradient_descent": f32_costs})
    assert all(v.passed for v in verdicts), report


def test_do_hidden_cases_never_show_expected_values():
    _, report = run_part("cost_gradients", {"cost_gradients": _grad_times_n})
    hidden_lines = [line for line in report.split("\n") if line.strip().startswith("hidden case")]
    assert hidden_lines and all("expected" not in line for line in hidden_lines)
    public_lines = [line for line in report.split("\n") if line.strip().startswith("case")]
    assert public_lines and all("expected" in line for line in public_lines)


def test_does_fit_direct_accept_any_minimiser_and_reject_a_poor_one():
    def poor(X, t):
        w, b = REFERENCE.fit_direct(X, t)
        return w * 0.9, b
    verdicts, report = run_part("fit_direct", {"fit_direct": poor})
    assert not any(v.passed for v in verdicts)
    assert "above the minimum by more than the tolerance" in report


def test_is_the_largest_difference_reported_with_its_place():
    def off_at_one_place(X, t, w, b):
        dw, db = REFERENCE.cost_gradients(X, t, w, b)
        dw = dw.clone()
        dw[-1] += 0.5
        return dw, db
    _, report = run_part("cost_gradients", {"cost_gradients": off_at_one_place})
    assert "dw  FAIL  max |diff| 5.0e-01 at [2]" in report
