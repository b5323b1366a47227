# expect: mistake squared_error_cost: diff = y; diff -= t changes the caller's y in place
# expect: mistake gradient_descent: creates w on the setup cell's DEVICE, a global the grader does not take
# %%
import torch

def predict(X, w, b):
    return X @ w + b

def squared_error_cost(y, t):
    diff = y
    diff -= t
    return (diff ** 2).mean() / 2

def cost_gradients(X, t, w, b):
    e = predict(X, w, b) - t
    return X.T @ e / len(e), e.mean()

# %%
def gradient_descent(X, t, lr, num_steps):
    w = torch.zeros(X.shape[1], dtype=X.dtype, device=DEVICE)
    b = torch.zeros((), dtype=X.dtype, device=DEVICE)
    costs = [squared_error_cost(predict(X, w, b), t)]
    for _ in range(num_steps):
        dw, db = cost_gradients(X, t, w, b)
        w, b = w - lr * dw, b - lr * db
        costs.append(squared_error_cost(predict(X, w, b), t))
    return w, b, torch.stack(costs)

def fit_direct(X, t):
    A = torch.cat([X, X.new_ones(len(X), 1)], dim=1)
    theta = torch.linalg.pinv(A) @ t
    return theta[:-1], theta[-1]

def polynomial_features(x, degree):
    return torch.stack([x ** j for j in range(degree + 1)], dim=1)
