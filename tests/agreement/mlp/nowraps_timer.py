# expect: correct
# %%
import time
from collections import defaultdict

import torch


def timer(fn):
    def timed(*args, **kwargs):
        t0 = time.time()
        out = fn(*args, **kwargs)
        print(f"{fn.__name__}: {time.time() - t0:.2f} s")
        return out
    return timed

# %%
def linear_forward(X, W, b):
    return X @ W.T + b, {"X": X, "W": W}


def linear_backward(dZ, cache):
    return dZ @ cache["W"], dZ.T @ cache["X"], dZ.sum(dim=0)


def relu_forward(Z):
    return Z.clamp(min=0), {"Z": Z}


def relu_backward(dH, cache):
    return dH * (cache["Z"] > 0)


def sigmoid_forward(Z):
    e = (-Z.abs()).exp()
    H = torch.where(Z < 0, e / (1 + e), 1 / (1 + e))
    return H, {"H": H}


def sigmoid_backward(dH, cache):
    H = cache["H"]
    return dH * H * (1 - H)


def tanh_forward(Z):
    return torch.tanh(Z), {"H": torch.tanh(Z)}


def tanh_backward(dH, cache):
    return dH * (1 - cache["H"] ** 2)


def softmax_cross_entropy_loss(Z, t):
    N = Z.shape[0]
    shifted = Z - Z.max(dim=1, keepdim=True)[0]
    log_probs = shifted - shifted.exp().sum(dim=1, keepdim=True).log()
    probs = log_probs.exp()
    loss = -log_probs[torch.arange(N, device=Z.device), t].sum() / N
    probs[torch.arange(N, device=Z.device), t] -= 1
    return loss, probs / N

# %%
def init_mlp(layer_sizes, generator=None):
    dev = generator.device if generator is not None else torch.device("cpu")
    return {name: tensor
            for l in range(1, len(layer_sizes))
            for name, tensor in ((f"W{l}", torch.randn(layer_sizes[l], layer_sizes[l - 1], generator=generator,
                                                       device=dev) * (2 / layer_sizes[l - 1]) ** 0.5),
                                 (f"b{l}", torch.zeros(layer_sizes[l], device=dev)))}


def mlp_loss_and_gradients(X, t, params, activation="relu", weight_decay=0.0):
    if activation == "relu":
        f, fb = relu_forward, relu_backward
    elif activation == "sigmoid":
        f, fb = sigmoid_forward, sigmoid_backward
    elif activation == "tanh":
        f, fb = tanh_forward, tanh_backward
    else:
        raise ValueError("bad activation " + str(activation))
    L = len(params) // 2
    caches = defaultdict(dict)
    H = X
    for l in range(1, L + 1):
        Z, caches[l]["lin"] = linear_forward(H, params[f"W{l}"], params[f"b{l}"])
        if l < L:
            H, caches[l]["act"] = f(Z)
    loss, dZ = softmax_cross_entropy_loss(Z, t)
    grads = {}
    for l in range(L, 0, -1):
        if l < L:
            dZ = fb(dH, caches[l]["act"])
        dH, dW, grads[f"b{l}"] = linear_backward(dZ, caches[l]["lin"])
        grads[f"W{l}"] = dW + weight_decay * params[f"W{l}"]
    loss = loss + weight_decay / 2 * sum((params[f"W{l}"] ** 2).sum() for l in range(1, L + 1))
    return loss, {k: grads[k] for k in params}

# %%
@timer
def train_mlp(X, t, layer_sizes, lr, num_epochs, batch_size, activation="relu", weight_decay=0.0,
              generator=None):
    params = {k: v.to(dtype=X.dtype, device=X.device) for k, v in init_mlp(layer_sizes, generator).items()}
    costs = [mlp_loss_and_gradients(X, t, params, activation, weight_decay)[0]]
    for epoch in range(num_epochs):
        order = torch.randperm(X.shape[0], generator=generator,
                               device=generator.device if generator is not None else "cpu").to(X.device)
        for batch in torch.split(order, batch_size):
            _, g = mlp_loss_and_gradients(X[batch], t[batch], params, activation, weight_decay)
            params = {k: params[k] - lr * g[k] for k in params}
        costs.append(mlp_loss_and_gradients(X, t, params, activation, weight_decay)[0])
    return params, torch.stack(costs)


def xor_network():
    W1 = torch.tensor([[2.0, 2.0], [-2.0, -2.0]])
    b1 = torch.tensor([-1.0, 3.0])
    W2 = torch.tensor([[1.0, 1.0]])
    b2 = torch.tensor([-1.0])
    return dict(W1=W1, b1=b1, W2=W2, b2=b2)

# %%
X = torch.randn(100, 3)
t = torch.randint(0, 2, (100,))
params, costs = train_mlp(X, t, [3, 8, 2], 0.1, 5, 10)
