# expect: correct
# %%
import functools
import time

import torch
from tqdm.auto import tqdm


def timed(f):
    @functools.wraps(f)
    def wrapped(*args, **kwargs):
        t0 = time.perf_counter()
        try:
            return f(*args, **kwargs)
        finally:
            wrapped.seconds = time.perf_counter() - t0
    return wrapped

# %%
def sigmoid(z):
    out = torch.empty_like(z)
    pos = z >= 0
    out[pos] = 1 / (1 + torch.exp(-z[pos]))
    ez = torch.exp(z[~pos])
    out[~pos] = ez / (1 + ez)
    return out


def logistic_predict(X, w, b):
    return sigmoid(X @ w + b)


def binary_cross_entropy(z, t):
    loss = torch.where(z > 0, z + torch.log1p(torch.exp(-z)), torch.log1p(torch.exp(z))) - t * z
    return loss.mean()

# %%
@timed
def logistic_gradients(X, t, w, b):
    y = logistic_predict(X, w, b)
    g = (y - t) / len(y)
    return X.T @ g, g.sum()


@torch.no_grad()
def squared_error_logistic_gradients(X, t, w, b):
    z = X @ w + b
    y, one_minus_y = sigmoid(z), sigmoid(-z)
    g = (y - t) * y * one_minus_y / len(t)
    return X.T @ g, g.sum()

# %%
@torch.no_grad()
def fit_logistic_regression(X, t, lr, num_steps):
    w = torch.zeros_like(X[0])
    b = torch.zeros_like(X[0, 0])
    costs = [binary_cross_entropy(X @ w + b, t)]
    for step in tqdm(range(num_steps), desc="training", disable=num_steps < 50):
        dw, db = logistic_gradients(X, t, w, b)
        w = w - lr * dw
        b = b - lr * db
        costs.append(binary_cross_entropy(X @ w + b, t))
        if step % 100 == 0:
            print(f"step {step:4d}  cost {costs[-1].item():.4f}")
    return w, b, torch.stack(costs)

# %%
X = torch.randn(200, 3)
t = (X[:, 0] - X[:, 1] > 0).float()
w, b, costs = fit_logistic_regression(X, t, 1.0, 300)
print("accuracy", ((logistic_predict(X, w, b) > 0.5).float() == t).float().mean().item())
print(f"last gradient took {logistic_gradients.seconds * 1e3:.2f} ms")
