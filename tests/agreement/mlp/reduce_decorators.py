# expect: correct
# %%
import functools
import operator
import time

import torch
from torch.utils.data import DataLoader, TensorDataset
from tqdm.auto import tqdm


def timed(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        result = fn(*args, **kwargs)
        wrapper.last_seconds = time.perf_counter() - start
        return result
    return wrapper

# %%
def linear_forward(X, W, b):
    Z = X @ W.T + b
    return Z, (X, W)


def linear_backward(dZ, cache):
    X, W = cache
    return dZ @ W, dZ.T @ X, dZ.sum(0)


def relu_forward(Z):
    return torch.maximum(Z, torch.zeros_like(Z)), (Z,)


def relu_backward(dH, cache):
    (Z,) = cache
    return torch.where(Z > 0, dH, torch.zeros_like(dH))


def sigmoid_forward(Z):
    pos = 1 / (1 + torch.exp(-Z.clamp(min=0)))
    ez = torch.exp(Z.clamp(max=0))
    H = torch.where(Z >= 0, pos, ez / (1 + ez))
    return H, (H,)


def sigmoid_backward(dH, cache):
    (H,) = cache
    return dH * H * (1 - H)


def tanh_forward(Z):
    H = torch.tanh(Z)
    return H, (H,)


def tanh_backward(dH, cache):
    (H,) = cache
    return dH - dH * H * H


def softmax_cross_entropy_loss(Z, t):
    N = Z.shape[0]
    m = Z.max(1, keepdim=True).values
    E = torch.exp(Z - m)
    S = E.sum(1, keepdim=True)
    loss = (torch.log(S).squeeze(1) + m.squeeze(1) - Z[torch.arange(N, device=Z.device), t]).mean()
    dZ = E / S
    dZ[torch.arange(N, device=Z.device), t] -= 1
    return loss, dZ / N

# %%
def init_mlp(layer_sizes, generator=None):
    dev = "cpu" if generator is None else generator.device
    params = {}
    for i in range(1, len(layer_sizes)):
        fan_in = layer_sizes[i - 1]
        params["W%d" % i] = torch.randn(layer_sizes[i], fan_in, generator=generator, device=dev) * (2.0 / fan_in) ** 0.5
        params["b%d" % i] = torch.zeros(layer_sizes[i], device=dev)
    return params


@timed
def mlp_loss_and_gradients(X, t, params, activation="relu", weight_decay=0.0):
    pairs = {"relu": (relu_forward, relu_backward), "sigmoid": (sigmoid_forward, sigmoid_backward),
             "tanh": (tanh_forward, tanh_backward)}
    if activation not in pairs:
        raise ValueError(f"activation must be relu, sigmoid or tanh, not {activation}")
    fwd, bwd = pairs[activation]
    L = len(params) // 2
    H, tape = X, []
    for l in range(1, L + 1):
        Z, lc = linear_forward(H, params[f"W{l}"], params[f"b{l}"])
        H, ac = fwd(Z) if l < L else (Z, None)
        tape.append((lc, ac))
    loss, dZ = softmax_cross_entropy_loss(H, t)
    Ws = [params[f"W{l}"] for l in range(1, L + 1)]
    penalty = functools.reduce(operator.add, [(W * W).sum() for W in Ws])
    loss = loss + weight_decay / 2 * penalty
    grads = {}
    for l in reversed(range(1, L + 1)):
        lc, ac = tape[l - 1]
        if ac is not None:
            dZ = bwd(dH, ac)
        dH, dW, db = linear_backward(dZ, lc)
        grads[f"W{l}"] = dW + weight_decay * params[f"W{l}"]
        grads[f"b{l}"] = db
    return loss, {k: grads[k] for k in params}

# %%
@torch.no_grad()
def train_mlp(X, t, layer_sizes, lr, num_epochs, batch_size, activation="relu", weight_decay=0.0,
              generator=None):
    params = {k: v.to(device=X.device, dtype=X.dtype) for k, v in init_mlp(layer_sizes, generator).items()}
    costs = [mlp_loss_and_gradients(X, t, params, activation, weight_decay)[0]]
    for _ in tqdm(range(num_epochs), desc="epochs", leave=False):
        order = torch.randperm(len(X), generator=generator,
                               device="cpu" if generator is None else generator.device).to(X.device)
        # The contract's order, batched by a DataLoader over the reordered examples.
        for xb, tb in DataLoader(TensorDataset(X[order], t[order]), batch_size=batch_size):
            _, grads = mlp_loss_and_gradients(xb, tb, params, activation, weight_decay)
            for k in params:
                params[k] -= lr * grads[k]
        costs.append(mlp_loss_and_gradients(X, t, params, activation, weight_decay)[0])
    return params, torch.stack(costs)


def xor_network():
    f32 = dict(dtype=torch.float32)
    return {"W1": torch.tensor([[1, 1], [-1, -1]], **f32), "b1": torch.tensor([-0.5, 1.5], **f32),
            "W2": torch.tensor([[1, 1]], **f32), "b2": torch.tensor([-1.5], **f32)}

# %%
# Stacked linear layers are still linear: the product of the weight matrices is one layer.
Ws = [torch.randn(5, 4), torch.randn(3, 5), torch.randn(2, 3)]
collapsed = functools.reduce(lambda A, B: B @ A, Ws)
x = torch.randn(7, 4)
print(torch.allclose(x @ collapsed.T, functools.reduce(lambda H, W: H @ W.T, Ws, x), atol=1e-4))
X = torch.randn(64, 4)
t = torch.randint(0, 3, (64,))
params, costs = train_mlp(X, t, [4, 8, 3], 0.1, 3, 16)
print(f"one loss-and-gradients call: {mlp_loss_and_gradients.last_seconds * 1e3:.2f} ms")
