"""Judges of the models that training parts return.

An initialisation's statistics, what training reached, a hand-built network's outputs.

Evaluation goes through objectives.py (banned calls only). Importing this module registers its
judges with judges.judge_from_data. The notebook carries it only for assignments that use one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import torch

from . import objectives
from .compare import Tolerance, compare_tensor, host64
from .judges import Judge, Judged, _fail, register
from .values import Call, dtype_name, type_name
from .verdict import Finding, Status

FLOAT32_TOL = Tolerance(1e-4, 1e-4)  # a float32 cost history for float64 inputs is held to float32's tolerance


def cost_history_findings(costs: Any, X: torch.Tensor, num_epochs: int, before: str,
                          diverged: str) -> list[Finding]:
    """A training part's cost history: one 1-D floating tensor of num_epochs + 1 entries, with X's dtype
    (float32 accepted too) and device, all finite. Empty when fine.

    before: what costs[0] is, in the words of the assignment; diverged: the hint for nan/inf.
    """
    if isinstance(costs, (list, tuple)):
        return [_fail("costs", f"expected a 1-D tensor, got {type_name(costs)} - return the costs as one 1-D "
                               "tensor (e.g. torch.stack(costs))", Status.WRONG_STRUCTURE)]
    if not isinstance(costs, torch.Tensor) or not costs.is_floating_point():
        return [_fail("costs", f"expected a 1-D floating-point tensor, got {type_name(costs)}",
                      Status.WRONG_STRUCTURE)]
    if costs.dim() != 1 or costs.shape[0] != num_epochs + 1:
        message = f"shape {tuple(costs.shape)}, expected ({num_epochs + 1},)"
        if costs.dim() == 1 and costs.shape[0] == num_epochs:
            message += f" - one entry short: {before}, then one entry after each epoch"
        elif costs.dim() == 1 and costs.shape[0] == num_epochs + 2:
            message += " - one entry too many: the cost before training, then one after each epoch"
        elif costs.dim() == 1 and costs.shape[0] > num_epochs + 2:
            message += " - record the full-batch cost once per epoch, not once per batch"
        return [_fail("costs", message, Status.WRONG_STRUCTURE)]
    if costs.dtype not in (X.dtype, torch.float32):
        return [_fail("costs", f"dtype {dtype_name(costs.dtype)}, expected {dtype_name(X.dtype)} (the dtype of X)",
                      Status.WRONG_STRUCTURE)]
    if costs.device.type != X.device.type:
        return [_fail("costs", f"on device {costs.device.type}, expected {X.device.type} (the device of X)",
                      Status.WRONG_STRUCTURE)]
    if not bool(torch.isfinite(costs).all()):
        bad = "nan" if bool(torch.isnan(costs).any()) else "inf"
        return [_fail("costs", f"got {bad} - {diverged}", Status.NOT_FINITE)]
    return []


def _structure(label: str, got: Any, expected: torch.Tensor) -> list[Finding]:
    """Findings about a tensor's kind, shape, dtype, device and finiteness only (values are judged elsewhere)."""
    found = compare_tensor(label, got, expected, Tolerance(math.inf, math.inf))
    if found.ok or found.status is Status.WRONG_VALUE:
        return []
    if found.status is Status.NOT_FINITE:
        return [Finding(label, found.status, found.message.replace(" - use a numerically stable form", ""))]
    return [found]


def params_findings(got: Any, expected: dict[str, torch.Tensor], what: str,
                    dtype_note: str | None = None) -> list[Finding]:
    """An MLP's parameter dict: keys, then each tensor's shape, dtype, device and finiteness."""
    keys = list(expected)
    if not isinstance(got, dict):
        return [_fail(what, f"expected a dict with keys {', '.join(keys)}, got {type_name(got)}",
                      Status.WRONG_STRUCTURE)]
    if set(map(str, got)) != set(keys):
        return [_fail(what, f"keys {', '.join(sorted(map(str, got)))}, expected {', '.join(keys)} "
                            "(W1, b1 for layer 1, ..., one pair per layer)", Status.WRONG_STRUCTURE)]
    findings = []
    for key in keys:
        found = _structure(f"{what}[{key!r}]", got[key], expected[key])
        if found and found[0].message.startswith("shape") and expected[key].dim() == 2:
            found = [Finding(found[0].label, found[0].status,
                             found[0].message + " - W_l is stored as (outputs, inputs) = (n_l, n_{l-1})")]
        elif found and found[0].message.startswith("dtype") and dtype_note:
            found = [Finding(found[0].label, found[0].status,
                             found[0].message.replace("(the dtype of the inputs)", dtype_note))]
        findings += found
    return findings


def _init_scale_findings(params: dict[str, torch.Tensor]) -> list[Finding]:
    """Biases zero; weights not constant, centred, and of variance about 1/fan-in or 2/fan-in."""
    findings = []
    for key, value in params.items():
        p = host64(value)
        if key.startswith("b"):
            if bool((p != 0).any()):
                findings.append(_fail(key, "biases must start at exactly zero"))
            continue
        fan_out, fan_in = p.shape
        if p.numel() > 1 and float(p.std()) == 0:
            findings.append(_fail(key, "every weight has the same value - draw them at random, or all units of a "
                                       "layer compute the same thing and learn the same thing"))
            continue
        if p.numel() < 1000:  # too few weights for a reliable variance
            continue
        var, mean = float(p.var()), float(p.mean())
        if not 0.7 <= var * fan_in <= 2.6:
            message = (f"weights have variance {var:.3g} = {var * fan_in:.3g} / fan-in, expected about 1 / fan-in "
                       f"or 2 / fan-in (fan-in = n_{{l-1}} = {fan_in})")
            if 0.7 <= var * fan_out <= 2.6:
                message += " - scale by the number of inputs of the layer (fan-in), not the number of outputs"
            elif 0.7 <= var <= 2.6:
                message += " - multiply the standard normal samples by sqrt(1 / fan-in) or sqrt(2 / fan-in)"
            elif 0.5 <= var * fan_in ** 2 <= 5:
                message += (" - you divided by fan-in: the variance is 1 / fan-in or 2 / fan-in, so the standard "
                            "deviation is its square root")
            findings.append(_fail(key, message))
        elif abs(mean) * math.sqrt(fan_in) > 0.1:
            findings.append(_fail(key, f"weights have mean {mean:.3g} - draw them centred on zero "
                                       "(torch.randn, not torch.rand)"))
    return findings


def _identical(a: Any, b: Any) -> bool:
    return (isinstance(a, dict) and isinstance(b, dict) and set(a) == set(b)
            and all(isinstance(a[k], torch.Tensor) and isinstance(b[k], torch.Tensor)
                    and a[k].shape == b[k].shape and torch.equal(a[k].cpu(), b[k].cpu()) for k in a))


@dataclass(frozen=True)
class InitParams(Judge):
    """init_mlp called three times in one case: twice with generators seeded alike, once differently.

    Judged on structure, on the statistics of the first draw, and on reproducibility.
    """

    kind: ClassVar[str] = "init_params"

    def judge(self, call: Call, got: Any, expected: Any, tol: Tolerance) -> Judged:
        runs = list(got) if isinstance(got, (tuple, list)) else [got]
        findings: list[Finding] = []
        for i, params in enumerate(runs):
            findings += params_findings(params, expected, "params", "(parameters start in float32)")
            if findings:
                return Judged(findings)
            if i == 0:
                findings += _init_scale_findings(params)
        if len(runs) == 3:
            if not _identical(runs[0], runs[1]):
                findings.append(_fail("generator", "two calls with generators seeded alike gave different "
                                                   "parameters - draw every random number from the generator "
                                                   "passed in (torch.randn(..., generator=generator))"))
            elif _identical(runs[0], runs[2]):
                findings.append(_fail("generator", "generators with different seeds gave identical parameters - "
                                                   "draw the weights from the generator passed in"))
        return Judged(findings or [Finding("params", Status.OK)])


def _held_out(call: Call) -> tuple[torch.Tensor, torch.Tensor, str]:
    if call.extra.get("X_test") is None:  # a case without held-out data
        return call.args[0], call.args[1], "training"
    return call.extra["X_test"], call.extra["t_test"], "held-out"  # a case's make_inputs gives both


RUNS = ("main", "lr 0", "one epoch", "other seed", "full batch")  # the calls of a seeded training case
UNSEEDED_RUNS = ("main", "lr 0", "one epoch", "full batch")         # ... and of one without a generator


@dataclass(frozen=True)
class TrainingJudge(Judge):
    """A mini-batch training part, judged on what it reaches and on how it behaves.

    A seeded case calls the function five times (parts.training_calls): the case itself; lr = 0;
    one epoch; another generator seed; one epoch with batch_size = N, all with the same seed
    unless said. The first run is judged on the cost and accuracy it reaches (_judge_run); the
    others must agree with the contract: lr = 0 leaves the start where it is, one epoch gives what
    the full run had after its first epoch (costs[0], costs[1] and the cost of the returned
    parameters), another seed gives other parameters, and a full batch is one gradient step.
    """

    def judge(self, call: Call, got: Any, expected: Any, tol: Tolerance) -> Judged:
        pairs = call.args  # driver "calls": one (args, kwargs) pair per run, one result per run
        runs = list(got) if isinstance(got, tuple) and len(got) == len(pairs) else [got]
        (args, kwargs) = pairs[0]
        judged = self._judge_run(Call(*args, **kwargs).with_extra(**call.extra), runs[0], expected, tol)
        if len(pairs) == 1 or any(not f.ok for f in judged.findings):
            return judged
        behaviour = self._behaviour(pairs, runs, tol)
        return Judged(behaviour) if behaviour else judged

    def _judge_run(self, call: Call, got: Any, expected: Any, tol: Tolerance) -> Judged:
        raise NotImplementedError

    def _unpack(self, result: Any) -> tuple[Any, torch.Tensor]:
        """(the parameters, the cost history) of one run's result."""
        raise NotImplementedError

    def _cost_of_params(self, args: tuple, kwargs: dict, params: Any) -> float:
        raise NotImplementedError

    def _step(self, args: tuple, kwargs: dict, params: Any) -> Any:
        """The parameters after one full-batch gradient step from params (float64)."""
        raise NotImplementedError

    def _start(self, args: tuple, lr0_params: Any) -> Any:
        """Where training starts (the lr = 0 run shows it when the start is the student's own draw)."""
        return lr0_params

    def _behaviour(self, pairs: tuple, runs: list, tol: Tolerance) -> list[Finding]:
        (args, kwargs) = pairs[0]
        X = args[0]
        loose = tol if X.dtype == torch.float64 else FLOAT32_TOL
        # Two runs with the same seed repeat the same arithmetic: their costs agree to the last few bits.
        tight = Tolerance(1e-10, 1e-8) if X.dtype == torch.float64 else Tolerance(1e-6, 1e-6)
        near = lambda a, b: abs(a - b) <= max(loose.atol, 1e-6) + max(loose.rtol, 1e-6) * abs(b)  # noqa: E731
        same = lambda a, b: abs(a - b) <= tight.atol + tight.rtol * abs(b)  # noqa: E731
        seeded = len(pairs) == len(RUNS)
        names = RUNS if seeded else UNSEEDED_RUNS
        got: dict[str, tuple[Any, torch.Tensor]] = {}
        for name, run in zip(names, runs):
            try:
                params, costs = self._unpack(run)
                got[name] = (params, host64(costs).reshape(-1))
                [host64(p) for p in _tensors(params)]
            except Exception:
                return [_fail("behaviour", f"the {name} run returned {type_name(run)}, not what the contract says",
                              Status.WRONG_STRUCTURE)]
        (p_main, c_main), (p_lr0, c_lr0), (p_one, c_one) = got["main"], got["lr 0"], got["one epoch"]
        objective = lambda p: self._cost_of_params(args, kwargs, p)  # noqa: E731
        findings = []
        start = self._start(args, p_lr0) if seeded else self._start_unseeded(args)
        # Without a seed the start of each run is a fresh draw: each run is held to itself.
        first = float(c_main[0]) if seeded else float(c_lr0[0])
        if not (all(same(float(c), first) for c in c_lr0) and (start is None or _same(p_lr0, start, loose))
                and near(objective(p_lr0), first)):
            findings.append(_fail("lr", "with lr = 0 the parameters must stay where training starts and every cost "
                                        "must stay at costs[0]; yours moved - use lr in every update"))
        if c_one.numel() != 2:
            findings.append(_fail("num_epochs", f"with num_epochs = 1 your costs have {c_one.numel()} entries, "
                                                "expected 2 - run exactly num_epochs epochs", Status.WRONG_STRUCTURE))
        elif not near(objective(p_one), float(c_one[1])) or (seeded and not (
                same(float(c_one[0]), float(c_main[0])) and same(float(c_one[1]), float(c_main[1])))):
            findings.append(_fail("epochs", f"with num_epochs = 1 and the same generator seed, training must give "
                                            f"what the full run had after its first epoch (costs[1] = "
                                            f"{float(c_main[1]):.6g}); yours gave costs[1] = {float(c_one[1]):.6g} "
                                            f"for parameters whose cost is {objective(p_one):.6g} - draw every "
                                            "epoch's order from the generator passed in, and record the cost of the "
                                            "current parameters after each epoch"))
        batch_size = args[5]
        if seeded and batch_size < X.shape[0] and _same(p_main, got["other seed"][0], Tolerance(1e-6, 1e-6)):
            findings.append(_fail("generator", "a generator with another seed gave the same parameters - draw each "
                                               "epoch's order from the generator passed in (e.g. torch.randperm(N, "
                                               "generator=generator))"))
        if start is not None and not _same(got["full batch"][0], self._step(args, kwargs, start),
                                           Tolerance(max(loose.atol, 1e-6), max(loose.rtol, 1e-5))):
            findings.append(_fail("batch_size", "with batch_size = N one epoch is one gradient step on the whole "
                                                "batch from where training starts; yours is not - average each "
                                                "batch's gradient and take one step of size lr per batch"))
        return findings

    def _start_unseeded(self, args: tuple) -> Any:
        """Where an unseeded run starts, when that does not depend on a random draw (None: it does)."""
        return None


def _tensors(params: Any) -> list[torch.Tensor]:
    if isinstance(params, torch.Tensor):
        return [params]
    if isinstance(params, dict):
        return [params[k] for k in sorted(params)]
    return [t for p in params for t in _tensors(p)]


def _same(a: Any, b: Any, tol: Tolerance) -> bool:
    ta, tb = _tensors(a), _tensors(b)
    return len(ta) == len(tb) and all(
        x.shape == y.shape and bool(torch.allclose(host64(x), host64(y), atol=tol.atol, rtol=tol.rtol))
        for x, y in zip(ta, tb))


@dataclass(frozen=True)
class TrainedLinearClassifier(TrainingJudge):
    """fit_softmax_regression: (W, b, costs) judged by what W and b reach, never by the costs alone.

    A submission may shuffle differently and so reach a slightly different point: its training
    cost may exceed the reference's by cost_rtol + cost_atol, its held-out accuracy may fall
    short by acc_slack.
    """

    kind: ClassVar[str] = "trained_linear"
    cost_rtol: float = 0.05
    cost_atol: float = 0.02
    acc_slack: float = 0.05

    def _unpack(self, result: Any) -> tuple[Any, torch.Tensor]:
        W, b, costs = result
        return (W, b), costs

    def _cost_of_params(self, args: tuple, kwargs: dict, params: Any) -> float:
        return objectives.linear_classifier(args[0], args[1], *params)[0]

    def _start(self, args: tuple, lr0_params: Any) -> Any:
        X, K = args[0], args[2]
        return torch.zeros(K, X.shape[1], dtype=torch.float64), torch.zeros(K, dtype=torch.float64)

    def _start_unseeded(self, args: tuple) -> Any:
        return self._start(args, None)

    def _step(self, args: tuple, kwargs: dict, params: Any) -> Any:
        W, b = (host64(p) for p in params)
        dW, db = objectives.linear_classifier_gradients(args[0], args[1], W, b)
        return W - args[3] * dW, b - args[3] * db

    def _judge_run(self, call: Call, got: Any, expected: Any, tol: Tolerance) -> Judged:
        X, t, K, _, num_epochs, _ = call.args
        D = X.shape[1]
        if not isinstance(got, (tuple, list)) or len(got) != 3:
            return Judged([_fail("result", f"expected a tuple (W, b, costs), got {type_name(got)}",
                                 Status.WRONG_STRUCTURE)])
        W, b, costs = got
        findings = []
        for label, g, e, hint in (("W", W, expected[0], f" - W is stored as (outputs, inputs) = (K, D) = ({K}, {D})"),
                                  ("b", b, expected[1], f" - b has one entry per class: (K,) = ({K},)")):
            found = compare_tensor(label, g, e, tol)
            if not found.ok and found.status is not Status.WRONG_VALUE:
                message = found.message + (hint if found.message.startswith("shape") else "")
                findings.append(Finding(label, found.status, message))
        findings += self._costs(costs, X, K, num_epochs, tol)
        if findings:
            return Judged(findings)
        cost, _ = objectives.linear_classifier(X, t, W, b)
        ref_cost, _ = objectives.linear_classifier(X, t, expected[0], expected[1])
        X_eval, t_eval, which = _held_out(call)
        _, acc = objectives.linear_classifier(X_eval, t_eval, W, b)
        _, ref_acc = objectives.linear_classifier(X_eval, t_eval, expected[0], expected[1])
        c = host64(costs)
        last_tol = tol if costs.dtype == X.dtype else FLOAT32_TOL
        if abs(float(c[-1]) - cost) > last_tol.atol + last_tol.rtol * abs(cost):
            message = (f"costs[-1] is {float(c[-1]):.6g} but the full-batch cost of the returned W and b is "
                       f"{cost:.6g} - costs[e] is the cost on all of X after epoch e, so the last entry is the cost "
                       "of the W and b you return")
            if K == D and abs(float(c[-1]) - objectives.linear_classifier(X, t, W.T, b)[0]) <= \
                    last_tol.atol + last_tol.rtol * cost:
                message = ("the returned W looks transposed: costs[-1] is the cost of W.T - W is stored as "
                           "(outputs, inputs) = (K, D), row k holding the weights of class k")
            findings.append(_fail("costs", message))
        # The minimum reached is not printed: for a hidden case it is an expected value.
        if not cost <= ref_cost * (1 + self.cost_rtol) + self.cost_atol:
            message = (f"reaches training cost {cost:.4g}, above the reference's by more than the allowed slack "
                       f"({self.cost_rtol:.0%} + {self.cost_atol:g})")
            if bool((c == c[0]).all()):
                message += (" - your costs never change: update W and b after every batch (a batch_size larger "
                            "than N still gives one, smaller, batch per epoch)")
            elif not float(c[-1]) < float(c[0]):
                message += (" - your costs do not decrease: step against the gradient (W = W - lr * dW), with "
                            "gradients averaged over the batch (a sum makes every step batch_size times too large)")
            else:
                message += (" - does every epoch visit all N examples in batches of batch_size (the last one may "
                            "be smaller) and update after each batch with that batch's averaged gradients?")
            findings.append(_fail("cost", message))
        if not acc >= ref_acc - self.acc_slack:
            findings.append(_fail("accuracy", f"{which} accuracy {acc:.3f}, below the reference's by more than the "
                                              f"allowed slack ({self.acc_slack:g})"))
        return Judged(findings or [Finding("result", Status.OK)])

    @staticmethod
    def _costs(costs: Any, X: torch.Tensor, K: int, num_epochs: int, tol: Tolerance) -> list[Finding]:
        """Structure of the cost history, then costs[0] = log K (the cost at W = 0, b = 0)."""
        findings = cost_history_findings(
            costs, X, num_epochs, before="costs[0] is the cost before training (at W = 0, b = 0)",
            diverged="use a numerically stable cost, and check that the gradients average over the batch "
                     "(a sum makes every step batch_size times too large and can diverge)")
        if findings:
            return findings
        c0, tol0 = float(costs[0]), (tol if costs.dtype == X.dtype else FLOAT32_TOL)
        if abs(c0 - math.log(K)) > tol0.atol + tol0.rtol * math.log(K):
            return [_fail("costs", f"costs[0] is {c0:.6g}, expected log K = log {K} - costs[0] is the full-batch "
                                   "cost before training, at W = 0 and b = 0 (start from zeros, and record it "
                                   "before the first update)")]
        return []


@dataclass(frozen=True)
class TrainedMLP(TrainingJudge):
    """train_mlp: (params, costs) judged by the objective and accuracy the returned parameters reach.

    A submission may initialise and shuffle differently: its training objective may exceed the
    reference's by cost_rtol + cost_atol, its held-out accuracy may fall short by acc_slack.
    """

    kind: ClassVar[str] = "trained_mlp"
    cost_rtol: float = 0.10
    cost_atol: float = 0.05
    acc_slack: float = 0.07

    def _unpack(self, result: Any) -> tuple[Any, torch.Tensor]:
        params, costs = result
        if not isinstance(params, dict):
            raise TypeError("params is not a dict")
        return params, costs

    def _cost_of_params(self, args: tuple, kwargs: dict, params: Any) -> float:
        return objectives.mlp_classifier(args[0], args[1], params, kwargs.get("activation", "relu"),
                                         kwargs.get("weight_decay", 0.0))[0]

    def _step(self, args: tuple, kwargs: dict, params: Any) -> Any:
        grads = objectives.mlp_gradients(args[0], args[1], params, kwargs.get("activation", "relu"),
                                         kwargs.get("weight_decay", 0.0))
        return {k: host64(v) - args[3] * grads[k] for k, v in params.items()}

    def _judge_run(self, call: Call, got: Any, expected: Any, tol: Tolerance) -> Judged:
        X, t, _layer_sizes, _lr, num_epochs, _batch_size = call.args
        activation = call.kwargs.get("activation", "relu")
        weight_decay = call.kwargs.get("weight_decay", 0.0)
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            return Judged([_fail("result", f"expected a pair (params, costs), got {type_name(got)}",
                                 Status.WRONG_STRUCTURE)])
        params, costs = got
        ref_params, _ = expected
        findings = params_findings(params, ref_params, "params", "(the dtype of X: move init_mlp's parameters to it)")
        findings += cost_history_findings(
            costs, X, num_epochs, before="the objective before training",
            diverged="training diverged: check the sign of the update, that gradients average over the batch, "
                     "and that the loss is computed stably")
        if findings:
            return Judged(findings)
        cost, _ = objectives.mlp_classifier(X, t, params, activation, weight_decay)
        ref_cost, _ = objectives.mlp_classifier(X, t, ref_params, activation, weight_decay)
        X_eval, t_eval, which = _held_out(call)
        _, acc = objectives.mlp_classifier(X_eval, t_eval, params, activation, weight_decay)
        _, ref_acc = objectives.mlp_classifier(X_eval, t_eval, ref_params, activation, weight_decay)
        c = host64(costs)
        # The history must describe the returned parameters (float32 rounding allowed for).
        if abs(float(c[-1]) - cost) > 1e-4 + 1e-3 * abs(cost):
            message = (f"costs[-1] is {float(c[-1]):.6g} but the objective of the returned params on all of X is "
                       f"{cost:.6g} - costs[e] is the full objective after epoch e")
            if weight_decay:
                message += ", weight-decay penalty included"
            findings.append(_fail("costs", message))
        if not float(c[-1]) <= float(c[0]):
            findings.append(_fail("costs", "the objective went up during training - step against the gradient "
                                           "(p = p - lr * dp) with the gradients of the current batch"))
        # The reference's objective and accuracy are not printed: for a hidden case they are expected values.
        if not cost <= ref_cost * (1 + self.cost_rtol) + self.cost_atol:
            findings.append(_fail("cost", f"reaches training objective {cost:.4g}, above the reference's by more "
                                          f"than the allowed slack ({self.cost_rtol:.0%} + {self.cost_atol:g}) - "
                                          "does every epoch visit all N examples in batches of batch_size, updating "
                                          "every parameter after each batch with that batch's gradients?"))
        if not acc >= ref_acc - self.acc_slack:
            findings.append(_fail("accuracy", f"{which} accuracy {acc:.3f}, below the reference's by more than the "
                                              f"allowed slack ({self.acc_slack:g})"))
        return Judged(findings or [Finding("result", Status.OK)])


_XOR_INPUTS = ((0.0, 0.0), (0.0, 1.0), (1.0, 0.0), (1.0, 1.0))
_XOR_TARGETS = (0.0, 1.0, 1.0, 0.0)


@dataclass(frozen=True)
class ThresholdXor(Judge):
    """xor_network: the returned parameters, run as hard-threshold units, compute XOR on {0, 1}^2."""

    kind: ClassVar[str] = "threshold_xor"

    def judge(self, call: Call, got: Any, expected: Any, tol: Tolerance) -> Judged:
        findings = params_findings(got, expected, "params", "(plain torch.tensor([...]) of floats is float32)")
        if findings:
            return Judged(findings)
        y = objectives.threshold_network(torch.tensor(_XOR_INPUTS, dtype=torch.float64), got)
        wrong = [f"x = ({int(x[0])}, {int(x[1])}) gives {int(out)}, XOR is {int(target)}"
                 for x, out, target in zip(_XOR_INPUTS, y.tolist(), _XOR_TARGETS) if out != target]
        if wrong:
            return Judged([_fail("xor", "; ".join(wrong) + " (each unit outputs 1 if z > 0 else 0)")])
        return Judged([Finding("xor", Status.OK)])


for _cls in (InitParams, TrainedLinearClassifier, TrainedMLP, ThresholdXor):
    register(_cls)
