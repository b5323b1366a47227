# expect: correct
# %%
from typing import Dict, List, Optional, Tuple

import torch
from torch import Tensor

Params = Dict[str, Tensor]
Cache = Tuple[Tensor, ...]

# %%
def linear_forward(X: Tensor, W: Tensor, b: Tensor) -> Tuple[Tensor, Cache]:
    return X @ W.T + b, (X, W)


def linear_backward(dZ: Tensor, cache: Cache) -> Tuple[Tensor, Tensor, Tensor]:
    X, W = cache
    return dZ @ W, dZ.T @ X, dZ.sum(0)


def relu_forward(Z: Tensor) -> Tuple[Tensor, Cache]:
    return Z.clamp(min=0), (Z,)


def relu_backward(dH: Tensor, cache: Cache) -> Tensor:
    return dH * (cache[0] > 0)


def sigmoid_forward(Z: Tensor) -> Tuple[Tensor, Cache]:
    e = torch.exp(-Z.abs())
    H = torch.where(Z >= 0, 1 / (1 + e), e / (1 + e))
    return H, (H,)


def sigmoid_backward(dH: Tensor, cache: Cache) -> Tensor:
    return dH * cache[0] * (1 - cache[0])


def tanh_forward(Z: Tensor) -> Tuple[Tensor, Cache]:
    H = torch.tanh(Z)
    return H, (H,)


def tanh_backward(dH: Tensor, cache: Cache) -> Tensor:
    return dH * (1 - cache[0] ** 2)


def softmax_cross_entropy_loss(Z: Tensor, t: Tensor) -> Tuple[Tensor, Tensor]:
    N = Z.shape[0]
    S = Z - Z.amax(1, keepdim=True)
    E = S.exp()
    total = E.sum(1, keepdim=True)
    rows = torch.arange(N, device=Z.device)
    loss = (total.log().squeeze(1) - S[rows, t]).mean()
    dZ = E / total
    dZ[rows, t] -= 1
    return loss, dZ / N

# %%
def init_mlp(layer_sizes: List[int], generator: Optional[torch.Generator] = None) -> Params:
    device = generator.device if generator is not None else torch.device("cpu")
    params: Params = {}
    for l in range(1, len(layer_sizes)):
        n_in = layer_sizes[l - 1]
        params[f"W{l}"] = torch.randn(layer_sizes[l], n_in, generator=generator, device=device) * (2 / n_in) ** 0.5
        params[f"b{l}"] = torch.zeros(layer_sizes[l], device=device)
    return params


def mlp_loss_and_gradients(X: Tensor, t: Tensor, params: Params, activation: str = "relu",
                           weight_decay: float = 0.0) -> Tuple[Tensor, Params]:
    layers = {"relu": (relu_forward, relu_backward), "sigmoid": (sigmoid_forward, sigmoid_backward),
              "tanh": (tanh_forward, tanh_backward)}
    if activation not in layers:
        raise ValueError(activation)
    fwd, bwd = layers[activation]
    L = len(params) // 2
    H, lin, act = X, [], []
    for l in range(1, L + 1):
        H, c = linear_forward(H, params[f"W{l}"], params[f"b{l}"])
        lin.append(c)
        if l < L:
            H, c = fwd(H)
            act.append(c)
    loss, d = softmax_cross_entropy_loss(H, t)
    grads: Params = {}
    for l in range(L, 0, -1):
        d, grads[f"W{l}"], grads[f"b{l}"] = linear_backward(d, lin[l - 1])
        if l > 1:
            d = bwd(d, act[l - 2])
    for l in range(1, L + 1):
        W = params[f"W{l}"]
        loss = loss + weight_decay / 2 * (W ** 2).sum()
        grads[f"W{l}"] = grads[f"W{l}"] + weight_decay * W
    return loss, {k: grads[k] for k in params}


def train_mlp(X: Tensor, t: Tensor, layer_sizes: List[int], lr: float, num_epochs: int, batch_size: int,
              activation: str = "relu", weight_decay: float = 0.0,
              generator: Optional[torch.Generator] = None) -> Tuple[Params, Tensor]:
    params = {k: v.to(X.dtype).to(X.device) for k, v in init_mlp(layer_sizes, generator).items()}
    dev = generator.device if generator is not None else "cpu"
    costs = [mlp_loss_and_gradients(X, t, params, activation, weight_decay)[0]]
    for _ in range(num_epochs):
        order = torch.randperm(X.shape[0], generator=generator, device=dev).to(X.device)
        for i in range(0, X.shape[0], batch_size):
            idx = order[i:i + batch_size]
            _, grads = mlp_loss_and_gradients(X[idx], t[idx], params, activation, weight_decay)
            params = {k: params[k] - lr * grads[k] for k in params}
        costs.append(mlp_loss_and_gradients(X, t, params, activation, weight_decay)[0])
    return params, torch.stack(costs)


def xor_network() -> Params:
    return {"W1": torch.tensor([[1.0, 1.0], [-1.0, -1.0]]), "b1": torch.tensor([-0.5, 1.5]),
            "W2": torch.tensor([[1.0, 1.0]]), "b2": torch.tensor([-1.5])}
