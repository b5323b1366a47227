"""Costs and accuracies of a returned model, in float64 on the CPU (for the judges).

Every function here computes only through calls that the rules ban in graded code
(torch.nn.functional, torch.sigmoid), so none of it can be pasted into a graded
function for credit; tests/test_check_package.py holds this file to that. The
notebook's setup cell ships it because its training checks judge with it.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from .compare import host64


def least_squares_cost(X: torch.Tensor, t: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> float:
    """J(w, b) of linear regression: half the mean squared error of X w + b against t."""
    y = F.linear(host64(X), host64(w).reshape(1, -1), host64(b).reshape(1)).reshape(-1)
    return float(F.mse_loss(y, host64(t), reduction="mean") / 2)


def linear_classifier(X: torch.Tensor, t: torch.Tensor, W: torch.Tensor,
                      b: torch.Tensor) -> tuple[float, float]:
    """(mean softmax cross-entropy, accuracy) of the logits X W^T + b against class indices t."""
    Z = F.linear(host64(X), host64(W), host64(b))
    labels = t.detach().to("cpu")
    return float(F.cross_entropy(Z, labels)), float((Z.argmax(dim=1) == labels).double().mean())


_ACTIVATIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {"relu": F.relu, "sigmoid": torch.sigmoid,
                                                                   "tanh": F.tanh}


def mlp_logits(X: torch.Tensor, params: dict[str, torch.Tensor], activation: str) -> torch.Tensor:
    """Logits of an MLP whose parameters are W1, b1, ..., WL, bL; the activation on hidden layers only."""
    return _forward(host64(X), {k: host64(v) for k, v in params.items()}, activation)


def _forward(H: torch.Tensor, params: dict[str, torch.Tensor], activation: str) -> torch.Tensor:
    layers = len(params) // 2
    for layer in range(1, layers + 1):
        H = F.linear(H, params[f"W{layer}"], params[f"b{layer}"])
        if layer < layers:
            H = _ACTIVATIONS[activation](H)
    return H


def mlp_classifier(X: torch.Tensor, t: torch.Tensor, params: dict[str, torch.Tensor], activation: str,
                   weight_decay: float) -> tuple[float, float]:
    """(cross-entropy + weight_decay / 2 * sum of squared weights, accuracy) of an MLP."""
    Z = mlp_logits(X, params, activation)
    labels = t.detach().to("cpu")
    squares = sum(F.mse_loss(host64(W), torch.zeros_like(host64(W)), reduction="sum")
                  for key, W in params.items() if key.startswith("W"))
    objective = F.cross_entropy(Z, labels) + weight_decay / 2 * squares
    return float(objective), float((Z.argmax(dim=1) == labels).double().mean())


def threshold_network(X: torch.Tensor, params: dict[str, torch.Tensor]) -> torch.Tensor:
    """Outputs of a 2-layer network of hard-threshold units (1 if z > 0 else 0)."""
    step = lambda z: F.threshold(z, 0.0, 0.0).gt(0).to(torch.float64)
    hidden = step(F.linear(host64(X), host64(params["W1"]), host64(params["b1"])))
    return step(F.linear(hidden, host64(params["W2"]), host64(params["b2"]))).reshape(-1)


def linear_classifier_gradients(X: torch.Tensor, t: torch.Tensor, W: torch.Tensor,
                                b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(dW, db) of the mean softmax cross-entropy at (W, b), in float64, by torch.autograd."""
    W64, b64 = host64(W).requires_grad_(True), host64(b).requires_grad_(True)
    cost = F.cross_entropy(F.linear(host64(X), W64, b64), t.detach().to("cpu"))
    dW, db = torch.autograd.grad(cost, (W64, b64))
    return dW, db


def mlp_gradients(X: torch.Tensor, t: torch.Tensor, params: dict[str, torch.Tensor], activation: str,
                  weight_decay: float) -> dict[str, torch.Tensor]:
    """The gradient of mlp_classifier's objective for every parameter, in float64, by torch.autograd."""
    leaves = {k: host64(v).requires_grad_(True) for k, v in params.items()}
    squares = sum(F.mse_loss(W, torch.zeros_like(W), reduction="sum") for k, W in leaves.items() if k.startswith("W"))
    objective = F.cross_entropy(_forward(host64(X), leaves, activation), t.detach().to("cpu")) + \
        weight_decay / 2 * squares
    grads = torch.autograd.grad(objective, list(leaves.values()))
    return dict(zip(leaves, grads))
