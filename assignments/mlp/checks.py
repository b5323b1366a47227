# Checks for mlp: inputs, references and known mistakes per graded part.
#
# This file runs in the check engine's namespace (autograder/checks/engine.py is
# executed first, by the grader and inside the notebook), so Part, Call, Mistake,
# randn, in_float64, autograd_grads, compare_tensor and generic_hints are in scope.
# References use torch's own ops (F.linear, torch.relu, torch.sigmoid, torch.tanh,
# F.cross_entropy) and torch.autograd only: they reveal no hand-derived gradient.
#
# Backward layers are run with the engine's "backward" driver: the submission's own
# forward function makes the cache that its backward function receives, so any cache
# contents are accepted. Forward layers are judged on their output only.
import math

import torch
import torch.nn.functional as F


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


def _inputs_train(g, dtype=torch.float64, N=600, D=12, K=4, hidden=(32,), activation=None, weight_decay=None,
                  lr=0.1, num_epochs=20, batch_size=32, N_test=1000, seeded=True):
    sample = _teacher_problem(g, D, K)
    X, t = sample(N)
    X_test, t_test = sample(N_test)
    layer_sizes = [D] + [int(h) for h in hidden] + [K]
    kwargs = {}
    if activation is not None:
        kwargs["activation"] = activation
    if weight_decay is not None:
        kwargs["weight_decay"] = float(weight_decay)
    if seeded:
        kwargs["generator"] = _fresh_generator(g)
    call = Call(X.to(dtype), t, layer_sizes, lr, num_epochs, batch_size, **kwargs)
    # Held-out data for judging only: it never reaches the submission.
    return call.with_extra(X_test=X_test, t_test=t_test)


# ----------------------------------------------------------------------------
# init_mlp: one call per case, or three when the engine can run them in one case
# ----------------------------------------------------------------------------

def _engine_runs_repeated_calls():
    """Does this engine's run_driver know kind "calls" (several calls of one function in one case)?

    With it, an init_mlp case calls the submission three times - twice with generators
    seeded alike, once with another seed - so that reproducibility can be judged.
    """
    try:
        got = run_driver({"kind": "calls", "function": "f"}, lambda name: (lambda *a, **k: (a, k)),
                         Call(((1,), {"x": 2}), ((3,), {})))
    except Exception:
        return False
    return got == (((1,), {"x": 2}), ((3,), {}))


_REPEATED_CALLS = _engine_runs_repeated_calls()
_INIT_DRIVER = {"kind": "calls", "function": "init_mlp"} if _REPEATED_CALLS else None


def _inputs_init(g, layer_sizes=(4, 3, 2), seeded=True):
    sizes = [int(n) for n in layer_sizes]
    if not seeded:  # generator=None: the default, the CPU's global generator
        return Call(((sizes,), {}),) if _REPEATED_CALLS else Call(sizes)
    if not _REPEATED_CALLS:
        return Call(sizes, generator=_fresh_generator(g))
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
    sizes = args[0][0][0] if _REPEATED_CALLS else args[0]
    zeros = {}
    for l in range(1, len(sizes)):
        zeros[f"W{l}"] = torch.zeros((sizes[l], sizes[l - 1]), dtype=torch.float32)
        zeros[f"b{l}"] = torch.zeros((sizes[l],), dtype=torch.float32)
    return zeros


def _on_one_thread(function):
    """Run function on one CPU thread: many tiny ops only lose time to thread hand-offs,
    badly so on a busy machine (the thread count is restored afterwards)."""
    def wrapped(*args, **kwargs):
        before = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            return function(*args, **kwargs)
        finally:
            torch.set_num_threads(before)
    wrapped.__name__ = function.__name__
    return wrapped


def _ref_train(X, t, layer_sizes, lr, num_epochs, batch_size, activation="relu", weight_decay=0.0,
               generator=None):
    """Mini-batch SGD with autograd gradients: the baseline a submission must roughly match.

    It starts from He initialisation drawn from the same generator (weights of variance
    2 / fan-in, zero biases) and visits each epoch's examples in the order
    torch.randperm(N, generator=generator); any other order and fan-in scaling is accepted.
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
    for _epoch in range(num_epochs):
        order = torch.randperm(X.shape[0], generator=generator)
        for batch in order.split(batch_size):
            grads = autograd_grads(
                lambda *v: _objective(X[batch], t[batch], dict(zip(keys, v)), activation, weight_decay),
                [params[k] for k in keys], tuple(range(len(keys))))
            params = {k: params[k] - lr * d for k, d in zip(keys, grads)}
        history.append(cost())
    return params, torch.stack(history)


_XOR_INPUTS = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
_XOR_TARGETS = torch.tensor([0.0, 1.0, 1.0, 0.0])


def _ref_xor():
    """Zeros of the right keys, shapes and dtype (the judge runs the network itself)."""
    return {"W1": torch.zeros(2, 2), "b1": torch.zeros(2), "W2": torch.zeros(1, 2), "b2": torch.zeros(1)}


# ----------------------------------------------------------------------------
# Judges
# ----------------------------------------------------------------------------

def _matches(got, alternative, call, tol):
    """Does got equal what alternative(*call) returns (a known mistake)?"""
    try:
        again = fresh(call)
        ok, _ = compare_tensor("", got, alternative(*again.args, **again.kwargs), tol)
        return ok
    except Exception:
        return False


def _with_hint(message, got, expected, call, tol, mistakes=()):
    """A failure message followed by the first known mistake or generic hint that fits."""
    hints = [hint for alternative, hint in mistakes if _matches(got, alternative, call, tol)]
    hints = hints or generic_hints(got, expected, call)
    return message + (f" - hint: {hints[0]}" if hints else "")


def _judge_forward(function, output, mistakes=()):
    """Judge of a forward layer: the result is a pair (output, cache), and only the output is compared."""
    def judge(call, got, expected, tol):
        if isinstance(got, torch.Tensor):
            return [(False, "result", f"returned a single tensor - {function} returns a pair ({output}, cache): "
                                      f"the output and whatever your backward function will need")]
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            return [(False, "result", f"expected a pair ({output}, cache), got {type_name(got)}")]
        ok, message = compare_tensor(output, got[0], expected, tol)
        if not ok:
            message = _with_hint(message, got[0], expected, call, tol, mistakes)
        return [(ok, output, message)]
    judge.__name__ = f"judge_{function}"
    return judge


def _judge_activation_backward(kink_at_zero):
    """dZ as autograd gives it; with kink_at_zero (ReLU), where Z is exactly 0, dH is accepted too."""
    def judge(call, got, expected, tol):
        Z, dH = call.args[0], call.args[-1]
        if (kink_at_zero and isinstance(got, torch.Tensor) and tuple(got.shape) == tuple(expected.shape)
                and bool((Z == 0).any())):
            g, e, u = (x.detach().to("cpu", torch.float64) for x in (got, expected, dH))
            took_one = (Z == 0).cpu() & ((g - u).abs() < (g - e).abs())
            expected = torch.where(took_one, u, e).to(expected.device, expected.dtype)
        ok, message = compare_tensor("dZ", got, expected, tol)
        if not ok:
            message = _with_hint(message, got, expected, call, tol)
        return [(ok, "dZ", message)]
    return judge


def _structure(label, got, expected, tol):
    """Findings about a tensor's kind, shape, dtype and device only (its values are judged elsewhere)."""
    ok, message = compare_tensor(label, got, expected, tol)
    if ok or message.startswith("max |diff|"):
        return []
    if message.startswith("got "):  # nan or inf
        return [(False, label, message.replace(" - use a numerically stable form", ""))]
    return [(False, label, message)]


def _params_findings(got, expected, what, dtype_note=None):
    """Keys, then each tensor's shape, dtype, device and finiteness, against zeros of the right form."""
    keys = list(expected)
    if not isinstance(got, dict):
        return [(False, what, f"expected a dict with keys {', '.join(keys)}, got {type_name(got)}")]
    if set(map(str, got)) != set(keys):
        return [(False, what, f"keys {', '.join(sorted(map(str, got)))}, expected {', '.join(keys)} "
                              f"(W1, b1 for layer 1, ..., one pair per layer)")]
    findings = []
    any_tol = Tolerance(math.inf, math.inf)
    for key in keys:
        found = _structure(f"{what}[{key!r}]", got[key], expected[key], any_tol)
        if found and found[0][2].startswith("shape") and expected[key].dim() == 2:
            found = [(False, found[0][1], found[0][2] + " - W_l is stored as (outputs, inputs) = (n_l, n_{l-1})")]
        elif found and found[0][2].startswith("dtype") and dtype_note:
            found = [(False, found[0][1], found[0][2].replace("(the dtype of the inputs)", dtype_note))]
        findings += found
    return findings


def _init_scale_findings(params):
    """Biases zero; weights not constant, centred, and of variance about 1/fan-in or 2/fan-in."""
    findings = []
    for key, value in params.items():
        p = value.detach().to("cpu", torch.float64)
        if key.startswith("b"):
            if bool((p != 0).any()):
                findings.append((False, key, "biases must start at exactly zero"))
            continue
        fan_out, fan_in = p.shape
        if p.numel() > 1 and float(p.std()) == 0:
            findings.append((False, key, "every weight has the same value - draw them at random, or all units "
                                         "of a layer compute the same thing and learn the same thing"))
            continue
        if p.numel() < 1000:  # too few weights for a reliable variance
            continue
        var, mean = float(p.var()), float(p.mean())
        if not 0.7 <= var * fan_in <= 2.6:
            message = (f"weights have variance {var:.3g} = {var * fan_in:.3g} / fan-in, expected about 1 / fan-in "
                       f"or 2 / fan-in (fan-in = n_{{l-1}} = {fan_in})")
            if 0.7 <= var * fan_out <= 2.6:
                message += (" - scale by the number of inputs of the layer (fan-in), not the number of "
                            "outputs")
            elif 0.7 <= var <= 2.6:
                message += " - multiply the standard normal samples by sqrt(1 / fan-in) or sqrt(2 / fan-in)"
            elif 0.5 <= var * fan_in ** 2 <= 5:
                message += (" - you divided by fan-in: the variance is 1 / fan-in or 2 / fan-in, so the "
                            "standard deviation is its square root")
            findings.append((False, key, message))
        elif abs(mean) * math.sqrt(fan_in) > 0.1:
            findings.append((False, key, f"weights have mean {mean:.3g} - draw them centred on zero "
                                         f"(torch.randn, not torch.rand)"))
    return findings


def _identical(a, b):
    return (isinstance(a, dict) and isinstance(b, dict) and set(a) == set(b)
            and all(isinstance(a[k], torch.Tensor) and isinstance(b[k], torch.Tensor)
                    and a[k].shape == b[k].shape and torch.equal(a[k].cpu(), b[k].cpu()) for k in a))


def _judge_init(call, got, expected, tol):
    runs = list(got) if _REPEATED_CALLS and isinstance(got, (tuple, list)) else [got]
    findings = []
    for i, params in enumerate(runs):
        findings += _params_findings(params, expected, "params", "(parameters start in float32)")
        if findings:
            return findings
        if i == 0:
            findings += _init_scale_findings(params)
    if len(runs) == 3:  # two generators seeded alike, then one seeded differently
        if not _identical(runs[0], runs[1]):
            findings.append((False, "generator", "two calls with generators seeded alike gave different "
                                                 "parameters - draw every random number from the generator "
                                                 "passed in (torch.randn(..., generator=generator))"))
        elif _identical(runs[0], runs[2]):
            findings.append((False, "generator", "generators with different seeds gave identical parameters - "
                                                 "draw the weights from the generator passed in"))
    return findings or [(True, "params", "ok")]


# A submission may initialise and shuffle differently, so it reaches a somewhat different
# point: its training objective may exceed the reference's by 10% + 0.05, and its
# held-out accuracy may fall short of the reference's by 0.07.
_TRAIN_COST_RTOL, _TRAIN_COST_ATOL, _TRAIN_ACC_SLACK = 0.10, 0.05, 0.07


def _as_cpu64(x):
    return x.detach().to("cpu", torch.float64)


def _evaluate(X, t, params, activation, weight_decay):
    """(objective, accuracy) of params on X, t in float64 (judging only)."""
    p = {k: _as_cpu64(v) for k, v in params.items()}
    X, t = _as_cpu64(X), t.detach().cpu()
    logits = _logits(X, p, activation)
    objective = F.cross_entropy(logits, t) + weight_decay / 2 * _penalty(p)
    return float(objective), float((logits.argmax(dim=1) == t).double().mean())


def _costs_findings(costs, X, num_epochs):
    return cost_history_findings(
        costs, X, num_epochs, before="the objective before training",
        diverged="training diverged: check the sign of the update, that gradients average over the batch, "
                 "and that the loss is computed stably")


def _judge_train(call, got, expected, tol):
    X, t, layer_sizes, lr, num_epochs, batch_size = call.args
    activation = call.kwargs.get("activation", "relu")
    weight_decay = call.kwargs.get("weight_decay", 0.0)
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        return [(False, "result", f"expected a pair (params, costs), got {type_name(got)}")]
    params, costs = got
    ref_params, _ = expected
    findings = _params_findings(params, ref_params, "params", "(the dtype of X: move init_mlp's parameters to it)")
    findings += _costs_findings(costs, X, num_epochs)
    if findings:
        return findings

    # Judged from the returned parameters, in float64.
    cost, _ = _evaluate(X, t, params, activation, weight_decay)
    ref_cost, _ = _evaluate(X, t, ref_params, activation, weight_decay)
    X_eval, t_eval, which = call.extra.get("X_test"), call.extra.get("t_test"), "held-out"
    if X_eval is None:  # a copy of the case without its held-out data (e.g. moved to the GPU)
        X_eval, t_eval, which = X, t, "training"
    _, acc = _evaluate(X_eval, t_eval, params, activation, weight_decay)
    _, ref_acc = _evaluate(X_eval, t_eval, ref_params, activation, weight_decay)

    c = _as_cpu64(costs)
    # The history must describe the returned parameters (float32 rounding allowed for).
    if abs(float(c[-1]) - cost) > 1e-4 + 1e-3 * abs(cost):
        message = (f"costs[-1] is {float(c[-1]):.6g} but the objective of the returned params on all of X is "
                   f"{cost:.6g} - costs[e] is the full objective after epoch e")
        if weight_decay:
            message += ", weight-decay penalty included"
        findings.append((False, "costs", message))
    if not float(c[-1]) <= float(c[0]):
        findings.append((False, "costs", "the objective went up during training - step against the gradient "
                                         "(p = p - lr * dp) with the gradients of the current batch"))
    # The reference's objective and accuracy are not printed: for a hidden case they are expected values.
    if not cost <= ref_cost * (1 + _TRAIN_COST_RTOL) + _TRAIN_COST_ATOL:
        findings.append((False, "cost", f"reaches training objective {cost:.4g}, above the reference's by more than "
                                        f"the allowed slack ({_TRAIN_COST_RTOL:.0%} + {_TRAIN_COST_ATOL:g}) - does "
                                        "every epoch visit all N examples in batches of batch_size, updating every "
                                        "parameter after each batch with that batch's gradients?"))
    if not acc >= ref_acc - _TRAIN_ACC_SLACK:
        findings.append((False, "accuracy", f"{which} accuracy {acc:.3f}, below the reference's by more than the "
                                            f"allowed slack ({_TRAIN_ACC_SLACK:g})"))
    return findings or [(True, "result", "ok")]


def _judge_xor(call, got, expected, tol):
    findings = _params_findings(got, expected, "params", "(plain torch.tensor([...]) of floats is float32)")
    if findings:
        return findings
    p = {k: v.detach().cpu().to(torch.float64) for k, v in got.items()}
    step = lambda z: (z > 0).to(torch.float64)
    hidden = step(F.linear(_XOR_INPUTS.double(), p["W1"], p["b1"]))
    y = step(F.linear(hidden, p["W2"], p["b2"])).reshape(-1)
    wrong = [f"x = ({int(x[0])}, {int(x[1])}) gives {int(out)}, XOR is {int(target)}"
             for x, out, target in zip(_XOR_INPUTS, y, _XOR_TARGETS) if out != target]
    if wrong:
        return [(False, "xor", "; ".join(wrong) + " (each unit outputs 1 if z > 0 else 0)")]
    return [(True, "xor", "ok")]


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
    Part("linear_forward", _inputs_linear, in_float64(F.linear),
         judge=_judge_forward("linear_forward", "Z", mistakes=[
             (in_float64(lambda X, W, b: F.linear(X, W)), "you left out the bias b")])),
    Part("linear_backward", lambda g, **kw: _inputs_linear(g, upstream=True, **kw),
         in_float64(_ref_linear_backward), names=("dX", "dW", "db"),
         driver={"kind": "backward", "function": "linear_backward", "forward": "linear_forward", "n_forward": 3},
         mistakes=[Mistake(in_float64(_linear_backward_db_averaged),
                           "your db is the mean of dZ over the batch - a layer's backward pass sums over the "
                           "examples (any 1/N of the loss is already inside dZ)"),
                   Mistake(in_float64(_linear_backward_averaged),
                           "your dW and db are averaged over the batch - a layer's backward pass sums over the "
                           "examples (any 1/N of the loss is already inside dZ)")]),
    Part("relu_forward", _inputs_activation, in_float64(torch.relu),
         judge=_judge_forward("relu_forward", "H", mistakes=[
             (in_float64(lambda Z: -torch.relu(-Z)), "you kept the negative part - ReLU is max(0, z)")])),
    Part("relu_backward", _inputs_activation_backward, in_float64(_ref_activation_backward("relu")),
         driver={"kind": "backward", "function": "relu_backward", "forward": "relu_forward", "n_forward": 1},
         judge=_judge_activation_backward(kink_at_zero=True), mistakes=_activation_mistakes("relu")),
    Part("sigmoid_forward", _inputs_activation, in_float64(torch.sigmoid),
         judge=_judge_forward("sigmoid_forward", "H", mistakes=[
             (in_float64(lambda Z: torch.sigmoid(-Z)), "you computed sigmoid(-z) - mind the sign in the exponent")])),
    Part("sigmoid_backward", _inputs_activation_backward, in_float64(_ref_activation_backward("sigmoid")),
         driver={"kind": "backward", "function": "sigmoid_backward", "forward": "sigmoid_forward", "n_forward": 1},
         judge=_judge_activation_backward(kink_at_zero=False), mistakes=_activation_mistakes("sigmoid")),
    Part("tanh_forward", _inputs_activation, in_float64(torch.tanh),
         judge=_judge_forward("tanh_forward", "H", mistakes=[
             (in_float64(torch.sigmoid), "you computed the logistic sigmoid, not tanh (torch.tanh is allowed)")])),
    Part("tanh_backward", _inputs_activation_backward, in_float64(_ref_activation_backward("tanh")),
         driver={"kind": "backward", "function": "tanh_backward", "forward": "tanh_forward", "n_forward": 1},
         judge=_judge_activation_backward(kink_at_zero=False), mistakes=_activation_mistakes("tanh")),
    Part("softmax_cross_entropy_loss", _inputs_loss, in_float64(_ref_loss), names=("loss", "dZ"),
         mistakes=[Mistake(in_float64(lambda Z, t: (F.cross_entropy(Z, t), torch.softmax(Z, dim=1) / Z.shape[0])),
                           "your dZ is softmax(Z) / N - subtract the one-hot targets"),
                   Mistake(in_float64(lambda Z, t: (F.cross_entropy(Z, t, reduction="sum"), _dlogits(Z, t))),
                           "your loss sums over the examples - it is the mean over the N examples"),
                   Mistake(in_float64(lambda Z, t: (F.cross_entropy(Z, t, reduction="none"), _dlogits(Z, t))),
                           "return the mean loss as a 0-dim tensor, not one loss per example")]),
    Part("init_mlp", _inputs_init, _ref_init, driver=_INIT_DRIVER, judge=_judge_init),
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
    Part("train_mlp", _inputs_train, in_float64(_on_one_thread(_ref_train)), names=("params", "costs"), judge=_judge_train),
    Part("xor_network", lambda g: Call(), lambda: _ref_xor(), judge=_judge_xor),
]}
