# expect: correct
# %%
from collections import OrderedDict, defaultdict

import torch


class SoftmaxModel:
    def __init__(self, W, b):
        self.W, self.b = W, b

    def logits(self, X):
        return X @ self.W.T + self.b

    def predict(self, X):
        return self.logits(X).argmax(dim=1)

# %%
def softmax(Z):
    Z = Z - Z.max(dim=1, keepdim=True).values
    expZ = Z.exp()
    return expZ / expZ.sum(dim=1, keepdim=True)


def one_hot(t, num_classes):
    return torch.zeros(len(t), num_classes, device=t.device, dtype=torch.float32).index_put_(
        (torch.arange(len(t), device=t.device), t), torch.tensor(1.0, device=t.device))


def softmax_cross_entropy(Z, t):
    Zs = Z - Z.max(dim=1, keepdim=True).values
    logp = Zs - Zs.exp().sum(dim=1, keepdim=True).log()
    return -logp.gather(1, t[:, None]).mean()


def softmax_regression_gradients(X, t, W, b):
    Y = softmax(SoftmaxModel(W, b).logits(X))
    T = one_hot(t, W.shape[0]).to(dtype=X.dtype)
    dZ = (Y - T) / X.shape[0]
    return torch.matmul(dZ.T, X), dZ.sum(dim=0)


def predict_classes(X, W, b):
    return SoftmaxModel(W, b).predict(X)


def fit_softmax_regression(X, t, num_classes, lr, num_epochs, batch_size, generator=None):
    N = X.shape[0]
    model = SoftmaxModel(X.new_zeros(num_classes, X.shape[1]), X.new_zeros(num_classes))
    costs = [softmax_cross_entropy(model.logits(X), t)]
    for _ in range(num_epochs):
        dev = X.device if generator is None else generator.device
        order = torch.randperm(N, generator=generator, device=dev).to(X.device)
        for batch in order.split(batch_size):
            dW, db = softmax_regression_gradients(X[batch], t[batch], model.W, model.b)
            model = SoftmaxModel(model.W - lr * dW, model.b - lr * db)
        costs.append(softmax_cross_entropy(model.logits(X), t))
    return model.W, model.b, torch.stack(costs)

# %%
log = defaultdict(list)
runs = OrderedDict()
X = torch.randn(60, 3)
t = torch.randint(0, 4, (60,))
for bs in (1, 10, 60):
    W, b, costs = fit_softmax_regression(X, t, 4, 0.1, 3, bs, torch.Generator().manual_seed(bs))
    runs[bs] = costs[-1].item()
    log["batch_size"].append(bs)
confusion = torch.zeros(4, 4, dtype=torch.long)
for true, pred in zip(t.tolist(), predict_classes(X, W, b).tolist()):
    confusion[true, pred] += 1
print(runs, confusion.sum().item())
