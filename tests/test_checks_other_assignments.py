"""Do the checks of assignments 2-4 pass the reference and name the mistakes students make?"""

from __future__ import annotations

import pytest
import torch


from autograder.assignment import load_assignment
from autograder.checks.parts import describe
from autograder.layout import KIT_LAYOUT
from conftest import ROOT, load_module, run_part

ASSIGNMENTS = ("logistic_regression", "softmax_regression", "mlp")
REFERENCE = {a: load_module(ROOT / "solutions" / f"{a}.py") for a in ASSIGNMENTS}
LOGISTIC, SOFTMAX, MLP = (REFERENCE[a] for a in ASSIGNMENTS)


@pytest.mark.parametrize("assignment, name", [(a, p) for a in ASSIGNMENTS
                                              for p in load_assignment(KIT_LAYOUT, a).part_names])
def test_does_the_reference_pass_every_case(assignment, name):
    verdicts, report = run_part(assignment, name, {}, REFERENCE[assignment])
    assert all(v.passed for v in verdicts), report


def test_does_a_naive_cross_entropy_fail_only_the_extreme_logits():
    def naive(z, t):
        y = 1 / (1 + torch.exp(-z))
        return (-t * torch.log(y) - (1 - t) * torch.log(1 - y)).mean()
    verdicts, report = run_part("logistic_regression", "binary_cross_entropy", {"binary_cross_entropy": naive},
                                LOGISTIC)
    failed = [v for v in verdicts if not v.passed]
    assert failed and all("1e4" in v.label or "1e3" in v.label or "|z|" in v.label for v in failed)
    assert "use a numerically stable form" in report


def test_do_the_sigmoid_checks_do_what_the_notebook_says():
    """The notebook: 1 / (1 + exp(-z)) loses digits but stays within tolerance, so it passes;
    exp(z) / (1 + exp(z)) gives nan for large z, so the large-logit cases fail it."""
    textbook = lambda z: 1 / (1 + torch.exp(-z))  # noqa: E731
    verdicts, report = run_part("logistic_regression", "sigmoid", {"sigmoid": textbook}, LOGISTIC)
    assert all(v.passed for v in verdicts), report
    ratio = lambda z: torch.exp(z) / (1 + torch.exp(z))  # noqa: E731
    verdicts, report = run_part("logistic_regression", "sigmoid", {"sigmoid": ratio}, LOGISTIC)
    failed = [v.label for v in verdicts if not v.passed]
    assert failed and all("1e3" in label or "1e4" in label or "1e+04" in label for label in failed), failed
    assert "got nan - use a numerically stable form" in report
    notebook = (KIT_LAYOUT.assignment_dir("logistic_regression") / "notebook.py").read_text()
    assert "so `check(\"sigmoid\")` and the grader accept this form" in notebook


def test_is_the_squared_error_gradient_in_place_of_cross_entropy_named():
    verdicts, report = run_part("logistic_regression", "logistic_gradients",
                                {"logistic_gradients": LOGISTIC.squared_error_logistic_gradients}, LOGISTIC)
    assert not any(v.passed for v in verdicts)
    assert "y(1 - y)" in report


def test_is_a_transposed_softmax_gradient_named():
    def transposed(X, t, W, b):
        dW, db = SOFTMAX.softmax_regression_gradients(X, t, W, b)
        return dW.T, db
    _, report = run_part("softmax_regression", "softmax_regression_gradients",
                         {"softmax_regression_gradients": transposed}, SOFTMAX)
    assert "transpose" in report


def test_is_a_softmax_over_the_wrong_axis_named():
    def columns(Z):
        E = torch.exp(Z - Z.amax(dim=0, keepdim=True))
        return E / E.sum(dim=0, keepdim=True)
    _, report = run_part("softmax_regression", "softmax", {"softmax": columns}, SOFTMAX)
    assert "softmax normalises each row" in report


def test_is_a_cost_history_one_entry_short_named():
    def short(*args, **kwargs):
        params, costs = MLP.train_mlp(*args, **kwargs)
        return params, costs[1:]
    verdicts, report = run_part("mlp", "train_mlp", {"train_mlp": short}, MLP)
    assert not any(v.passed for v in verdicts)
    assert "one entry short: the objective before training, then one entry after each epoch" in report


def test_does_a_wrong_xor_network_list_the_wrong_inputs():
    def or_network():
        params = MLP.xor_network()
        params = {k: v.clone() for k, v in params.items()}
        params["W2"] = torch.tensor([[1.0, 0.0]])
        params["b2"] = torch.tensor([-0.5])
        return params
    verdicts, report = run_part("mlp", "xor_network", {"xor_network": or_network}, MLP)
    assert not any(v.passed for v in verdicts)
    assert "x = (1, 1)" in report


def test_does_a_backward_pass_get_the_students_own_cache():
    # A forward that caches its output instead of its input is fine, if its backward agrees.
    def sigmoid_forward(Z):
        H, _ = MLP.sigmoid_forward(Z)
        return H, {"out": H}

    def sigmoid_backward(dH, cache):
        H = cache["out"]
        return dH * H * (1 - H)
    verdicts, report = run_part("mlp", "sigmoid_backward", {"sigmoid_forward": sigmoid_forward,
                                                           "sigmoid_backward": sigmoid_backward}, MLP)
    assert all(v.passed for v in verdicts), report


# --- training parts are graded on behaviour as well as outcome (issue 9, finding 8) ------------

def _fake_fit(X, t, num_classes, lr, num_epochs, batch_size, generator=None):
    """Ignores lr, num_epochs, batch_size and the generator: 300 full-batch steps, a made-up straight line."""
    W = torch.zeros(num_classes, X.shape[1], dtype=X.dtype)
    b = torch.zeros(num_classes, dtype=X.dtype)
    for _ in range(300):
        dW, db = SOFTMAX.softmax_regression_gradients(X, t, W, b)
        W, b = W - 0.5 * dW, b - 0.5 * db
    end = float(SOFTMAX.softmax_cross_entropy(X @ W.T + b, t))
    costs = torch.linspace(float(torch.log(torch.tensor(float(num_classes)))), end, num_epochs + 1, dtype=X.dtype)
    return W, b, costs


def _global_rng_fit(X, t, num_classes, lr, num_epochs, batch_size, generator=None):
    """Honest mini-batch SGD, but the order comes from torch's global generator, not the one passed in."""
    return SOFTMAX.fit_softmax_regression(X, t, num_classes, lr, num_epochs, batch_size, generator=None)


@pytest.mark.parametrize("fake, says", [(_fake_fit, "use lr in every update"), (_global_rng_fit, "generator")])
def test_does_a_training_part_that_ignores_its_arguments_lose_every_seeded_case(fake, says):
    verdicts, report = run_part("softmax_regression", "fit_softmax_regression", {"fit_softmax_regression": fake},
                                SOFTMAX)
    # Seeded cases with more than one batch per epoch: there the order, and so the generator, matters.
    spec = load_assignment(KIT_LAYOUT, "softmax_regression").spec
    wanted = {describe(c) for cases in (spec.public.cases, spec.hidden.cases) for c in cases["fit_softmax_regression"]
              if c.get("seeded", True) and c["batch_size"] < c["N"]}
    seeded = [v for v in verdicts if v.label in wanted]
    assert len(seeded) == len(wanted) >= 4 and not any(v.passed for v in seeded), report
    assert says in report


def test_does_a_train_mlp_that_fakes_its_costs_lose_the_part():
    def fake(X, t, layer_sizes, lr, num_epochs, batch_size, activation="relu", weight_decay=0.0, generator=None):
        params, costs = MLP.train_mlp(X, t, layer_sizes, 0.1, 30, X.shape[0] // 4, activation, weight_decay, generator)
        return params, torch.linspace(float(costs[0]), float(costs[-1]), num_epochs + 1, dtype=costs.dtype)
    verdicts, report = run_part("mlp", "train_mlp", {"train_mlp": fake}, MLP)
    seeded = [v for v in verdicts if "seeded=False" not in v.label and "generator=None" not in v.label]
    assert seeded and not any(v.passed for v in seeded), report
