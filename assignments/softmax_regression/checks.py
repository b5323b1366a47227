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


def _by_class(X, t, order):
    """X and t rearranged so that visiting the rows in `order` meets the classes one after another
    (all of class 0, then all of class 1, ...)."""
    grouped = torch.argsort(t, stable=True)
    X_new, t_new = torch.empty_like(X), torch.empty_like(t)
    X_new[order], t_new[order] = X[grouped], t[grouped]
    return X_new, t_new


def _inputs_fit(g, dtype=torch.float64, N=300, D=2, K=3, sep=2.0, lr=0.1, num_epochs=10,
                batch_size=32, N_test=400, seeded=True, by_class=None, centres="random"):
    """A learnable problem: K Gaussian clusters (unit spread) around centres sep * randn(K, D)
    (centres = "basis": sep times the first K unit vectors, every two sqrt(2) * sep apart, K <= D),
    features standardised with the training set's mean and spread, and a held-out set.

    by_class arranges the training examples by class, so that one order of visiting them meets
    the classes one after another (an epoch in that order ends on a run of one class, and its
    last updates pull the model towards that class): "rows", the order of the rows (training
    that never shuffles); "first order", the first order torch.randperm(N, generator=generator)
    draws from the case's generator (training that shuffles once and reuses that order every
    epoch). Training that draws a new order each epoch meets it at most once and recovers.
    """
    if centres == "basis":
        centres = sep * torch.eye(K, D, dtype=torch.float64)
    elif centres == "random":
        centres = randn(g, (K, D), scale=sep)
    else:
        raise ValueError(f'centres is "random" or "basis", not {centres!r}')
    t, t_test = _targets(g, N, K), _targets(g, N_test, K)
    X, X_test = centres[t] + randn(g, (N, D)), centres[t_test] + randn(g, (N_test, D))
    mean, std = X.mean(dim=0), X.std(dim=0)
    X, X_test = (X - mean) / std, (X_test - mean) / std
    seed = int(torch.randint(0, 2 ** 31, (), generator=g))
    if by_class == "rows":
        X, t = _by_class(X, t, torch.arange(N))
    elif by_class == "first order":
        X, t = _by_class(X, t, torch.randperm(N, generator=torch.Generator().manual_seed(seed)))
    elif by_class is not None:
        raise ValueError(f'by_class is "rows" or "first order", not {by_class!r}')
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


def _ref_fit(X, t, num_classes, lr, num_epochs, batch_size, generator=None, order="each epoch", last_batch=True):
    """Mini-batch SGD with torch's own tools: nn.Linear from zeros, gradients by autograd.

    Each epoch's order is torch.randperm(N, generator=generator), as the assignment
    asks, so with the same seed this follows the same path as a submission that
    draws its orders the same way. Without a generator a submission draws from
    PyTorch's global generator and any order is accepted (each run is judged on its
    own); a fixed generator keeps this reference reproducible.

    order and last_batch describe known mistakes: order "rows" never shuffles, "once" draws
    one order before the first epoch and reuses it; last_batch=False skips a short last batch.
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
    once = torch.randperm(N, generator=generator) if order == "once" else None
    for _ in range(num_epochs):
        perm = {"rows": torch.arange(N), "once": once}.get(order)
        if perm is None:
            perm = torch.randperm(N, generator=generator)
        for batch in torch.split(perm, batch_size):
            if not last_batch and len(batch) < batch_size:
                continue
            grads = torch.autograd.grad(F.cross_entropy(model(X[batch]), t[batch]), params)
            with torch.no_grad():
                for p, grad in zip(params, grads):
                    p -= lr * grad
        costs.append(full_cost())
    return model.weight.detach().clone(), model.bias.detach().clone(), torch.stack(costs)


# Known mistakes: what each one returns, computed with torch's own ops.

def _is_sorted(t):
    return bool((t[1:] >= t[:-1]).all())


def _fit_mistake(**mistake):
    """What fit_softmax_regression with a shuffling mistake returns on every run of a case; only on the
    cases built to catch it (elsewhere the judge passes it anyway, so no time is spent on it):
    order "rows" where the rows are sorted by class, "once" where the generator's first order is,
    last_batch=False where batch_size > N."""
    def alternative(*runs):
        (X, t, _, _, _, batch_size), kwargs = runs[0]
        generator = kwargs.get("generator")
        if mistake.get("order") == "rows" and not _is_sorted(t):
            raise ValueError("the rows are not sorted by class")
        if mistake.get("order") == "once" and (generator is None or not _is_sorted(
                t[torch.randperm(len(t), generator=torch.Generator().manual_seed(generator.initial_seed()))])):
            raise ValueError("the generator's first order does not sort the classes")
        if mistake.get("last_batch") is False and batch_size <= len(t):
            raise ValueError("batch_size <= N")
        return tuple(_ref_fit(*args, **kwargs, **mistake) for args, kwargs in runs)
    return in_float64(alternative)


_SHUFFLE_HINT = ("draw a new order at the start of every epoch (order = torch.randperm(N, generator=generator, "
                 "...)), so that the batches differ from epoch to epoch")


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
         driver={"kind": "calls", "function": "fit_softmax_regression"},
         mistakes=[Mistake(_fit_mistake(order="rows"), "your training matches one that never shuffles: every epoch "
                                                       "visits the rows in their own order - " + _SHUFFLE_HINT),
                   Mistake(_fit_mistake(order="once"), "your training matches one that shuffles once, before the "
                                                       "first epoch, and reuses that order - " + _SHUFFLE_HINT),
                   Mistake(_fit_mistake(last_batch=False),
                           "your training matches one that skips the last batch when it has fewer than batch_size "
                           "examples (here batch_size > N, so every batch) - train on the last, smaller batch too")]),
]}
