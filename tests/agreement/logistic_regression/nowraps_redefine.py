# expect: correct
# %%
import time
from collections import defaultdict

import torch

# %%
def sigmoid(z):
    return torch.exp(z) / (1 + torch.exp(z))   # first attempt: nan for large z

# %%
def stopwatch(fn):
    def run(*args, **kwargs):
        start = time.time()
        value = fn(*args, **kwargs)
        print(f"[{time.time() - start:.3f}s]")
        return value
    return run

# %%
# Rewritten in a stable form.
def sigmoid(z):
    return torch.exp(-torch.logaddexp(torch.zeros_like(z), -z))


@stopwatch
def logistic_predict(X, w, b):
    return sigmoid(X @ w + b)


def binary_cross_entropy(z, t):
    return (torch.logaddexp(torch.zeros_like(z), z) - t * z).mean()

# %%
def logistic_gradients(X, t, w, b):
    r = sigmoid(X @ w + b) - t
    return (X * r[:, None]).mean(0), r.mean()


def squared_error_logistic_gradients(X, t, w, b):
    z = X @ w + b
    s = sigmoid(z)
    r = (s - t) * s * sigmoid(-z)
    return (X * r[:, None]).mean(0), r.mean()


def fit_logistic_regression(X, t, lr, num_steps):
    w = X.new_zeros(X.shape[1])
    b = X.new_zeros(())
    costs = [binary_cross_entropy(X @ w + b, t)]
    for _ in range(num_steps):
        dw, db = logistic_gradients(X, t, w, b)
        w, b = w - lr * dw, b - lr * db
        costs.append(binary_cross_entropy(X @ w + b, t))
    return w, b, torch.stack(costs)

# %%
history = defaultdict(list)
X = torch.randn(100, 2)
t = (X.sum(1) > 0).float()
for lr in (0.1, 1.0):
    _, _, costs = fit_logistic_regression(X, t, lr, 20)
    history[lr] = costs.tolist()
print({lr: round(c[-1], 3) for lr, c in history.items()})
