"""Checks for mlp: inputs, references and known mistakes per graded part.

References use torch's own ops (F.linear, torch.relu, torch.sigmoid, torch.tanh, F.cross_entropy)
and torch.autograd only: they reveal no hand-derived gradient. This file stays with the grader.

Backward layers are run with the "backward" driver: the submission's own forward function makes
the cache that its backward function receives, so any cache contents are accepted. Forward
layers are judged on their output only.
"""
import math

import torch
import torch.nn.functional as F

from autograder.checks.judges import ActivationBackward, ForwardPair
from autograder.checks.model_judges import InitParams, ThresholdXor, TrainedMLP
from autograder.checks.parts import Mistake, Part, first_run, randn, training_calls
from autograder.checks.references import autograd_grads, in_float64, on_one_thread
from autograder.checks.values import Call


# ----------------------------------------------------------------------------
# Inputs
# ----------------------------------------------------------------------------

def _fresh_generator(g):
    """A new CPU generator with a seed drawn from g (only the seed reaches the submission)."""
    return torch.Generator().manual_seed(int(torch.randint(0, 2 ** 31, (), generator=g)))


def _targets(g, N, K):
    return torch.randint(0, K, (N,), generator=g)


def _inputs_linear(g, dtype=torch.float64, N=5, D=4, M=3, scale=1.0, upstream=False):
    """X (N, D), W (M, D), b (M,); with upstream, also an error signal dZ (N, M)."""
    X = randn(g, (N, D), dtype, scale)
    W = randn(g, (M, D), dtype, 1.0 / math.sqrt(D))
    b = randn(g, (M,), dtype)
    if upstream:
        return Call(X, W, b, randn(g, (N, M), dtype))
    return Call(X, W, b)


def _activation_input(g, dtype, N, D, shape, scale, zeros):
    Z = randn(g, tuple(shape) if shape else (N, D), torch.float64, scale)
    if zeros:  # exact zeros, where either ReLU subgradient is accepted
        Z = torch.where(torch.rand(Z.shape, generator=g, dtype=torch.float64) < 0.3, torch.zeros_like(Z), Z)
    return Z.to(dtype)


def _inputs_activation(g, dtype=torch.float64, N=4, D=5, shape=None, scale=1.0, zeros=False):
    return Call(_activation_input(g, dtype, N, D, shape, scale, zeros))


def _inputs_activation_backward(g, dtype=torch.float64, N=4, D=5, shape=None, scale=1.0, zeros=False):
    Z = _activation_input(g, dtype, N, D, shape, scale, zeros)
    return Call(Z, randn(g, Z.shape, dtype))


def _inputs_loss(g, dtype=torch.float64, N=5, K=3, scale=1.0, max_abs=None):
    """Logits Z (N, K): normal with std `scale`, or uniform in [-max_abs, max_abs]."""
    if max_abs is None:
        Z = randn(g, (N, K), dtype, scale)
    else:
        Z = ((torch.rand((N, K), generator=g, dtype=torch.float64) * 2 - 1) * max_abs).to(dtype)
    return Call(Z, _targets(g, N, K))


def _random_params(g, sizes, dtype, scale=1.5):
    """Parameters with nonzero biases, so that decaying a bias by mistake shows."""
    out = {}
    for l, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        out[f"W{l}"] = randn(g, (fan_out, fan_in), dtype, scale / math.sqrt(fan_in))
        out[f"b{l}"] = randn(g, (fan_out,), dtype, 0.5)
    return out


def _inputs_mlp(g, dtype=torch.float64, N=6, layer_sizes=(4, 5, 3), activation=None, weight_decay=None,
                scale=1.0):
    """X, t, params; activation and weight_decay are passed only when given (else the defaults apply)."""
    sizes = [int(n) for n in layer_sizes]
    X = randn(g, (N, sizes[0]), dtype, scale)
    t = _targets(g, N, sizes[-1])
    kwargs = {}
    if activation is not None:
        kwargs["activation"] = activation
    if weight_decay is not None:
        kwargs["weight_decay"] = float(weight_decay)
    return Call(X, t, _random_params(g, sizes, dtype), **kwargs)


def _teacher_problem(g, D, K, width=6):
    """A learnable problem: labels are the argmax of a small random tanh network of the inputs."""
    W1 = randn(g, (width, D), scale=1.0 / math.sqrt(D))
    b1 = randn(g, (width,), scale=0.5)
    W2 = randn(g, (K, width), scale=3.0 / math.sqrt(width))

    def sample(n):
        X = randn(g, (n, D))
        return X, F.linear(torch.tanh(F.linear(X, W1, b1)), W2).argmax(dim=1)
    return sample


def _by_class(X, t, order):
    """X and t rearranged so that visiting the rows in `order` meets the classes one after another
    (all of class 0, then all of class 1, ...)."""
    grouped = torch.argsort(t, stable=True)
    X_new, t_new = torch.empty_like(X), torch.empty_like(t)
    X_new[order], t_new[order] = X[grouped], t[grouped]
    return X_new, t_new


def _first_order(seed, layer_sizes, N):
    """The first order of the examples that train_mlp draws from a generator seeded with seed, as the
    assignment asks: init_mlp's draws randn(n_l, n_{l-1}) for W1, ..., WL, then torch.randperm(N)."""
    generator = torch.Generator().manual_seed(seed)
    for fan_in, fan_out in zip(layer_sizes[:-1], layer_sizes[1:]):
        torch.randn((fan_out, fan_in), generator=generator)
    return torch.randperm(N, generator=generator)


def _inputs_train(g, dtype=torch.float64, N=600, D=12, K=4, hidden=(32,), activation=None, weight_decay=None,
                  lr=0.1, num_epochs=20, batch_size=32, N_test=1000, seeded=True, by_class=None, label_noise=0.0):
    """A teacher problem and its held-out set; with label_noise, that share of the training labels is
    replaced by a class drawn at random, so that no network fits every training example.

    by_class arranges the training examples by class, so that one order of visiting them meets
    the classes one after another (an epoch in that order ends on a run of one class, and its
    last updates pull the network towards that class): "rows", the order of the rows (training
    that never shuffles); "first order", the first order the case's generator gives (training
    that shuffles once and reuses that order every epoch). Training that draws a new order each
    epoch meets it at most once and recovers.
    """
    sample = _teacher_problem(g, D, K)
    X, t = sample(N)
    X_test, t_test = sample(N_test)
    if label_noise:
        t = torch.where(torch.rand(N, generator=g, dtype=torch.float64) < label_noise, _targets(g, N, K), t)
    layer_sizes = [D] + [int(h) for h in hidden] + [K]
    kwargs = {}
    if activation is not None:
        kwargs["activation"] = activation
    if weight_decay is not None:
        kwargs["weight_decay"] = float(weight_decay)
    seed = int(torch.randint(0, 2 ** 31, (), generator=g)) if seeded else None
    if by_class == "rows":
        X, t = _by_class(X, t, torch.arange(N))
    elif by_class == "first order":
        X, t = _by_class(X, t, _first_order(seed, layer_sizes, N))
    elif by_class is not None:
        raise ValueError(f'by_class is "rows" or "first order", not {by_class!r}')
    args = (X.to(dtype), t, layer_sizes, lr, num_epochs, batch_size)
    if seeded:  # five runs (four without a seed) that must agree with the contract: parts.training_calls
        call = training_calls(args, kwargs, seed, (seed + 1) % 2 ** 31)
    else:
        call = training_calls(args, kwargs, None)
    # Held-out data for judging only: it never reaches the submission.
    return call.with_extra(X_test=X_test, t_test=t_test)


# ----------------------------------------------------------------------------
# init_mlp: one call per case, or three when the engine can run them in one case
# ----------------------------------------------------------------------------

_INIT_DRIVER = {"kind": "calls", "function": "init_mlp"}


def _inputs_init(g, layer_sizes=(4, 3, 2), seeded=True):
    """Three calls in one case - twice with generators seeded alike, once with another seed - so that
    reproducibility can be judged; one call with the default generator when not seeded."""
    sizes = [int(n) for n in layer_sizes]
    if not seeded:  # generator=None: the default, the CPU's global generator
        return Call(((sizes,), {}),)
    seed = int(torch.randint(0, 2 ** 31, (), generator=g))
    other = (seed + 1 + int(torch.randint(0, 2 ** 20, (), generator=g))) % 2 ** 31
    gen = lambda s: torch.Generator().manual_seed(s)
    return Call(((sizes,), {"generator": gen(seed)}), ((list(sizes),), {"generator": gen(seed)}),
                ((list(sizes),), {"generator": gen(other)}))


# ----------------------------------------------------------------------------
# References (torch's own ops and autograd)
# ----------------------------------------------------------------------------

_ACTIVATIONS = {"relu": torch.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh}


def _upstream_grads(forward, args, upstream):
    """Gradients of sum(forward(*args) * upstream) with respect to every input of forward."""
    return autograd_grads(lambda *a: (forward(*a) * upstream).sum(), tuple(args), tuple(range(len(args))))


def _ref_linear_backward(X, W, b, dZ):
    return _upstream_grads(F.linear, (X, W, b), dZ)


def _ref_activation_backward(name):
    return lambda Z, dH: _upstream_grads(_ACTIVATIONS[name], (Z,), dH)[0]


def _dlogits(Z, t):
    return autograd_grads(lambda Z_: F.cross_entropy(Z_, t), (Z,), (0,))[0]


def _ref_loss(Z, t):
    return F.cross_entropy(Z, t), _dlogits(Z, t)


def _logits(X, params, activation="relu", hidden_act=None, output_act=None):
    n_layers = len(params) // 2
    H = X
    for l in range(1, n_layers + 1):
        H = F.linear(H, params[f"W{l}"], params[f"b{l}"])
        if l < n_layers:
            H = (hidden_act or _ACTIVATIONS[activation])(H)
        elif output_act is not None:
            H = output_act(H)
    return H


def _penalty(params, prefix="W"):
    return sum((p ** 2).sum() for k, p in params.items() if k.startswith(prefix))


def _objective(X, t, params, activation="relu", weight_decay=0.0):
    return F.cross_entropy(_logits(X, params, activation), t) + weight_decay / 2 * _penalty(params)


def _loss_and_grads(X, t, params, activation="relu", weight_decay=0.0, loss_decay=1.0, grad_decay=1.0,
                    bias_decay=(0.0, 0.0), hidden_act=None, output_act=None):
    """(loss, grads) of an objective; the keywords after weight_decay describe known mistakes.

    loss_decay / grad_decay scale the weight-decay term in the loss / in the objective
    that is differentiated; bias_decay = (in loss, in gradient) adds the same penalty on
    the biases; hidden_act / output_act replace the hidden activation / add one on the logits.
    """
    if activation not in _ACTIVATIONS:
        raise ValueError(activation)
    keys = list(params)

    def objective(decay, bias, *values):
        p = dict(zip(keys, values))
        cross_entropy = F.cross_entropy(_logits(X, p, activation, hidden_act, output_act), t)
        return cross_entropy + decay * weight_decay / 2 * _penalty(p) + bias * weight_decay / 2 * _penalty(p, "b")
    values = [params[k] for k in keys]
    loss = objective(loss_decay, bias_decay[0], *values).detach()
    grads = autograd_grads(lambda *v: objective(grad_decay, bias_decay[1], *v), values, tuple(range(len(keys))))
    return loss, dict(zip(keys, grads))


def _ref_mlp(X, t, params, activation="relu", weight_decay=0.0):
    return _loss_and_grads(X, t, params, activation, weight_decay)


def _mixed_activation(value, slope):
    """The values of `value` with the derivative of `slope` (a backward pass of the wrong function)."""
    return lambda Z: slope(Z) + (value(Z) - slope(Z)).detach()


def _mlp_wrong_derivative(other):
    def alternative(X, t, params, activation="relu", weight_decay=0.0):
        if other == activation:
            raise ValueError("not a mistake for this activation")
        mixed = _mixed_activation(_ACTIVATIONS[activation], _ACTIVATIONS[other])
        return _loss_and_grads(X, t, params, activation, weight_decay, hidden_act=mixed)
    return alternative


def _mlp_variant(**mistake):
    def alternative(X, t, params, activation="relu", weight_decay=0.0):
        if weight_decay == 0:
            raise ValueError("weight-decay mistakes need weight decay")
        return _loss_and_grads(X, t, params, activation, weight_decay, **mistake)
    return alternative


def _mlp_activated_logits(X, t, params, activation="relu", weight_decay=0.0):
    return _loss_and_grads(X, t, params, activation, weight_decay, output_act=_ACTIVATIONS[activation])


def _ref_init(*args, **kwargs):
    """Zeros of the right keys, shapes, dtype and device (values are judged by their statistics)."""
    sizes = args[0][0][0]
    zeros = {}
    for l in range(1, len(sizes)):
        zeros[f"W{l}"] = torch.zeros((sizes[l], sizes[l - 1]), dtype=torch.float32)
        zeros[f"b{l}"] = torch.zeros((sizes[l],), dtype=torch.float32)
    return zeros


def _ref_train(X, t, layer_sizes, lr, num_epochs, batch_size, activation="relu", weight_decay=0.0,
               generator=None, order="each epoch", last_batch=True):
    """Mini-batch SGD with autograd gradients: the baseline a submission must roughly match.

    It starts from He initialisation drawn from the same generator (weights of variance
    2 / fan-in, zero biases) and visits each epoch's examples in the order
    torch.randperm(N, generator=generator); any other order and fan-in scaling is accepted.
    Without a generator a submission draws from PyTorch's global generator and any order
    is accepted (each run is judged on its own); a fixed generator keeps this reference
    reproducible.

    order and last_batch describe known mistakes: order "once" draws one order before the
    first epoch and reuses it; last_batch=False skips a short last batch.
    """
    if generator is None:
        generator = torch.Generator().manual_seed(0)
    params = {}
    for l, (fan_in, fan_out) in enumerate(zip(layer_sizes[:-1], layer_sizes[1:]), start=1):
        draw = torch.randn((fan_out, fan_in), generator=generator) * math.sqrt(2 / fan_in)
        params[f"W{l}"] = draw.to(X.dtype)
        params[f"b{l}"] = torch.zeros(fan_out, dtype=X.dtype)
    keys = list(params)

    def cost():
        with torch.no_grad():
            return _objective(X, t, params, activation, weight_decay)

    history = [cost()]
    once = torch.randperm(X.shape[0], generator=generator) if order == "once" else None
    for _epoch in range(num_epochs):
        perm = once if order == "once" else torch.randperm(X.shape[0], generator=generator)
        for batch in perm.split(batch_size):
            if not last_batch and len(batch) < batch_size:
                continue
            grads = autograd_grads(
                lambda *v: _objective(X[batch], t[batch], dict(zip(keys, v)), activation, weight_decay),
                [params[k] for k in keys], tuple(range(len(keys))))
            params = {k: params[k] - lr * d for k, d in zip(keys, grads)}
        history.append(cost())
    return params, torch.stack(history)


def _is_sorted(t):
    return bool((t[1:] >= t[:-1]).all())


def _train_mistake(**mistake):
    """What train_mlp with a shuffling mistake returns on every run of a case; only on the cases built
    to catch it (elsewhere the judge passes it anyway, so no time is spent on it): order "once" where
    the generator's first order meets the classes one after another, last_batch=False where
    batch_size > N."""
    def alternative(*runs):
        (X, t, layer_sizes, _, _, batch_size), kwargs = runs[0]
        generator = kwargs.get("generator")
        if mistake.get("order") == "once" and (
                generator is None or not _is_sorted(t[_first_order(generator.initial_seed(), layer_sizes, len(t))])):
            raise ValueError("the generator's first order does not sort the classes")
        if mistake.get("last_batch") is False and batch_size <= len(t):
            raise ValueError("batch_size <= N")
        return tuple(_ref_train(*args, **kwargs, **mistake) for args, kwargs in runs)
    return in_float64(on_one_thread(alternative))


def _ref_xor():
    """Zeros of the right keys, shapes and dtype (the judge runs the network itself)."""
    return {"W1": torch.zeros(2, 2), "b1": torch.zeros(2), "W2": torch.zeros(1, 2), "b2": torch.zeros(1)}


# ----------------------------------------------------------------------------
# Known mistakes of the backward layers (computed with autograd)
# ----------------------------------------------------------------------------

def _linear_backward_averaged(X, W, b, dZ):
    dX, dW, db = _ref_linear_backward(X, W, b, dZ)
    return dX, dW / X.shape[0], db / X.shape[0]


def _linear_backward_db_averaged(X, W, b, dZ):
    dX, dW, db = _ref_linear_backward(X, W, b, dZ)
    return dX, dW, db / X.shape[0]


def _activation_mistakes(name):
    f = _ACTIVATIONS[name]
    mistakes = [
        Mistake(in_float64(lambda Z, dH: dH),
                "you passed dH through unchanged - multiply it by the derivative of the activation at Z"),
        Mistake(in_float64(lambda Z, dH: _upstream_grads(f, (Z,), torch.ones_like(dH))[0]),
                "you returned the derivative of the activation alone - multiply it by dH (chain rule)"),
    ]
    if name != "relu":
        mistakes.append(Mistake(
            in_float64(lambda Z, dH: _upstream_grads(f, (f(Z),), dH)[0]),
            f"you evaluated the derivative at H = {name}(Z) instead of at Z - if your cache holds H, "
            f"write the derivative in terms of H"))
    return mistakes


_DECAY_TWICE = ("your weight decay is twice too strong - the penalty is weight_decay / 2 * sum_l ||W_l||^2 "
                "(mind the 1/2)")


# ----------------------------------------------------------------------------
# Parts
# ----------------------------------------------------------------------------

PARTS = {p.name: p for p in [
    Part("linear_forward", _inputs_linear, in_float64(F.linear), judge=ForwardPair("linear_forward", "Z"),
         mistakes=[Mistake(in_float64(lambda X, W, b: F.linear(X, W)), "you left out the bias b")]),
    Part("linear_backward", lambda g, **kw: _inputs_linear(g, upstream=True, **kw),
         in_float64(_ref_linear_backward), names=("dX", "dW", "db"),
         driver={"kind": "backward", "function": "linear_backward", "forward": "linear_forward", "n_forward": 3},
         mistakes=[Mistake(in_float64(_linear_backward_db_averaged),
                           "your db is the mean of dZ over the batch - a layer's backward pass sums over the "
                           "examples (any 1/N of the loss is already inside dZ)"),
                   Mistake(in_float64(_linear_backward_averaged),
                           "your dW and db are averaged over the batch - a layer's backward pass sums over the "
                           "examples (any 1/N of the loss is already inside dZ)")]),
    Part("relu_forward", _inputs_activation, in_float64(torch.relu), judge=ForwardPair("relu_forward", "H"),
         mistakes=[Mistake(in_float64(lambda Z: -torch.relu(-Z)), "you kept the negative part - ReLU is max(0, z)")]),
    Part("relu_backward", _inputs_activation_backward, in_float64(_ref_activation_backward("relu")),
         driver={"kind": "backward", "function": "relu_backward", "forward": "relu_forward", "n_forward": 1},
         judge=ActivationBackward(kink_at_zero=True), mistakes=_activation_mistakes("relu")),
    Part("sigmoid_forward", _inputs_activation, in_float64(torch.sigmoid), judge=ForwardPair("sigmoid_forward", "H"),
         mistakes=[Mistake(in_float64(lambda Z: torch.sigmoid(-Z)),
                           "you computed sigmoid(-z) - mind the sign in the exponent")]),
    Part("sigmoid_backward", _inputs_activation_backward, in_float64(_ref_activation_backward("sigmoid")),
         driver={"kind": "backward", "function": "sigmoid_backward", "forward": "sigmoid_forward", "n_forward": 1},
         judge=ActivationBackward(kink_at_zero=False), mistakes=_activation_mistakes("sigmoid")),
    Part("tanh_forward", _inputs_activation, in_float64(torch.tanh), judge=ForwardPair("tanh_forward", "H"),
         mistakes=[Mistake(in_float64(torch.sigmoid),
                           "you computed the logistic sigmoid, not tanh (torch.tanh is allowed)")]),
    Part("tanh_backward", _inputs_activation_backward, in_float64(_ref_activation_backward("tanh")),
         driver={"kind": "backward", "function": "tanh_backward", "forward": "tanh_forward", "n_forward": 1},
         judge=ActivationBackward(kink_at_zero=False), mistakes=_activation_mistakes("tanh")),
    Part("softmax_cross_entropy_loss", _inputs_loss, in_float64(_ref_loss), names=("loss", "dZ"),
         mistakes=[Mistake(in_float64(lambda Z, t: (F.cross_entropy(Z, t), torch.softmax(Z, dim=1) / Z.shape[0])),
                           "your dZ is softmax(Z) / N - subtract the one-hot targets"),
                   Mistake(in_float64(lambda Z, t: (F.cross_entropy(Z, t, reduction="sum"), _dlogits(Z, t))),
                           "your loss sums over the examples - it is the mean over the N examples"),
                   Mistake(in_float64(lambda Z, t: (F.cross_entropy(Z, t, reduction="none"), _dlogits(Z, t))),
                           "return the mean loss as a 0-dim tensor, not one loss per example")]),
    Part("init_mlp", _inputs_init, _ref_init, driver=_INIT_DRIVER, judge=InitParams()),
    Part("mlp_loss_and_gradients", _inputs_mlp, in_float64(_ref_mlp), names=("loss", "grads"),
         mistakes=[
             Mistake(in_float64(_mlp_variant(bias_decay=(1.0, 1.0))),
                     "you decayed the biases too - the penalty covers the weights W_l only"),
             Mistake(in_float64(_mlp_variant(bias_decay=(0.0, 1.0))),
                     "your bias gradients include weight decay - the penalty covers the weights W_l only"),
             Mistake(in_float64(_mlp_variant(grad_decay=0.0)),
                     "your loss includes weight decay but your gradients do not - add the penalty's gradient "
                     "to each dW_l"),
             Mistake(in_float64(_mlp_variant(loss_decay=0.0)),
                     "your gradients include weight decay but the loss does not - add "
                     "weight_decay / 2 * sum_l ||W_l||^2 to the loss"),
             Mistake(in_float64(_mlp_variant(loss_decay=2.0, grad_decay=2.0)), _DECAY_TWICE),
             Mistake(in_float64(_mlp_variant(loss_decay=2.0)),
                     "the weight-decay term of your loss is twice too large - it is "
                     "weight_decay / 2 * sum_l ||W_l||^2"),
             Mistake(in_float64(_mlp_variant(grad_decay=2.0)),
                     "your weight-decay gradient is twice too large - the 1/2 in the penalty cancels the 2 "
                     "from differentiating the square"),
             Mistake(in_float64(_mlp_variant(grad_decay=0.5)),
                     "your weight-decay gradient is half too small - differentiating the square gives a 2 "
                     "that cancels the 1/2 of the penalty"),
             Mistake(in_float64(_mlp_activated_logits),
                     "you applied the activation to the last layer too - it gives the logits directly"),
         ] + [Mistake(in_float64(_mlp_wrong_derivative(other)),
                      f"your backward pass uses the derivative of {other}, not of the activation the forward "
                      f"pass applied - pick the backward function that matches `activation`")
              for other in _ACTIVATIONS]),
    Part("train_mlp", _inputs_train, in_float64(on_one_thread(first_run(_ref_train))), judge=TrainedMLP(),
         driver={"kind": "calls", "function": "train_mlp"},
         mistakes=[Mistake(_train_mistake(order="once"),
                           "your training matches one that shuffles once, before the first epoch, and reuses that "
                           "order - draw a new order at the start of every epoch (order = torch.randperm(N, "
                           "generator=generator, ...)), so that the batches differ from epoch to epoch"),
                   Mistake(_train_mistake(last_batch=False),
                           "your training matches one that skips the last batch when it has fewer than batch_size "
                           "examples (here batch_size > N, so every batch) - train on the last, smaller batch too")]),
    Part("xor_network", lambda g: Call(), lambda: _ref_xor(), judge=ThresholdXor()),
]}
