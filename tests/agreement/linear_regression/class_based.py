# expect: correct
# %%
import math
from collections import OrderedDict
from dataclasses import dataclass

import torch


class LinearModel:
    """Holds w and b; the graded functions below use it."""

    def __init__(self, w, b):
        self.w, self.b = w, b

    def __call__(self, X):
        return X @ self.w + self.b

    def gradients(self, X, t):
        error = self(X) - t
        return X.T @ error / len(error), error.mean()

# %%
def predict(X, w, b):
    return LinearModel(w, b)(X)


def squared_error_cost(y, t):
    r = y - t
    return r.dot(r) / (2 * r.shape[0])


def cost_gradients(X, t, w, b):
    return LinearModel(w, b).gradients(X, t)


def gradient_descent(X, t, lr, num_steps):
    model = LinearModel(X.new_zeros(X.shape[1]), X.new_zeros(()))
    costs = [squared_error_cost(model(X), t)]
    for _ in range(num_steps):
        dw, db = model.gradients(X, t)
        model = LinearModel(model.w - lr * dw, model.b - lr * db)
        costs.append(squared_error_cost(model(X), t))
    return model.w, model.b, torch.stack(costs)

# %%
def fit_direct(X, t):
    A = torch.cat((X, X.new_ones(X.shape[0], 1)), 1)
    Q, R = torch.linalg.qr(A)
    theta = torch.linalg.solve_triangular(R, (Q.T @ t).unsqueeze(-1), upper=True).squeeze(-1)
    return theta[:-1], theta[-1]


def polynomial_features(x, degree):
    return torch.stack([torch.pow(x, p) for p in range(0, degree + 1)], 1)

# %%
@dataclass
class Split:
    x: torch.Tensor
    t: torch.Tensor


gen = torch.Generator().manual_seed(1)
x_all = torch.rand(40, generator=gen) * 2 - 1
t_all = torch.cos(math.pi * x_all) + 0.2 * torch.randn(40, generator=gen)
train, val = Split(x_all[:30], t_all[:30]), Split(x_all[30:], t_all[30:])
errors = OrderedDict()
for degree in range(10):
    w, b = fit_direct(polynomial_features(train.x, degree), train.t)
    errors[degree] = squared_error_cost(predict(polynomial_features(val.x, degree), w, b), val.t).item()
best = min(errors, key=errors.get)
print(f"best degree on the validation set: {best} ({errors[best]:.4f})")
