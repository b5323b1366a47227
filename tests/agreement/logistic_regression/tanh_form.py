# expect: correct
# %%
import torch
from torch import Tensor

# %%
def sigmoid(z: Tensor) -> Tensor:
    # sigmoid(z) = (1 + tanh(z / 2)) / 2: tanh saturates at +-1 instead of overflowing.
    return 0.5 * (1.0 + torch.tanh(0.5 * z))


def logistic_predict(X: Tensor, w: Tensor, b: Tensor) -> Tensor:
    return sigmoid(torch.mv(X, w) + b)


def softplus(z: Tensor) -> Tensor:
    return torch.clamp(z, min=0) + torch.log1p(torch.exp(-torch.abs(z)))


def binary_cross_entropy(z: Tensor, t: Tensor) -> Tensor:
    return torch.mean(softplus(z) - t * z)

# %%
def logistic_gradients(X: Tensor, t: Tensor, w: Tensor, b: Tensor):
    err = logistic_predict(X, w, b) - t
    return torch.mv(X.T, err) / len(t), err.mean()


def squared_error_logistic_gradients(X: Tensor, t: Tensor, w: Tensor, b: Tensor):
    z = torch.mv(X, w) + b
    y = sigmoid(z)
    dy_dz = sigmoid(z) * sigmoid(-z)
    dz = (y - t) * dy_dz
    return torch.mv(X.T, dz) / len(t), dz.mean()


def fit_logistic_regression(X: Tensor, t: Tensor, lr: float, num_steps: int):
    w, b = X.new_zeros(X.shape[1]), X.new_zeros(())
    costs = X.new_zeros(num_steps + 1)
    for k in range(num_steps + 1):
        costs[k] = binary_cross_entropy(torch.mv(X, w) + b, t)
        if k < num_steps:
            dw, db = logistic_gradients(X, t, w, b)
            w, b = w - lr * dw, b - lr * db
    return w, b, costs

# %%
# Why squared error learns slowly when very wrong: compare the two gradients at a bad point.
X1 = torch.tensor([[1.0]])
t1 = torch.tensor([1.0])
for w0 in (-10.0, -1.0, 0.0):
    w = torch.tensor([w0])
    ce = logistic_gradients(X1, t1, w, torch.tensor(0.0))[0].item()
    se = squared_error_logistic_gradients(X1, t1, w, torch.tensor(0.0))[0].item()
    print(f"w={w0:6.1f}: cross-entropy {ce:+.4f}, squared error {se:+.6f}")
