# expect: correct
# %%
import time

import torch

def timeit(fn):
    def timed(*args, **kw):
        t0 = time.perf_counter()
        out = fn(*args, **kw)
        print(f"{time.perf_counter() - t0:.3f} s")
        return out
    return timed

# %%
def one_hot(t, num_classes):
    T = torch.zeros(len(t), num_classes)
    for i, k in enumerate(t.tolist()):
        T[i, k] = 1.0
    return T.to(t.device)

# %%
# Vectorised version.
def one_hot(t, num_classes):
    out = torch.zeros(t.numel(), num_classes, dtype=torch.float32, device=t.device)
    out[torch.arange(t.numel(), device=t.device), t] = 1
    return out


def log_softmax(Z):
    c = Z.amax(dim=-1, keepdim=True)
    return Z - c - (Z - c).exp().sum(dim=-1, keepdim=True).log()


def softmax(Z):
    return log_softmax(Z).exp()


def softmax_cross_entropy(Z, t):
    return -(one_hot(t, Z.shape[1]).to(Z.dtype) * log_softmax(Z)).sum() / Z.shape[0]

# %%
def softmax_regression_gradients(X, t, W, b):
    P = softmax(X @ W.T + b)
    P = P - one_hot(t, W.shape[0]).to(P.dtype)
    return P.T @ X / X.shape[0], P.sum(0) / X.shape[0]


def predict_classes(X, W, b):
    return (X @ W.T + b).argmax(dim=1)


@timeit
def fit_softmax_regression(X, t, num_classes, lr, num_epochs, batch_size, generator=None):
    W = X.new_zeros(num_classes, X.shape[1])
    b = X.new_zeros(num_classes)
    costs = [softmax_cross_entropy(X @ W.T + b, t)]
    for _ in range(num_epochs):
        order = torch.randperm(X.shape[0], generator=generator,
                               device=X.device if generator is None else generator.device).to(X.device)
        for idx in torch.split(order, batch_size):
            gW, gb = softmax_regression_gradients(X[idx], t[idx], W, b)
            W, b = W - lr * gW, b - lr * gb
        costs.append(softmax_cross_entropy(X @ W.T + b, t))
    return W, b, torch.stack(costs)
