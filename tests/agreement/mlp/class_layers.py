# expect: correct
# %%
import itertools
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import torch

# %%
@dataclass
class LinearCache:
    X: torch.Tensor
    W: torch.Tensor


def linear_forward(X, W, b):
    return torch.addmm(b, X, W.t()), LinearCache(X, W)


def linear_backward(dZ, cache):
    return dZ @ cache.W, dZ.t() @ cache.X, dZ.sum(0)


def relu_forward(Z):
    mask = Z > 0
    return Z * mask, mask


def relu_backward(dH, cache):
    return dH * cache


def sigmoid_forward(Z):
    H = torch.exp(-torch.logaddexp(torch.zeros_like(Z), -Z))
    return H, H


def sigmoid_backward(dH, cache):
    return dH * cache * (1 - cache)


def tanh_forward(Z):
    H = Z.tanh()
    return H, H


def tanh_backward(dH, cache):
    return dH * (1 - cache * cache)


def softmax_cross_entropy_loss(Z, t):
    N = len(Z)
    Zs = Z - Z.amax(1, keepdim=True)
    P = Zs.exp() / Zs.exp().sum(1, keepdim=True)
    loss = (torch.log(Zs.exp().sum(1)) - Zs.gather(1, t.view(-1, 1)).view(-1)).mean()
    T = torch.zeros_like(Z).scatter_(1, t.view(-1, 1), 1.0)
    return loss, (P - T) / N

# %%
class Dense:
    """One layer of the network; mlp_loss_and_gradients builds a list of these."""

    def __init__(self, W, b, act=None):
        self.W, self.b, self.act = W, b, act

    def forward(self, H):
        Z, self.lin = linear_forward(H, self.W, self.b)
        if self.act is None:
            return Z
        H, self.act_cache = self.act[0](Z)
        return H

    def backward(self, dH):
        dZ = dH if self.act is None else self.act[1](dH, self.act_cache)
        return linear_backward(dZ, self.lin)


def init_mlp(layer_sizes, generator=None):
    device = torch.device("cpu") if generator is None else generator.device
    params = OrderedDict()
    for l, (n_in, n_out) in enumerate(itertools.pairwise(layer_sizes), 1):
        scale = np.sqrt(2.0 / n_in)
        params[f"W{l}"] = scale * torch.randn(n_out, n_in, generator=generator, device=device)
        params[f"b{l}"] = torch.zeros(n_out, device=device)
    return dict(params)


def mlp_loss_and_gradients(X, t, params, activation="relu", weight_decay=0.0):
    acts = {"relu": (relu_forward, relu_backward), "sigmoid": (sigmoid_forward, sigmoid_backward),
            "tanh": (tanh_forward, tanh_backward)}
    if activation not in acts:
        raise ValueError(activation)
    L = len(params) // 2
    layers = [Dense(params[f"W{l}"], params[f"b{l}"], acts[activation] if l < L else None) for l in range(1, L + 1)]
    H = X
    for layer in layers:
        H = layer.forward(H)
    loss, dH = softmax_cross_entropy_loss(H, t)
    grads = OrderedDict()
    for l in range(L, 0, -1):
        dH, dW, db = layers[l - 1].backward(dH)
        grads[f"W{l}"] = dW + weight_decay * params[f"W{l}"]
        grads[f"b{l}"] = db
    loss = loss + 0.5 * weight_decay * sum(torch.sum(params[f"W{l}"] ** 2) for l in range(1, L + 1))
    return loss, grads


def train_mlp(X, t, layer_sizes, lr, num_epochs, batch_size, activation="relu", weight_decay=0.0,
              generator=None):
    params = {k: v.to(X) for k, v in init_mlp(layer_sizes, generator).items()}
    order_device = generator.device if generator is not None else "cpu"
    objective = lambda: mlp_loss_and_gradients(X, t, params, activation, weight_decay)[0]  # noqa: E731
    costs = [objective()]
    for _ in range(num_epochs):
        for batch in torch.randperm(len(X), generator=generator, device=order_device).to(X.device).split(batch_size):
            _, grads = mlp_loss_and_gradients(X[batch], t[batch], params, activation, weight_decay)
            for name in params:
                params[name] = params[name] - lr * grads[name]
        costs.append(objective())
    return params, torch.stack(costs)


def xor_network():
    W1 = torch.tensor([[20.0, 20.0], [-20.0, -20.0]], dtype=torch.float32)
    b1 = torch.tensor([-10.0, 30.0], dtype=torch.float32)
    W2 = torch.tensor([[20.0, 20.0]], dtype=torch.float32)
    b2 = torch.tensor([-30.0], dtype=torch.float32)
    return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
