"""Checks for linear_regression: inputs, references and known mistakes per graded part.

References use torch's own ops and torch.autograd only: they reveal no hand-derived solution.
This file stays with the grader: the notebook gets the public cases' data, never this code.
"""
import torch
import torch.nn.functional as F

from autograder.checks.judges import Descent
from autograder.checks.fit_judges import Minimiser
from autograder.checks.parts import Mistake, Part, randn
from autograder.checks.references import autograd_grads, in_float64
from autograder.checks.values import Call


def _data(g, dtype=torch.float64, N=7, D=3, scale=1.0, noise=0.3):
    """A regression problem: X (N, D), targets t (N,) from a random linear teacher plus noise."""
    X = randn(g, (N, D), torch.float64, scale)
    w_true = randn(g, (D,))
    b_true = randn(g, ())
    t = X @ w_true + b_true + noise * randn(g, (N,))
    return X.to(dtype), t.to(dtype)


def _ref_predict(X, w, b):
    return F.linear(X, w.unsqueeze(0), b.reshape(1)).squeeze(1)


def _ref_cost(y, t):
    return 0.5 * F.mse_loss(y, t)


def _ref_J(X, t, w, b):
    return _ref_cost(_ref_predict(X, w, b), t)


def _ref_cost_gradients(X, t, w, b):
    return autograd_grads(lambda w_, b_: _ref_J(X, t, w_, b_), (w, b), (0, 1))


def _gd(X, t, lr, num_steps, grad_scale=1.0, sequential=False):
    """Gradient descent with autograd gradients; grad_scale/sequential reproduce known mistakes."""
    w = torch.zeros(X.shape[1], dtype=X.dtype)
    b = torch.zeros((), dtype=X.dtype)
    costs = [_ref_J(X, t, w, b)]
    for _ in range(num_steps):
        dw, db = _ref_cost_gradients(X, t, w, b)
        w = w - lr * grad_scale * dw
        if sequential:  # b's gradient taken after w already moved
            db = _ref_cost_gradients(X, t, w, b)[1]
        b = b - lr * grad_scale * db
        costs.append(_ref_J(X, t, w, b))
    return w, b, torch.stack(costs)


def _lstsq(X, t):
    A = torch.cat([X, torch.ones(X.shape[0], 1, dtype=X.dtype)], dim=1)
    sol = torch.linalg.lstsq(A, t.unsqueeze(1), driver="gelsd").solution.squeeze(1)
    return sol[:-1], sol[-1]


def _inputs_predict(g, dtype=torch.float64, N=7, D=3, scale=1.0):
    X, _ = _data(g, dtype, N, D, scale)
    return Call(X, randn(g, (D,), dtype), randn(g, (), dtype))


def _inputs_cost(g, dtype=torch.float64, N=7, scale=1.0):
    return Call(randn(g, (N,), dtype, scale), randn(g, (N,), dtype, scale))


def _inputs_gradients(g, dtype=torch.float64, N=7, D=3, scale=1.0):
    X, t = _data(g, dtype, N, D, scale)
    return Call(X, t, randn(g, (D,), dtype), randn(g, (), dtype))


def _inputs_gd(g, dtype=torch.float64, N=20, D=3, lr=0.1, num_steps=10):
    X, t = _data(g, dtype, N, D)
    return Call(X, t, lr, num_steps)


def _inputs_direct(g, dtype=torch.float64, N=20, D=3, scale=1.0):
    return Call(*_data(g, dtype, N, D, scale))


def _inputs_poly(g, dtype=torch.float64, N=6, degree=3):
    x = (torch.rand(N, generator=g, dtype=torch.float64) * 2 - 1).to(dtype)
    return Call(x, degree)


PARTS = {p.name: p for p in [
    Part("predict", _inputs_predict, in_float64(_ref_predict), names=("y",),
         mistakes=[Mistake(in_float64(lambda X, w, b: X @ w), "you left out the bias b")]),
    Part("squared_error_cost", _inputs_cost, in_float64(_ref_cost),
         mistakes=[Mistake(in_float64(lambda y, t: F.mse_loss(y, t)), "you left out the factor 1/2 in J"),
                   Mistake(in_float64(lambda y, t: 0.5 * F.mse_loss(y, t, reduction="sum")),
                           "you summed over the examples - J averages over N")]),
    Part("cost_gradients", _inputs_gradients, in_float64(_ref_cost_gradients), names=("dw", "db")),
    Part("gradient_descent", _inputs_gd, in_float64(lambda X, t, lr, n: _gd(X, t, lr, n)),
         judge=Descent(),
         mistakes=[
             Mistake(in_float64(lambda X, t, lr, n: _gd(X, t, lr, n, grad_scale=X.shape[0])),
                     "your trajectory is gradient descent with gradients N times too large - "
                     "does cost_gradients average over the batch?"),
             Mistake(in_float64(lambda X, t, lr, n: _gd(X, t, lr, n, grad_scale=2.0)),
                     "your trajectory is gradient descent with gradients twice too large - check the 1/2 in J"),
             Mistake(in_float64(lambda X, t, lr, n: _gd(X, t, lr, n, sequential=True)),
                     "update w and b together from gradients taken at the same point"),
             Mistake(in_float64(lambda X, t, lr, n: _gd(X, t, lr, n, grad_scale=-1.0)),
                     "your steps go uphill - subtract lr times the gradient"),
             Mistake(in_float64(lambda X, t, lr, n: _gd(X, t, lr, n)[:2] + (_gd(X, t, lr, n)[2][1:],)),
                     "costs[0] is missing: record the cost at w = 0, b = 0 before the first step"),
             Mistake(in_float64(lambda X, t, lr, n: _gd(X, t, lr, n)[:2] + (_gd(X, t, lr, n)[2][:-1],)),
                     "the cost after the last step is missing: record the cost after every step"),
         ]),
    Part("fit_direct", _inputs_direct, in_float64(_lstsq), judge=Minimiser()),
    Part("polynomial_features", _inputs_poly,
         in_float64(lambda x, degree: torch.vander(x, N=degree + 1, increasing=True)),
         mistakes=[Mistake(in_float64(lambda x, degree: torch.vander(x, N=degree + 1)),
                           "your columns are in decreasing order - column j must be x**j, column 0 all ones"),
                   Mistake(in_float64(lambda x, degree: torch.vander(x, N=degree + 1, increasing=True)[:, 1:]),
                           "you left out column 0 (x**0, all ones)")]),
]}
