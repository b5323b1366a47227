# expect: correct
# %%
import itertools
import time

import torch


def timer(func):
    # A timing decorator, written without functools.wraps.
    def inner(*args, **kwargs):
        t0 = time.time()
        out = func(*args, **kwargs)
        print("took", round(time.time() - t0, 4), "s")
        return out
    return inner

# %%
def predict(X, w, b):
    return (X * w).sum(dim=1) + b


def squared_error_cost(y, t):
    return torch.mean(torch.square(y - t)) * 0.5


def cost_gradients(X, t, w, b):
    delta = predict(X, w, b) - t
    return torch.einsum("nd,n->d", X, delta) / X.shape[0], delta.mean()

# %%
@timer
def gradient_descent(X, t, lr, num_steps):
    w = torch.zeros(X.shape[1], dtype=X.dtype, device=X.device)
    b = torch.zeros((), dtype=X.dtype, device=X.device)
    costs = [squared_error_cost(predict(X, w, b), t)]
    for _ in itertools.repeat(None, num_steps):
        dw, db = cost_gradients(X, t, w, b)
        w, b = w - lr * dw, b - lr * db
        costs.append(squared_error_cost(predict(X, w, b), t))
    return w, b, torch.stack(costs)

# %%
def fit_direct(X, t):
    ones = torch.ones(X.shape[0], 1, dtype=X.dtype, device=X.device)
    A = torch.hstack((X, ones))
    with torch.no_grad():
        theta = torch.linalg.pinv(A) @ t
    w, b = theta[:-1], theta[-1]
    return w, b


def polynomial_features(x, degree):
    return torch.vander(x, N=degree + 1, increasing=True)

# %%
X = torch.rand(30, 1) * 4
t = 3 * X[:, 0] + 1
w, b, costs = gradient_descent(X, t, 0.05, 100)
print("w =", w, "b =", b)
