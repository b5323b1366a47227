# expect: mistake cost_gradients: lets autograd compute the gradients (.backward())
# expect: mistake gradient_descent: calls cost_gradients, which breaks the rules
# expect: mistake fit_direct: uses ONE = float(1), a global the grader does not take
# expect: mistake polynomial_features: returns float32 whatever the dtype of x
# %%
import torch

ONE = float(1)

def predict(X, w, b):
    return X @ w + b

def squared_error_cost(y, t):
    return ((y - t) ** 2).mean() / 2

def cost_gradients(X, t, w, b):
    w = w.detach().clone().requires_grad_(True)
    b = b.detach().clone().requires_grad_(True)
    squared_error_cost(predict(X, w, b), t).backward()
    return w.grad, b.grad

# %%
def gradient_descent(X, t, lr, num_steps):
    w = X.new_zeros(X.shape[1])
    b = X.new_zeros(())
    costs = [squared_error_cost(predict(X, w, b), t)]
    for _ in range(num_steps):
        dw, db = cost_gradients(X, t, w, b)
        w, b = w - lr * dw, b - lr * db
        costs.append(squared_error_cost(predict(X, w, b), t))
    return w, b, torch.stack(costs).detach()

def fit_direct(X, t):
    A = torch.cat([X, torch.full((len(X), 1), ONE, dtype=X.dtype, device=X.device)], dim=1)
    theta = torch.linalg.pinv(A) @ t
    return theta[:-1], theta[-1]

def polynomial_features(x, degree):
    return torch.stack([x ** j for j in range(degree + 1)], dim=1).float()
