# expect: mistake softmax: Z -= ... changes the caller's logits in place
# expect: mistake fit_softmax_regression: drops the last, smaller batch of every epoch
# %%
import torch

def softmax(Z):
    Z -= Z.max(dim=1, keepdim=True).values
    Z.exp_()
    return Z / Z.sum(dim=1, keepdim=True)

def one_hot(t, num_classes):
    T = torch.zeros(len(t), num_classes, device=t.device)
    T[torch.arange(len(t), device=t.device), t] = 1
    return T

def softmax_cross_entropy(Z, t):
    m = Z.max(1, keepdim=True).values
    return (m.squeeze(1) + (Z - m).exp().sum(1).log() - Z.gather(1, t[:, None]).squeeze(1)).mean()

# %%
def softmax_regression_gradients(X, t, W, b):
    Y = softmax(X @ W.T + b) - one_hot(t, W.shape[0]).to(X.dtype)
    return Y.T @ X / len(t), Y.mean(0)

def predict_classes(X, W, b):
    return (X @ W.T + b).argmax(1)

def fit_softmax_regression(X, t, num_classes, lr, num_epochs, batch_size, generator=None):
    N = len(X)
    W = X.new_zeros(num_classes, X.shape[1])
    b = X.new_zeros(num_classes)
    dev = generator.device if generator is not None else X.device
    costs = [softmax_cross_entropy(X @ W.T + b, t)]
    for _ in range(num_epochs):
        order = torch.randperm(N, generator=generator, device=dev).to(X.device)
        for k in range(N // batch_size):
            i = order[k * batch_size:(k + 1) * batch_size]
            dW, db = softmax_regression_gradients(X[i], t[i], W, b)
            W, b = W - lr * dW, b - lr * db
        costs.append(softmax_cross_entropy(X @ W.T + b, t))
    return W, b, torch.stack(costs)
