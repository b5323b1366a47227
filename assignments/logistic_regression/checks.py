"""Checks for logistic_regression: inputs, references and known mistakes per graded part.

References use torch's own ops (torch.sigmoid, F.binary_cross_entropy_with_logits) and
torch.autograd only: they reveal no hand-derived solution. This file stays with the grader.

Descriptor keys: N examples, D features, shape (sigmoid's input), and scale, which multiplies
the logits (directly, or through w and b) - scale = 1e4 makes the stability cases, where
sigmoid(z) rounds to exactly 0 or 1 in float64 and float32 alike. There exp(z) / (1 + exp(z))
gives nan (inf / inf) and log(sigmoid(z)) gives -inf, so both fail; 1 / (1 + exp(-z)) passes,
rightly: its overflow to inf still yields the correctly rounded 0. The cost and its gradients
must be computed from the logits for the same reason.
"""
import torch
import torch.nn.functional as F

from autograder.checks.judges import Descent
from autograder.checks.parts import Mistake, Part, randn
from autograder.checks.references import autograd_grads, in_float64
from autograder.checks.values import Call


def _classification(g, dtype=torch.float64, N=7, D=3, scale=1.0, noise=0.5):
    """A binary problem: X (N, D) with features of size `scale`, targets t (N,) in {0, 1}
    from a random linear teacher with noise (so classes overlap a little)."""
    X = randn(g, (N, D), torch.float64, scale)
    w_true = randn(g, (D,))
    b_true = randn(g, ())
    t = ((X / scale) @ w_true + b_true + noise * randn(g, (N,)) > 0).to(torch.float64)
    return X.to(dtype), t.to(dtype)


def _bits(g, N, dtype):
    return (torch.rand(N, generator=g, dtype=torch.float64) < 0.5).to(dtype)


# ----------------------------------------------------------------------------
# References (torch's own ops and autograd)
# ----------------------------------------------------------------------------

def _ref_logits(X, w, b):
    return F.linear(X, w.unsqueeze(0), b.reshape(1)).squeeze(1)


def _ref_predict(X, w, b):
    return torch.sigmoid(_ref_logits(X, w, b))


def _ref_bce(z, t):
    return F.binary_cross_entropy_with_logits(z, t)


def _ref_se_of_logits(z, t):
    return 0.5 * F.mse_loss(torch.sigmoid(z), t)


def _gradients(loss_of_logits):
    """(dw, db) of loss_of_logits(X w + b, t), by torch.autograd."""
    def gradients(X, t, w, b):
        return autograd_grads(lambda w_, b_: loss_of_logits(_ref_logits(X, w_, b_), t), (w, b), (0, 1))
    return gradients


def _per_example_db(loss_of_logits):
    """(dw, dJ/dz): db left with one entry per example instead of summed over the batch."""
    def alternative(X, t, w, b):
        dz = autograd_grads(lambda z_: loss_of_logits(z_, t), (_ref_logits(X, w, b),), (0,))[0]
        return _gradients(loss_of_logits)(X, t, w, b)[0], dz
    return alternative


def _ref_ce_cost(X, t, w, b):
    return _ref_bce(_ref_logits(X, w, b), t)


_ref_ce_grads = _gradients(_ref_bce)
_ref_se_grads = _gradients(_ref_se_of_logits)


def _fit(X, t, lr, num_steps, grads=_ref_ce_grads, grad_scale=1.0, sequential=False):
    """Gradient descent from zeros with autograd gradients; the keywords reproduce known mistakes."""
    w = torch.zeros(X.shape[1], dtype=X.dtype)
    b = torch.zeros((), dtype=X.dtype)
    costs = [_ref_ce_cost(X, t, w, b)]
    for _ in range(num_steps):
        dw, db = grads(X, t, w, b)
        w = w - lr * grad_scale * dw
        if sequential:  # b's gradient taken after w already moved
            db = grads(X, t, w, b)[1]
        b = b - lr * grad_scale * db
        costs.append(_ref_ce_cost(X, t, w, b))
    return w, b, torch.stack(costs)


def _capped_bce(eps, clamp):
    """The loss through log(sigmoid(z)) made 'safe' with an eps, in the inputs' own dtype.

    Every example's loss is then capped near -log(eps), far below the true loss of a
    confidently wrong logit of size 1e4; the cap is what these signatures recognise."""
    def alternative(z, t):
        y = torch.sigmoid(z)
        if clamp:
            y = torch.clamp(y, eps, 1 - eps)
            return (-t * torch.log(y) - (1 - t) * torch.log(1 - y)).mean()
        return (-t * torch.log(y + eps) - (1 - t) * torch.log(1 - y + eps)).mean()
    return alternative


# ----------------------------------------------------------------------------
# Inputs
# ----------------------------------------------------------------------------

def _inputs_sigmoid(g, dtype=torch.float64, shape=(8,), scale=1.0):
    return Call(randn(g, tuple(shape), dtype, scale))


def _inputs_predict(g, dtype=torch.float64, N=7, D=3, scale=1.0):
    X, _ = _classification(g, dtype, N, D)
    return Call(X, randn(g, (D,), dtype, scale), randn(g, (), dtype, scale))


def _inputs_bce(g, dtype=torch.float64, N=8, scale=1.0):
    return Call(randn(g, (N,), dtype, scale), _bits(g, N, dtype))


def _inputs_gradients(g, dtype=torch.float64, N=7, D=3, scale=1.0):
    X, t = _classification(g, dtype, N, D)
    return Call(X, t, randn(g, (D,), dtype, scale), randn(g, (), dtype, scale))


def _inputs_fit(g, dtype=torch.float64, N=20, D=2, lr=0.5, num_steps=10, scale=1.0):
    X, t = _classification(g, dtype, N, D, scale)
    return Call(X, t, lr, num_steps)


# The engine's own words for a (1,)-shaped result where a 0-dim one is expected: its
# generic shape hint reports (1,) against () as (N,) against (N, 1) broadcasting.
_ZERO_DIM_HINT = "return a 0-dim tensor (e.g. .sum() or .mean() without keepdim, or .reshape(()))"


def _db_as_vector(gradients):
    return lambda X, t, w, b: (lambda dw, db: (dw, db.reshape(1)))(*gradients(X, t, w, b))


_CAPPED_HINT = ("your loss is capped: an eps or clamp inside log(sigmoid(z)) limits each example's loss to about "
                "-log(eps), but a confidently wrong logit z costs about |z| - compute the loss from z directly, "
                "without taking the log of a computed sigmoid")

PARTS = {p.name: p for p in [
    Part("sigmoid", _inputs_sigmoid, in_float64(torch.sigmoid), names=("y",),
         mistakes=[Mistake(in_float64(lambda z: torch.sigmoid(-z)),
                           "you computed sigmoid(-z) = 1 - sigmoid(z) - check the sign in the exponent")]),
    Part("logistic_predict", _inputs_predict, in_float64(_ref_predict), names=("y",),
         mistakes=[Mistake(in_float64(lambda X, w, b: torch.sigmoid(X @ w)), "you left out the bias b"),
                   Mistake(in_float64(_ref_logits),
                           "you returned the logits X w + b - apply sigmoid to get probabilities")]),
    Part("binary_cross_entropy", _inputs_bce, in_float64(_ref_bce), names=("J",),
         mistakes=[Mistake(in_float64(lambda z, t: _ref_bce(z, 1 - t)),
                           "you swapped t and 1 - t: -t log sigmoid(z) is the term of the positive examples (t = 1)"),
                   Mistake(in_float64(lambda z, t: _ref_bce(z, t).reshape(1)), _ZERO_DIM_HINT),
                   Mistake(in_float64(lambda z, t: F.binary_cross_entropy_with_logits(z, t, reduction="none")),
                           "you returned one loss per example - J is their mean, a 0-dim tensor")]
         + [Mistake(_capped_bce(eps, clamp), _CAPPED_HINT)
            for eps in (1e-7, 1e-8, 1e-9, 1e-10, 1e-12, 1e-15) for clamp in (True, False)]),
    Part("logistic_gradients", _inputs_gradients, in_float64(_ref_ce_grads), names=("dw", "db"),
         mistakes=[Mistake(in_float64(_ref_se_grads),
                           "this is the gradient of the squared error through a sigmoid (it has the extra factor "
                           "y(1 - y)); the cross-entropy's log cancels that factor"),
                   Mistake(in_float64(lambda X, t, w, b: _ref_ce_grads(X, t, w, torch.zeros_like(b))),
                           "your gradients are those at b = 0 - include the bias in z = X w + b"),
                   Mistake(in_float64(_db_as_vector(_ref_ce_grads)), _ZERO_DIM_HINT),
                   Mistake(in_float64(_per_example_db(_ref_bce)),
                           "db has one entry per example - sum over the batch: db is a 0-dim tensor")]),
    Part("squared_error_logistic_gradients", _inputs_gradients, in_float64(_ref_se_grads), names=("dw", "db"),
         mistakes=[Mistake(in_float64(_ref_ce_grads),
                           "this is the cross-entropy gradient; squared error through a sigmoid has an extra "
                           "factor y(1 - y)"),
                   Mistake(in_float64(lambda X, t, w, b: _ref_se_grads(X, t, w, torch.zeros_like(b))),
                           "your gradients are those at b = 0 - include the bias in z = X w + b"),
                   Mistake(in_float64(_db_as_vector(_ref_se_grads)), _ZERO_DIM_HINT),
                   Mistake(in_float64(_per_example_db(_ref_se_of_logits)),
                           "db has one entry per example - sum over the batch: db is a 0-dim tensor")]),
    Part("fit_logistic_regression", _inputs_fit, in_float64(lambda X, t, lr, n: _fit(X, t, lr, n)),
         judge=Descent(),
         mistakes=[
             Mistake(in_float64(lambda X, t, lr, n: _fit(X, t, lr, n, grad_scale=X.shape[0])),
                     "your trajectory is gradient descent with gradients N times too large - "
                     "does logistic_gradients average over the batch?"),
             Mistake(in_float64(lambda X, t, lr, n: _fit(X, t, lr, n, sequential=True)),
                     "update w and b together from gradients taken at the same point"),
             Mistake(in_float64(lambda X, t, lr, n: _fit(X, t, lr, n, grad_scale=-1.0)),
                     "your steps go uphill - subtract lr times the gradient"),
             Mistake(in_float64(lambda X, t, lr, n: _fit(X, t, lr, n, grads=_ref_se_grads)),
                     "your steps follow the squared-error gradient - fit_logistic_regression minimises the "
                     "cross-entropy (use logistic_gradients)"),
             Mistake(in_float64(lambda X, t, lr, n: (lambda w, b, c: (w, b.reshape(1), c))(*_fit(X, t, lr, n))),
                     _ZERO_DIM_HINT),
             Mistake(in_float64(lambda X, t, lr, n: _fit(X, t, lr, n)[:2] + (_fit(X, t, lr, n)[2][1:],)),
                     "costs[0] is missing: record the cost at w = 0, b = 0 before the first step"),
             Mistake(in_float64(lambda X, t, lr, n: _fit(X, t, lr, n)[:2] + (_fit(X, t, lr, n)[2][:-1],)),
                     "the cost after the last step is missing: record the cost after every step"),
         ]),
]}
