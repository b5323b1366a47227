# expect: mistake gradient_descent: costs has num_steps entries (the cost at the start is missing)
# expect: mistake polynomial_features: range(degree) leaves out the column x**degree
# %%
import torch

def predict(X, w, b):
    return X @ w + b

def squared_error_cost(y, t):
    return ((y - t) ** 2).mean() / 2

def cost_gradients(X, t, w, b):
    e = predict(X, w, b) - t
    return X.T @ e / len(e), e.mean()

# %%
def gradient_descent(X, t, lr, num_steps):
    w = X.new_zeros(X.shape[1])
    b = X.new_zeros(())
    costs = []
    for step in range(num_steps):
        dw, db = cost_gradients(X, t, w, b)
        w = w - lr * dw
        b = b - lr * db
        costs.append(squared_error_cost(predict(X, w, b), t))
    return w, b, torch.stack(costs)

def fit_direct(X, t):
    A = torch.cat([X, X.new_ones(len(X), 1)], dim=1)
    theta = torch.linalg.pinv(A) @ t
    return theta[:-1], theta[-1]

def polynomial_features(x, degree):
    return torch.stack([x ** j for j in range(degree)], dim=1)
