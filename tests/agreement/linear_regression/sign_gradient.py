# expect: mistake cost_gradients: the residual is t - y, so both gradients have the wrong sign
# expect: mistake gradient_descent: follows the wrong-sign gradients uphill
# %%
import torch

def predict(X, w, b):
    return X @ w + b

def squared_error_cost(y, t):
    return ((y - t) ** 2).mean() / 2

def cost_gradients(X, t, w, b):
    r = t - predict(X, w, b)
    return X.T @ r / X.shape[0], r.mean()

def gradient_descent(X, t, lr, num_steps):
    w = torch.zeros(X.shape[1], dtype=X.dtype, device=X.device)
    b = torch.zeros((), dtype=X.dtype, device=X.device)
    costs = [squared_error_cost(predict(X, w, b), t)]
    for _ in range(num_steps):
        dw, db = cost_gradients(X, t, w, b)
        w, b = w - lr * dw, b - lr * db
        costs.append(squared_error_cost(predict(X, w, b), t))
    return w, b, torch.stack(costs)

# %%
def fit_direct(X, t):
    A = torch.cat([X, torch.ones(X.shape[0], 1, dtype=X.dtype)], 1)
    theta = torch.linalg.pinv(A) @ t
    return theta[:-1], theta[-1]

def polynomial_features(x, degree):
    return torch.stack([x ** j for j in range(degree + 1)], 1)

# %%
X = torch.randn(20, 2)
print(gradient_descent(X, X.sum(1), 0.1, 5)[2])
