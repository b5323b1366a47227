# expect: correct
# %%
from typing import Optional, Tuple

import torch
from torch import Tensor

DEBUG = False

# %%
def softmax(Z: Tensor) -> Tensor:
    shifted = Z - Z.max(dim=1, keepdim=True).values
    E = shifted.exp()
    return E / E.sum(dim=1, keepdim=True)


def one_hot(t: Tensor, num_classes: int) -> Tensor:
    T = torch.zeros(t.shape[0], num_classes, dtype=torch.float32, device=t.device)
    return T.scatter_(1, t.unsqueeze(1), 1.0)


def softmax_cross_entropy(Z: Tensor, t: Tensor) -> Tensor:
    m = Z.max(dim=1, keepdim=True).values
    log_norm = m.squeeze(1) + torch.log(torch.exp(Z - m).sum(dim=1))
    return (log_norm - Z.gather(1, t.unsqueeze(1)).squeeze(1)).mean()

# %%
def softmax_regression_gradients(X: Tensor, t: Tensor, W: Tensor, b: Tensor) -> Tuple[Tensor, Tensor]:
    N = X.shape[0]
    G = (softmax(X @ W.T + b) - one_hot(t, W.shape[0]).to(X.dtype)) / N
    return G.T @ X, G.sum(dim=0)


def predict_classes(X: Tensor, W: Tensor, b: Tensor) -> Tensor:
    return torch.argmax(X @ W.T + b, dim=1)


def fit_softmax_regression(X: Tensor, t: Tensor, num_classes: int, lr: float, num_epochs: int,
                           batch_size: int, generator: Optional[torch.Generator] = None):
    N, D = X.shape
    W = X.new_zeros(num_classes, D)
    b = X.new_zeros(num_classes)
    device = generator.device if generator is not None else X.device
    costs = [softmax_cross_entropy(X @ W.T + b, t)]
    for epoch in range(num_epochs):
        perm = torch.randperm(N, generator=generator, device=device).to(X.device)
        for i in range(0, N, batch_size):
            idx = perm[i:i + batch_size]
            dW, db = softmax_regression_gradients(X[idx], t[idx], W, b)
            W, b = W - lr * dW, b - lr * db
        costs.append(softmax_cross_entropy(X @ W.T + b, t))
        if DEBUG:
            print(f"epoch {epoch + 1}: cost {costs[-1].item():.4f}")
    return W, b, torch.stack(costs)

# %%
g = torch.Generator().manual_seed(0)
centres = torch.tensor([[2.0, 0.0], [-2.0, 0.0], [0.0, 2.0]])
t = torch.randint(0, 3, (300,), generator=g)
X = centres[t] + torch.randn(300, 2, generator=g)
W, b, costs = fit_softmax_regression(X, t, 3, 0.1, 10, 32, generator=g)
acc = (predict_classes(X, W, b) == t).float().mean()
print(f"training accuracy {acc:.2%}, cost {costs[0]:.3f} -> {costs[-1]:.3f}")
