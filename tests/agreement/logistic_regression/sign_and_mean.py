# expect: mistake logistic_gradients: uses t - y, so the gradients point uphill
# expect: mistake squared_error_logistic_gradients: sums over the examples without the 1/N
# expect: mistake fit_logistic_regression: follows the wrong-sign gradients
# %%
import torch

def sigmoid(z):
    e = torch.exp(-z.abs())
    return torch.where(z >= 0, 1 / (1 + e), e / (1 + e))

def logistic_predict(X, w, b):
    return sigmoid(X @ w + b)

def binary_cross_entropy(z, t):
    return (z.clamp(min=0) + torch.log1p(torch.exp(-z.abs())) - t * z).mean()

# %%
def logistic_gradients(X, t, w, b):
    r = t - logistic_predict(X, w, b)
    return X.T @ r / len(r), r.mean()

def squared_error_logistic_gradients(X, t, w, b):
    z = X @ w + b
    y = sigmoid(z)
    dz = (y - t) * y * sigmoid(-z)
    return X.T @ dz, dz.sum()

def fit_logistic_regression(X, t, lr, num_steps):
    w, b = X.new_zeros(X.shape[1]), X.new_zeros(())
    costs = [binary_cross_entropy(X @ w + b, t)]
    for _ in range(num_steps):
        dw, db = logistic_gradients(X, t, w, b)
        w, b = w - lr * dw, b - lr * db
        costs.append(binary_cross_entropy(X @ w + b, t))
    return w, b, torch.stack(costs)
