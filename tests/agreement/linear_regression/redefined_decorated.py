# expect: correct
# %%
import functools
import time

import torch

# %%
def predict(X, w, b):
    return X @ w  # first try: forgot the bias

# %%
# Fixed after check("predict") complained.
def predict(X, w, b):
    return X @ w + b


def timed(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        result = fn(*args, **kwargs)
        print(f"{fn.__name__} took {time.perf_counter() - start:.4f} s")
        return result
    return wrapper

# %%
def squared_error_cost(y, t):
    return (y - t).pow(2).mean() / 2


@torch.no_grad()
def cost_gradients(X, t, w, b):
    e = X @ w + b - t
    return (e[:, None] * X).mean(dim=0), e.mean()

# %%
@timed
def gradient_descent(X, t, lr, num_steps):
    w = torch.zeros(X.shape[1], dtype=X.dtype, device=X.device)
    b = torch.tensor(0.0, dtype=X.dtype, device=X.device)
    costs = []
    for _ in range(num_steps):
        costs.append(squared_error_cost(predict(X, w, b), t))
        g_w, g_b = cost_gradients(X, t, w, b)
        w = w - lr * g_w
        b = b - lr * g_b
    costs.append(squared_error_cost(predict(X, w, b), t))
    return w, b, torch.stack(costs)

# %%
def fit_direct(X, t):
    # Normal equations on the centred data: w solves (Xc^T Xc) w = Xc^T tc, then b = mean(t) - mean(X) w.
    x_mean, t_mean = X.mean(dim=0), t.mean()
    Xc, tc = X - x_mean, t - t_mean
    w = torch.linalg.solve(Xc.T @ Xc, Xc.T @ tc)
    return w, t_mean - x_mean @ w


def polynomial_features(x, degree):
    cols = [torch.ones_like(x)]
    for _ in range(degree):
        cols.append(cols[-1] * x)
    return torch.stack(cols, dim=-1)

# %%
X = torch.randn(100, 3, dtype=torch.float64)
t = X @ torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64) - 1
for lr in (0.01, 0.1, 0.5):
    w, b, costs = gradient_descent(X, t, lr, 50)
    print(f"lr={lr}: final cost {costs[-1]:.3e}")
