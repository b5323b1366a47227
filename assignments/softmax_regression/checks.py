"""Checks for softmax_regression: inputs, references and known mistakes per graded part.

References use torch's own ops, torch.autograd and nn.Linear only: they reveal no
hand-derived solution. This file stays with the grader.
"""
import torch
import torch.nn.functional as F

from autograder.checks.model_judges import TrainedLinearClassifier
from autograder.checks.parts import Mistake, Part, first_run, randn, training_calls
from autograder.checks.references import autograd_grads, in_float64
from autograder.checks.values import Call


# ----------------------------------------------------------------------------
# Inputs
# ----------------------------------------------------------------------------

def _targets(g, N, K):
    return torch.randint(0, K, (N,), generator=g)


def _logits(g, shape, dtype, scale=1.0, max_abs=None):
    """Logits: normal with std `scale`, or uniform in [-max_abs, max_abs] for the extreme cases."""
    if max_abs is None:
        return randn(g, shape, dtype, scale)
    return ((torch.rand(shape, generator=g, dtype=torch.float64) * 2 - 1) * max_abs).to(dtype)


def _model(g, dtype, N, D, K, scale=1.0, max_abs=None):
    """X (N, D), W (K, D), b (K,).

    With max_abs the logits X @ W.T + b reach about max_abs in magnitude. X is then
    small integers and W, b multiples of 1/8, so every logit is exact in float32 too
    and the float32 truth does not hinge on rounding in X @ W.T.
    """
    if max_abs is None:
        return randn(g, (N, D), dtype), randn(g, (K, D), dtype, scale), randn(g, (K,), dtype, scale)
    X = torch.randint(-2, 3, (N, D), generator=g).to(torch.float64)
    step = max_abs / (2 * D)
    W = torch.round((torch.rand((K, D), generator=g, dtype=torch.float64) * 2 - 1) * step * 8) / 8
    b = torch.round(randn(g, (K,)) * 8) / 8
    return X.to(dtype), W.to(dtype), b.to(dtype)


def _inputs_softmax(g, dtype=torch.float64, N=4, K=3, scale=1.0, max_abs=None):
    return Call(_logits(g, (N, K), dtype, scale, max_abs))


def _inputs_one_hot(g, N=5, K=3):
    return Call(_targets(g, N, K), K)


def _inputs_cross_entropy(g, dtype=torch.float64, N=5, K=3, scale=1.0, max_abs=None):
    Z = _logits(g, (N, K), dtype, scale, max_abs)
    return Call(Z, _targets(g, N, K))


def _inputs_gradients(g, dtype=torch.float64, N=6, D=3, K=4, scale=1.0, max_abs=None):
    X, W, b = _model(g, dtype, N, D, K, scale, max_abs)
    return Call(X, _targets(g, N, K), W, b)


def _inputs_predict(g, dtype=torch.float64, N=6, D=3, K=4, scale=1.0):
    X, W, b = _model(g, dtype, N, D, K, scale)
    return Call(X, W, b)


def _inputs_fit(g, dtype=torch.float64, N=300, D=2, K=3, sep=2.0, lr=0.1, num_epochs=10,
                batch_size=32, N_test=400, seeded=True):
    """A learnable problem: K Gaussian clusters (unit spread) around centres sep * randn(K, D),
    features standardised with the training set's mean and spread, and a held-out set."""
    centres = randn(g, (K, D), scale=sep)
    t, t_test = _targets(g, N, K), _targets(g, N_test, K)
    X, X_test = centres[t] + randn(g, (N, D)), centres[t_test] + randn(g, (N_test, D))
    mean, std = X.mean(dim=0), X.std(dim=0)
    X, X_test = (X - mean) / std, (X_test - mean) / std
    seed = int(torch.randint(0, 2 ** 31, (), generator=g))
    args = (X.to(dtype), t, K, lr, num_epochs, batch_size)
    # Five runs (four without a seed) that must agree with the contract: parts.training_calls.
    call = training_calls(args, {}, seed, (seed + 1) % 2 ** 31) if seeded else training_calls(args, {}, None)
    # Held-out data for judging only: it never reaches the submission.
    return call.with_extra(X_test=X_test, t_test=t_test)


# ----------------------------------------------------------------------------
# References (torch's own ops and autograd)
# ----------------------------------------------------------------------------

def _ref_softmax(Z):
    return torch.softmax(Z, dim=1)


def _ref_one_hot(t, num_classes):
    return F.one_hot(t, num_classes).to(torch.float32)


def _ref_cross_entropy(Z, t):
    return F.cross_entropy(Z, t)


def _ref_J(X, t, W, b):
    return F.cross_entropy(F.linear(X, W, b), t)


def _ref_gradients(X, t, W, b):
    return autograd_grads(lambda W_, b_: _ref_J(X, t, W_, b_), (W, b), (0, 1))


def _ref_predict(X, W, b):
    return torch.softmax(F.linear(X, W, b), dim=1).argmax(dim=1)


def _ref_fit(X, t, num_classes, lr, num_epochs, batch_size, generator=None):
    """Mini-batch SGD with torch's own tools: nn.Linear from zeros, gradients by autograd.

    Each epoch's order is torch.randperm(N, generator=generator), as the assignment
    asks, so with the same seed this follows the same path as a submission that
    draws its orders the same way. Without a generator, a fixed one keeps the
    reference reproducible (any order is accepted from the submission).
    """
    N, D = X.shape
    if generator is None:
        generator = torch.Generator().manual_seed(0)
    model = torch.nn.Linear(D, num_classes, dtype=X.dtype)
    params = list(model.parameters())
    with torch.no_grad():
        for p in params:
            p.zero_()

    def full_cost():
        with torch.no_grad():
            return F.cross_entropy(model(X), t)

    costs = [full_cost()]
    for _ in range(num_epochs):
        for batch in torch.split(torch.randperm(N, generator=generator), batch_size):
            grads = torch.autograd.grad(F.cross_entropy(model(X[batch]), t[batch]), params)
            with torch.no_grad():
                for p, grad in zip(params, grads):
                    p -= lr * grad
        costs.append(full_cost())
    return model.weight.detach().clone(), model.bias.detach().clone(), torch.stack(costs)


# Known mistakes: what each one returns, computed with torch's own ops.

def _dZ(Z, t):
    return autograd_grads(lambda Z_: F.cross_entropy(Z_, t), (Z,), (0,))[0]


def _gradients_db_wrong_axis(X, t, W, b):
    dW, _ = _ref_gradients(X, t, W, b)
    return dW, _dZ(F.linear(X, W, b), t).sum(dim=1)


def _cross_entropy_all_entries(Z, t):
    # the mean over all N*K entries of -T * log Y instead of over the N examples
    return -(F.one_hot(t, Z.shape[1]).to(Z.dtype) * F.log_softmax(Z, dim=1)).mean()


# ----------------------------------------------------------------------------
# Parts
# ----------------------------------------------------------------------------

PARTS = {p.name: p for p in [
    Part("softmax", _inputs_softmax, in_float64(_ref_softmax),
         mistakes=[Mistake(in_float64(lambda Z: torch.softmax(Z, dim=0)),
                           "your columns sum to 1 - softmax normalises each row, over the K classes (dim=1)")]),
    Part("one_hot", _inputs_one_hot, in_float64(_ref_one_hot),
         mistakes=[Mistake(lambda t, K: F.one_hot(t, K), "return float32 (dtype=torch.float32), not integers"),
                   Mistake(lambda t, K: F.one_hot(t, K).to(torch.float64), "return float32, not float64"),
                   Mistake(lambda t, K: F.one_hot(t, K).T.to(torch.float32),
                           "your result is transposed - one row per example, one column per class: (N, K)")]),
    Part("softmax_cross_entropy", _inputs_cross_entropy, in_float64(_ref_cross_entropy),
         mistakes=[Mistake(in_float64(lambda Z, t: F.cross_entropy(Z, t, reduction="sum")),
                           "you summed over the examples - the cost is the mean over the N examples"),
                   Mistake(in_float64(_cross_entropy_all_entries),
                           "you averaged over all N*K entries - sum over the classes, then average over "
                           "the N examples"),
                   Mistake(in_float64(lambda Z, t: F.cross_entropy(Z, t, reduction="none")),
                           "return the mean over the examples as a 0-dim tensor, not one cost per example")]),
    Part("softmax_regression_gradients", _inputs_gradients, in_float64(_ref_gradients), names=("dW", "db"),
         mistakes=[Mistake(in_float64(_gradients_db_wrong_axis),
                           "your db sums over the classes (dim=1) - db has one entry per class: "
                           "sum over the examples (dim=0)"),
                   Mistake(in_float64(lambda X, t, W, b: (_ref_gradients(X, t, W, b)[0],
                                                          torch.zeros((), dtype=X.dtype))),
                           "your db is a single number - db has one entry per class, shape (K,): "
                           "sum over the examples only (dim=0)")]),
    Part("predict_classes", _inputs_predict, in_float64(_ref_predict),
         mistakes=[Mistake(in_float64(lambda X, W, b: torch.softmax(F.linear(X, W, b), dim=1)),
                           "you returned the probabilities - return the index of the most probable class "
                           "(argmax over dim=1), int64 of shape (N,)"),
                   Mistake(in_float64(lambda X, W, b: F.one_hot(_ref_predict(X, W, b), W.shape[0]).to(X.dtype)),
                           "you returned one-hot rows - return the class indices, int64 of shape (N,)"),
                   Mistake(in_float64(lambda X, W, b: F.one_hot(_ref_predict(X, W, b), W.shape[0])),
                           "you returned one-hot rows - return the class indices, int64 of shape (N,)"),
                   Mistake(in_float64(lambda X, W, b: F.linear(X, W, b).argmax(dim=0)),
                           "you took the argmax over the examples (dim=0) - take it over the classes (dim=1)"),
                   Mistake(in_float64(lambda X, W, b: _ref_predict(X, W, b).to(X.dtype)),
                           "return int64 class indices (argmax already gives int64), not floats"),
                   Mistake(in_float64(lambda X, W, b: _ref_predict(X, W, b).to(torch.int32)),
                           "return int64 class indices, not int32")]),
    Part("fit_softmax_regression", _inputs_fit, in_float64(first_run(_ref_fit)), judge=TrainedLinearClassifier(),
         driver={"kind": "calls", "function": "fit_softmax_regression"}),
]}
