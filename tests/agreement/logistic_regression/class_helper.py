# expect: correct
# %%
import math
from dataclasses import dataclass

import torch


class Stable:
    """Numerically stable building blocks."""

    @staticmethod
    def softplus(z):
        return z.clamp(min=0) + torch.log1p(torch.exp(-z.abs()))

    @staticmethod
    def logistic(z):
        return torch.exp(-Stable.softplus(-z))

# %%
def sigmoid(z):
    return Stable.logistic(z)


def logistic_predict(X, w, b):
    return sigmoid(X @ w + b)


def binary_cross_entropy(z, t):
    return (Stable.softplus(z) - t * z).mean()


def logistic_gradients(X, t, w, b):
    N = X.shape[0]
    delta = logistic_predict(X, w, b) - t
    return X.t() @ delta / N, delta.sum() / N


def squared_error_logistic_gradients(X, t, w, b):
    N = X.shape[0]
    z = X @ w + b
    y = sigmoid(z)
    delta = (y - t) * torch.exp(-Stable.softplus(z) - Stable.softplus(-z))
    return X.t() @ delta / N, delta.sum() / N


def fit_logistic_regression(X, t, lr, num_steps):
    params = [X.new_zeros(X.shape[1]), X.new_zeros(())]
    costs = []
    for step in range(num_steps + 1):
        w, b = params
        costs.append(binary_cross_entropy(X @ w + b, t))
        if step == num_steps:
            break
        grads = logistic_gradients(X, t, w, b)
        params = [p - lr * g for p, g in zip(params, grads)]
    return params[0], params[1], torch.stack(costs)

# %%
@dataclass
class Config:
    lr: float = 0.5
    steps: int = 50


# Experiments in double precision (the grader always starts from float32).
torch.set_default_dtype(torch.float64)
cfg = Config()
X = torch.randn(80, 2)
t = (X[:, 0] > 0).to(X.dtype)
w, b, costs = fit_logistic_regression(X, t, cfg.lr, cfg.steps)
print(f"{cfg}: cost {costs[-1]:.4f}, log(2) = {math.log(2):.4f}")
