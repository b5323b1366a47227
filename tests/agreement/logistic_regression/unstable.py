# expect: mistake sigmoid: exp(z) / (1 + exp(z)) is nan once exp(z) overflows
# expect: mistake binary_cross_entropy: takes the log of a computed sigmoid (inf/nan for large logits)
# %%
import torch

def sigmoid(z):
    return torch.exp(z) / (1 + torch.exp(z))

def logistic_predict(X, w, b):
    return sigmoid(X @ w + b)

def binary_cross_entropy(z, t):
    y = sigmoid(z)
    return -(t * torch.log(y) + (1 - t) * torch.log(1 - y)).mean()

# %%
def logistic_gradients(X, t, w, b):
    dz = (sigmoid(X @ w + b) - t) / X.shape[0]
    return X.T @ dz, dz.sum()

def squared_error_logistic_gradients(X, t, w, b):
    y = sigmoid(X @ w + b)
    dz = (y - t) * y * (1 - y) / X.shape[0]
    return X.T @ dz, dz.sum()

def fit_logistic_regression(X, t, lr, num_steps):
    w, b = X.new_zeros(X.shape[1]), X.new_zeros(())
    costs = [binary_cross_entropy(X @ w + b, t)]
    for _ in range(num_steps):
        dw, db = logistic_gradients(X, t, w, b)
        w, b = w - lr * dw, b - lr * db
        costs.append(binary_cross_entropy(X @ w + b, t))
    return w, b, torch.stack(costs)
