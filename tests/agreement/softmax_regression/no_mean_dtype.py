# expect: mistake softmax_regression_gradients: sums over the batch without the 1/N
# expect: mistake predict_classes: returns the classes in X's float dtype, not int64
# %%
import torch

def softmax(Z):
    E = torch.exp(Z - Z.max(1, keepdim=True).values)
    return E / E.sum(1, keepdim=True)

def one_hot(t, num_classes):
    return torch.eye(num_classes, device=t.device)[t].float()

def softmax_cross_entropy(Z, t):
    m = Z.max(1, keepdim=True).values
    return (m.squeeze(1) + (Z - m).exp().sum(1).log() - Z.gather(1, t[:, None]).squeeze(1)).mean()

# %%
def softmax_regression_gradients(X, t, W, b):
    dZ = softmax(X @ W.T + b) - one_hot(t, W.shape[0]).to(X.dtype)
    return dZ.T @ X, dZ.sum(0)

def predict_classes(X, W, b):
    return (X @ W.T + b).argmax(1).to(X.dtype)

def fit_softmax_regression(X, t, num_classes, lr, num_epochs, batch_size, generator=None):
    W = X.new_zeros(num_classes, X.shape[1])
    b = X.new_zeros(num_classes)
    dev = generator.device if generator is not None else X.device
    costs = [softmax_cross_entropy(X @ W.T + b, t)]
    for _ in range(num_epochs):
        order = torch.randperm(len(X), generator=generator, device=dev).to(X.device)
        for i in order.split(batch_size):
            dW, db = softmax_regression_gradients(X[i], t[i], W, b)
            W, b = W - lr * dW / len(i), b - lr * db / len(i)
        costs.append(softmax_cross_entropy(X @ W.T + b, t))
    return W, b, torch.stack(costs)
