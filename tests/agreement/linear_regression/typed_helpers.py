# expect: correct
# %%
# Imports and a debug switch.
from typing import Tuple

import torch
from torch import Tensor

DEBUG = False

# %%
def predict(X: Tensor, w: Tensor, b: Tensor) -> Tensor:
    y = X @ w + b
    if DEBUG:
        print(f"predict: X {tuple(X.shape)} -> y {tuple(y.shape)}")
    return y


def _residual(X: Tensor, t: Tensor, w: Tensor, b: Tensor) -> Tensor:
    """y - t, shared by the cost and its gradients."""
    return predict(X, w, b) - t

# %%
def squared_error_cost(y: Tensor, t: Tensor) -> Tensor:
    n = y.shape[0]
    return ((y - t) ** 2).sum() / (2 * n)


def cost_gradients(X: Tensor, t: Tensor, w: Tensor, b: Tensor) -> Tuple[Tensor, Tensor]:
    r = _residual(X, t, w, b)
    n = X.shape[0]
    return X.T @ r / n, r.sum() / n

# %%
def gradient_descent(X: Tensor, t: Tensor, lr: float, num_steps: int) -> Tuple[Tensor, Tensor, Tensor]:
    w = torch.zeros_like(X[0])
    b = torch.zeros_like(X[0, 0])
    history = [squared_error_cost(predict(X, w, b), t)]
    for step in range(num_steps):
        dw, db = cost_gradients(X, t, w, b)
        w = w - lr * dw
        b = b - lr * db
        history.append(squared_error_cost(predict(X, w, b), t))
        if DEBUG and step % 10 == 0:
            print(f"step {step}: cost {history[-1].item():.4f}")
    return w, b, torch.stack(history)

# %%
def fit_direct(X: Tensor, t: Tensor) -> Tuple[Tensor, Tensor]:
    A = torch.cat([X, torch.ones_like(X[:, :1])], dim=1)
    theta = torch.linalg.pinv(A) @ t
    return theta[:-1], theta[-1]


def polynomial_features(x: Tensor, degree: int) -> Tensor:
    return torch.stack([x ** k for k in range(degree + 1)], dim=1)

# %%
# Experiment: gradient descent against the direct solution.
torch.manual_seed(0)
X_demo = torch.randn(50, 2)
t_demo = X_demo @ torch.tensor([2.0, -1.0]) + 0.5 + 0.1 * torch.randn(50)
w_gd, b_gd, costs = gradient_descent(X_demo, t_demo, lr=0.1, num_steps=200)
w_cf, b_cf = fit_direct(X_demo, t_demo)
print(f"GD: w={w_gd.tolist()}, b={b_gd.item():.3f}; direct: w={w_cf.tolist()}, b={b_cf.item():.3f}")
print(f"final cost {costs[-1].item():.5f}")
