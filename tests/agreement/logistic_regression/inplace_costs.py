# expect: mistake sigmoid: z.clamp_() changes the caller's z in place
# expect: mistake fit_logistic_regression: costs has num_steps entries (the cost before training is missing)
# %%
import torch

def sigmoid(z):
    z = z.clamp_(-60, 60)   # "avoid overflow"
    return 1 / (1 + torch.exp(-z))

def logistic_predict(X, w, b):
    return sigmoid(X @ w + b)

def binary_cross_entropy(z, t):
    return (torch.logaddexp(torch.zeros_like(z), z) - t * z).mean()

# %%
def logistic_gradients(X, t, w, b):
    dz = (logistic_predict(X, w, b) - t) / len(t)
    return X.T @ dz, dz.sum()

def squared_error_logistic_gradients(X, t, w, b):
    z = X @ w + b
    y = sigmoid(z.clone())
    dz = (y - t) * torch.exp(-torch.logaddexp(torch.zeros_like(z), z) - torch.logaddexp(torch.zeros_like(z), -z))
    return X.T @ (dz / len(t)), dz.mean()

def fit_logistic_regression(X, t, lr, num_steps):
    w, b = X.new_zeros(X.shape[1]), X.new_zeros(())
    costs = []
    for _ in range(num_steps):
        dw, db = logistic_gradients(X, t, w, b)
        w, b = w - lr * dw, b - lr * db
        costs.append(binary_cross_entropy(X @ w + b, t))
    return w, b, torch.stack(costs)
