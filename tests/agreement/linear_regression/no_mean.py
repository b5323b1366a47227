# expect: mistake squared_error_cost: sums the squared errors without dividing by N
# expect: mistake cost_gradients: sums over the examples without the 1/N
# %%
import torch

def predict(X, w, b):
    return X @ w + b

def squared_error_cost(y, t):
    return 0.5 * ((y - t) ** 2).sum()

def cost_gradients(X, t, w, b):
    e = predict(X, w, b) - t
    return X.T @ e, e.sum()

# %%
def gradient_descent(X, t, lr, num_steps):
    w = X.new_zeros(X.shape[1])
    b = X.new_zeros(())
    costs = [squared_error_cost(predict(X, w, b), t)]
    for _ in range(num_steps):
        dw, db = cost_gradients(X, t, w, b)
        w, b = w - lr * dw, b - lr * db
        costs.append(squared_error_cost(predict(X, w, b), t))
    return w, b, torch.stack(costs)

def fit_direct(X, t):
    A = torch.cat([X, X.new_ones(len(X), 1)], dim=1)
    theta = torch.linalg.lstsq(A, t[:, None]).solution[:, 0]
    return theta[:-1], theta[-1]

def polynomial_features(x, degree):
    return torch.stack([x ** j for j in range(degree + 1)], dim=1)
