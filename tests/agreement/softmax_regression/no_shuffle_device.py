# expect: mistake fit_softmax_regression: never shuffles, so the generator is ignored (every epoch in index order)
# expect: mistake one_hot: creates T on the setup cell's DEVICE, a global the grader does not take
# %%
import torch

def softmax(Z):
    E = torch.exp(Z - Z.max(1, keepdim=True).values)
    return E / E.sum(1, keepdim=True)

def one_hot(t, num_classes):
    T = torch.zeros(t.shape[0], num_classes, device=DEVICE)
    T[torch.arange(t.shape[0]), t] = 1.0
    return T

def softmax_cross_entropy(Z, t):
    m = Z.max(1, keepdim=True).values
    return (m.squeeze(1) + (Z - m).exp().sum(1).log() - Z.gather(1, t[:, None]).squeeze(1)).mean()

# %%
def softmax_regression_gradients(X, t, W, b):
    Y = softmax(X @ W.T + b)
    Y[torch.arange(len(t)), t] -= 1
    return Y.T @ X / len(t), Y.mean(0)

def predict_classes(X, W, b):
    return (X @ W.T + b).argmax(1)

def fit_softmax_regression(X, t, num_classes, lr, num_epochs, batch_size, generator=None):
    W = X.new_zeros(num_classes, X.shape[1])
    b = X.new_zeros(num_classes)
    costs = [softmax_cross_entropy(X @ W.T + b, t)]
    for _ in range(num_epochs):
        for s in range(0, len(X), batch_size):
            dW, db = softmax_regression_gradients(X[s:s + batch_size], t[s:s + batch_size], W, b)
            W, b = W - lr * dW, b - lr * db
        costs.append(softmax_cross_entropy(X @ W.T + b, t))
    return W, b, torch.stack(costs)
