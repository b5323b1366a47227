# expect: correct
# %%
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import torch
from tqdm.auto import tqdm

# %%
def predict(X, w, b):
    return torch.mv(X, w) + b


def squared_error_cost(y, t):
    diff = y - t
    return 0.5 * torch.dot(diff, diff) / diff.numel()


def cost_gradients(X, t, w, b):
    N = len(t)
    err = predict(X, w, b) - t
    dw = torch.mv(X.T, err) / N
    db = torch.mean(err)
    return dw, db

# %%
def gradient_descent(X, t, lr, num_steps):
    N, D = X.shape
    w = X.new_zeros(D)
    b = X.new_zeros(())
    costs = X.new_empty(num_steps + 1)
    costs[0] = squared_error_cost(predict(X, w, b), t)
    for k in tqdm(range(1, num_steps + 1), desc="gradient descent", leave=False):
        grad_w, grad_b = cost_gradients(X, t, w, b)
        w, b = w - lr * grad_w, b - lr * grad_b
        costs[k] = squared_error_cost(predict(X, w, b), t)
    return w, b, costs


def fit_direct(X, t):
    design = torch.column_stack([X, torch.ones(len(X), dtype=X.dtype, device=X.device)])
    solution = torch.linalg.lstsq(design, t.unsqueeze(1)).solution.squeeze(1)
    return solution[:-1], solution[-1]


def polynomial_features(x, degree):
    powers = torch.arange(degree + 1, dtype=x.dtype, device=x.device)
    return x.unsqueeze(1) ** powers

# %%
# Polynomial fits of several degrees, plotted.
x = torch.linspace(-1, 1, 20)
t = torch.sin(3 * x) + 0.1 * torch.randn(20)
fig, ax = plt.subplots()
ax.scatter(x, t, label="data")
xs = torch.linspace(-1, 1, 200)
for degree in (0, 1, 3, 9):
    w, b = fit_direct(polynomial_features(x, degree), t)
    ax.plot(xs, predict(polynomial_features(xs, degree), w, b), label=f"degree {degree}")
ax.legend()
plt.close(fig)

# %%
# A precision experiment in float64 (the grader itself always starts from float32).
torch.set_default_dtype(torch.float64)
x64 = torch.linspace(0, 1, 10)
print(polynomial_features(x64, 3).dtype)
