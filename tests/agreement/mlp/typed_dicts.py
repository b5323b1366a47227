# expect: correct
# %%
import math
from typing import Dict, List, Optional, Tuple

import torch
from torch import Tensor

# %%
def linear_forward(X: Tensor, W: Tensor, b: Tensor) -> Tuple[Tensor, Tuple[Tensor, Tensor]]:
    return X @ W.T + b, (X, W)


def linear_backward(dZ: Tensor, cache: Tuple[Tensor, Tensor]) -> Tuple[Tensor, Tensor, Tensor]:
    X, W = cache
    return dZ @ W, dZ.T @ X, dZ.sum(dim=0)


def relu_forward(Z: Tensor):
    return torch.clamp(Z, min=0.0), Z


def relu_backward(dH: Tensor, cache: Tensor) -> Tensor:
    return dH * (cache > 0).to(dH.dtype)


def sigmoid_forward(Z: Tensor):
    e = torch.exp(-Z.abs())
    H = torch.where(Z >= 0, 1 / (1 + e), e / (1 + e))
    return H, H


def sigmoid_backward(dH: Tensor, cache: Tensor) -> Tensor:
    return dH * cache * (1 - cache)


def tanh_forward(Z: Tensor):
    H = torch.tanh(Z)
    return H, H


def tanh_backward(dH: Tensor, cache: Tensor) -> Tensor:
    return dH * (1 - cache ** 2)

# %%
def softmax_cross_entropy_loss(Z: Tensor, t: Tensor) -> Tuple[Tensor, Tensor]:
    N = Z.shape[0]
    S = Z - Z.max(dim=1, keepdim=True).values
    log_sum = torch.log(torch.exp(S).sum(dim=1, keepdim=True))
    log_p = S - log_sum
    rows = torch.arange(N, device=Z.device)
    loss = -log_p[rows, t].mean()
    dZ = torch.exp(log_p)
    dZ[rows, t] -= 1
    return loss, dZ / N


def init_mlp(layer_sizes: List[int], generator: Optional[torch.Generator] = None) -> Dict[str, Tensor]:
    device = generator.device if generator is not None else torch.device("cpu")
    params: Dict[str, Tensor] = {}
    for l, (n_in, n_out) in enumerate(zip(layer_sizes[:-1], layer_sizes[1:]), start=1):
        params[f"W{l}"] = torch.randn(n_out, n_in, generator=generator, device=device) * math.sqrt(2 / n_in)
        params[f"b{l}"] = torch.zeros(n_out, device=device)
    return params

# %%
ACTIVATIONS = {"relu": (relu_forward, relu_backward), "sigmoid": (sigmoid_forward, sigmoid_backward),
               "tanh": (tanh_forward, tanh_backward)}


def mlp_loss_and_gradients(X: Tensor, t: Tensor, params: Dict[str, Tensor], activation: str = "relu",
                           weight_decay: float = 0.0) -> Tuple[Tensor, Dict[str, Tensor]]:
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}")
    forward, backward = ACTIVATIONS[activation]
    L = len(params) // 2
    caches = []
    H = X
    for l in range(1, L + 1):
        Z, lin_cache = linear_forward(H, params[f"W{l}"], params[f"b{l}"])
        act_cache = None
        if l < L:
            H, act_cache = forward(Z)
        caches.append((lin_cache, act_cache))
    loss, dZ = softmax_cross_entropy_loss(Z, t)
    grads: Dict[str, Tensor] = {}
    for l in range(L, 0, -1):
        lin_cache, act_cache = caches[l - 1]
        if l < L:
            dZ = backward(dH, act_cache)
        dH, grads[f"W{l}"], grads[f"b{l}"] = linear_backward(dZ, lin_cache)
    if weight_decay:
        loss = loss + weight_decay / 2 * sum((params[f"W{l}"] ** 2).sum() for l in range(1, L + 1))
        for l in range(1, L + 1):
            grads[f"W{l}"] = grads[f"W{l}"] + weight_decay * params[f"W{l}"]
    return loss, {k: grads[k] for k in params}

# %%
def train_mlp(X: Tensor, t: Tensor, layer_sizes: List[int], lr: float, num_epochs: int, batch_size: int,
              activation: str = "relu", weight_decay: float = 0.0, generator: Optional[torch.Generator] = None):
    params = {k: v.to(dtype=X.dtype, device=X.device) for k, v in init_mlp(layer_sizes, generator).items()}
    perm_device = generator.device if generator is not None else torch.device("cpu")
    N = X.shape[0]
    costs = [mlp_loss_and_gradients(X, t, params, activation, weight_decay)[0]]
    for epoch in range(1, num_epochs + 1):
        order = torch.randperm(N, generator=generator, device=perm_device).to(X.device)
        for start in range(0, N, batch_size):
            idx = order[start:start + batch_size]
            _, grads = mlp_loss_and_gradients(X[idx], t[idx], params, activation, weight_decay)
            params = {k: p - lr * grads[k] for k, p in params.items()}
        costs.append(mlp_loss_and_gradients(X, t, params, activation, weight_decay)[0])
        if epoch % 50 == 0:
            print(f"epoch {epoch}: objective {costs[-1].item():.4f}")
    return params, torch.stack(costs)


def xor_network() -> Dict[str, Tensor]:
    return {"W1": torch.tensor([[1.0, 1.0], [1.0, 1.0]]), "b1": torch.tensor([-0.5, -1.5]),
            "W2": torch.tensor([[1.0, -2.0]]), "b2": torch.tensor([-0.5])}

# %%
X = torch.randn(256, 4)
t = (X[:, 0] * X[:, 1] > 0).long()
params, costs = train_mlp(X, t, [4, 16, 2], lr=0.1, num_epochs=20, batch_size=32,
                          generator=torch.Generator().manual_seed(0))
print(f"objective {costs[0]:.3f} -> {costs[-1]:.3f}")
