# expect: mistake sigmoid: uses ONE = float(1), a global the grader does not take
# expect: mistake logistic_predict: returns float32 whatever the dtype of X
# expect: mistake fit_logistic_regression: creates w and b on the setup cell's DEVICE, a global the grader does not take
# %%
import torch

ONE = float(1)

def sigmoid(z):
    return ONE / (ONE + torch.exp(-z))

def logistic_predict(X, w, b):
    return sigmoid(X @ w + b).float()

def binary_cross_entropy(z, t):
    return (torch.logaddexp(torch.zeros_like(z), z) - t * z).mean()

# %%
def logistic_gradients(X, t, w, b):
    e = torch.exp(-(X @ w + b).abs())
    z = X @ w + b
    y = torch.where(z >= 0, 1 / (1 + e), e / (1 + e))
    dz = (y - t) / len(t)
    return X.T @ dz, dz.sum()

def squared_error_logistic_gradients(X, t, w, b):
    z = X @ w + b
    e = torch.exp(-z.abs())
    y = torch.where(z >= 0, 1 / (1 + e), e / (1 + e))
    dz = (y - t) * e / (1 + e) ** 2 / len(t)
    return X.T @ dz, dz.sum()

def fit_logistic_regression(X, t, lr, num_steps):
    w = torch.zeros(X.shape[1], dtype=X.dtype, device=DEVICE)
    b = torch.zeros((), dtype=X.dtype, device=DEVICE)
    costs = [binary_cross_entropy(X @ w + b, t)]
    for _ in range(num_steps):
        dw, db = logistic_gradients(X, t, w, b)
        w, b = w - lr * dw, b - lr * db
        costs.append(binary_cross_entropy(X @ w + b, t))
    return w, b, torch.stack(costs)
