# expect: correct
# %%
import torch
from torch.utils.data import DataLoader, TensorDataset
from tqdm.auto import tqdm

# %%
def softmax(Z):
    Z = Z - Z.amax(1, keepdim=True)
    return torch.exp(Z) / torch.exp(Z).sum(1, keepdim=True)


def one_hot(t, num_classes):
    return torch.eye(num_classes, dtype=torch.float32, device=t.device)[t]


def log_softmax_rows(Z):
    Z = Z - Z.amax(1, keepdim=True)
    return Z - torch.log(torch.exp(Z).sum(1, keepdim=True))


def softmax_cross_entropy(Z, t):
    return -log_softmax_rows(Z)[torch.arange(len(t), device=Z.device), t].mean()

# %%
def softmax_regression_gradients(X, t, W, b):
    dZ = softmax(X @ W.T + b)
    dZ[torch.arange(len(t), device=X.device), t] -= 1
    dZ /= len(t)
    return dZ.T @ X, dZ.sum(0)


def predict_classes(X, W, b):
    return softmax(X @ W.T + b).argmax(1)


def fit_softmax_regression(X, t, num_classes, lr, num_epochs, batch_size, generator=None):
    W = torch.zeros(num_classes, X.shape[1], dtype=X.dtype, device=X.device)
    b = torch.zeros(num_classes, dtype=X.dtype, device=X.device)
    costs = [softmax_cross_entropy(X @ W.T + b, t)]
    for _ in tqdm(range(num_epochs), leave=False):
        # The contract's order, batched by a DataLoader over the reordered data.
        order = torch.randperm(len(X), generator=generator,
                               device=generator.device if generator is not None else X.device).to(X.device)
        loader = DataLoader(TensorDataset(X[order], t[order]), batch_size=batch_size, shuffle=False)
        for xb, tb in loader:
            dW, db = softmax_regression_gradients(xb, tb, W, b)
            W -= lr * dW
            b -= lr * db
        costs.append(softmax_cross_entropy(X @ W.T + b, t))
    return W, b, torch.stack(costs)

# %%
X = torch.randn(128, 4)
t = torch.randint(0, 3, (128,))
W, b, costs = fit_softmax_regression(X, t, 3, 0.5, 5, 16)
print(costs)
