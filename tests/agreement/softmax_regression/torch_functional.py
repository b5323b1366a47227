# expect: mistake softmax: calls F.softmax
# expect: mistake one_hot: calls F.one_hot
# expect: mistake softmax_regression_gradients: calls softmax, which calls F.softmax
# %%
import torch
import torch.nn.functional as F

def softmax(Z):
    return F.softmax(Z, dim=1)

def one_hot(t, num_classes):
    return F.one_hot(t, num_classes).float()

def softmax_cross_entropy(Z, t):
    m = Z.amax(1, keepdim=True)
    lse = m.squeeze(1) + torch.log(torch.exp(Z - m).sum(1))
    return (lse - Z[torch.arange(len(t), device=Z.device), t]).mean()

# %%
def softmax_regression_gradients(X, t, W, b):
    Y = softmax(X @ W.T + b)
    Y[torch.arange(len(t), device=X.device), t] -= 1
    return Y.T @ X / len(t), Y.mean(0)

def predict_classes(X, W, b):
    return (X @ W.T + b).argmax(1)

def fit_softmax_regression(X, t, num_classes, lr, num_epochs, batch_size, generator=None):
    W = X.new_zeros(num_classes, X.shape[1])
    b = X.new_zeros(num_classes)
    dev = generator.device if generator is not None else X.device
    costs = [softmax_cross_entropy(X @ W.T + b, t)]
    for _ in range(num_epochs):
        order = torch.randperm(len(X), generator=generator, device=dev).to(X.device)
        for i in order.split(batch_size):
            Z = X[i] @ W.T + b
            E = torch.exp(Z - Z.amax(1, keepdim=True))
            Y = E / E.sum(1, keepdim=True)
            Y[torch.arange(len(i), device=X.device), t[i]] -= 1
            W, b = W - lr * (Y.T @ X[i]) / len(i), b - lr * Y.mean(0)
        costs.append(softmax_cross_entropy(X @ W.T + b, t))
    return W, b, torch.stack(costs)
