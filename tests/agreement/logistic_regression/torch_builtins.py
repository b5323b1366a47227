# expect: mistake sigmoid: calls torch.sigmoid
# expect: mistake logistic_predict: calls sigmoid, which calls torch.sigmoid
# expect: mistake binary_cross_entropy: calls F.binary_cross_entropy_with_logits
# %%
import torch
import torch.nn.functional as F

def sigmoid(z):
    return torch.sigmoid(z)

def logistic_predict(X, w, b):
    return sigmoid(X @ w + b)

def binary_cross_entropy(z, t):
    return F.binary_cross_entropy_with_logits(z, t)

# %%
def _stable_sigmoid(z):
    e = torch.exp(-z.abs())
    return torch.where(z >= 0, 1 / (1 + e), e / (1 + e))

def logistic_gradients(X, t, w, b):
    dz = (_stable_sigmoid(X @ w + b) - t) / X.shape[0]
    return X.T @ dz, dz.sum()

def squared_error_logistic_gradients(X, t, w, b):
    z = X @ w + b
    y = _stable_sigmoid(z)
    dz = (y - t) * y * _stable_sigmoid(-z) / X.shape[0]
    return X.T @ dz, dz.sum()

def fit_logistic_regression(X, t, lr, num_steps):
    def cost(w, b):
        z = X @ w + b
        return (z.clamp(min=0) + torch.log1p(torch.exp(-z.abs())) - t * z).mean()
    w, b = X.new_zeros(X.shape[1]), X.new_zeros(())
    costs = [cost(w, b)]
    for _ in range(num_steps):
        dw, db = logistic_gradients(X, t, w, b)
        w, b = w - lr * dw, b - lr * db
        costs.append(cost(w, b))
    return w, b, torch.stack(costs)
