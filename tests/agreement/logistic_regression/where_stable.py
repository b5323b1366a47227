# expect: correct
# %%
from typing import Tuple

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import torch

# %%
def sigmoid(z):
    # exp(-|z|) never overflows; choose the form by the sign of z.
    e = torch.exp(-torch.abs(z))
    return torch.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def logistic_predict(X, w, b):
    return sigmoid(X @ w + b)


def binary_cross_entropy(z, t):
    # -log sigmoid(z) = log(1 + exp(-z)) and -log(1 - sigmoid(z)) = log(1 + exp(z))
    zero = torch.zeros_like(z)
    return (t * torch.logaddexp(zero, -z) + (1 - t) * torch.logaddexp(zero, z)).mean()

# %%
def logistic_gradients(X, t, w, b) -> Tuple[torch.Tensor, torch.Tensor]:
    n = X.shape[0]
    dz = (logistic_predict(X, w, b) - t) / n
    return X.T @ dz, dz.sum()


def squared_error_logistic_gradients(X, t, w, b) -> Tuple[torch.Tensor, torch.Tensor]:
    z = X @ w + b
    y = sigmoid(z)
    dz = (y - t) * y * sigmoid(-z) / X.shape[0]
    return X.T @ dz, dz.sum()


def fit_logistic_regression(X, t, lr, num_steps):
    w = torch.zeros(X.shape[1], dtype=X.dtype, device=X.device)
    b = torch.zeros([], dtype=X.dtype, device=X.device)
    costs = [binary_cross_entropy(X @ w + b, t)]
    for _ in range(num_steps):
        dw, db = logistic_gradients(X, t, w, b)
        w, b = w - lr * dw, b - lr * db
        costs.append(binary_cross_entropy(X @ w + b, t))
    return w, b, torch.stack(costs)

# %%
# A decision boundary on two blobs.
g = torch.Generator().manual_seed(0)
X = torch.cat([torch.randn(50, 2, generator=g) + 2, torch.randn(50, 2, generator=g) - 2])
t = torch.cat([torch.ones(50), torch.zeros(50)])
w, b, costs = fit_logistic_regression(X, t, lr=0.5, num_steps=100)
print(f"cost {costs[0]:.3f} -> {costs[-1]:.3f}")
fig, ax = plt.subplots()
ax.scatter(X[:, 0], X[:, 1], c=t, cmap="coolwarm")
xs = torch.linspace(-5, 5, 2)
ax.plot(xs, -(w[0] * xs + b) / w[1], "k--")
plt.close(fig)
