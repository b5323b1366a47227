"""Example submission (softmax regression): softmax without the row maximum, one_hot from torch.nn.functional, argmax over the wrong axis."""

import torch
import torch.nn.functional as F


def softmax(Z):
    E = torch.exp(Z)
    return E / E.sum(dim=1, keepdim=True)


def one_hot(t, num_classes):
    return F.one_hot(t, num_classes).to(torch.float32)


def softmax_cross_entropy(Z, t):
    """
    Mean softmax cross-entropy, computed from the logits.

    Inputs:
    - Z: logits, tensor of shape (N, K), float32 or float64.
    - t: target class indices, int64 tensor of shape (N,), each in [0, K).

    Returns:
    - cost: 0-dim tensor, same dtype and device as Z, equal to
      (1/N) * sum_i -log softmax(Z)[i, t[i]]. Finite and accurate for every finite Z,
      including logits of magnitude 1e4 in float32.
    """
    # log softmax(z)_k = (z_k - m) - log sum_j exp(z_j - m), with m the row maximum.
    S = Z - Z.amax(dim=1, keepdim=True)
    log_sum_exp = torch.log(torch.exp(S).sum(dim=1))
    S_target = S[torch.arange(Z.shape[0], device=Z.device), t]
    return (log_sum_exp - S_target).mean()


def softmax_regression_gradients(X, t, W, b):
    """
    Gradients of the softmax regression cost J(W, b) = softmax_cross_entropy(X @ W.T + b, t).

    Inputs:
    - X: inputs, tensor of shape (N, D), float32 or float64.
    - t: target class indices, int64 tensor of shape (N,), each in [0, K).
    - W: weights, tensor of shape (K, D), dtype and device of X.
    - b: biases, tensor of shape (K,), dtype and device of X.

    Returns a tuple of:
    - dW: dJ/dW, tensor of shape (K, D), dtype and device of X.
    - db: dJ/db, tensor of shape (K,), dtype and device of X.
    """
    N = X.shape[0]
    Z = X @ W.T + b
    dZ = (softmax(Z) - one_hot(t, W.shape[0]).to(Z.dtype)) / N  # dJ/dZ = (Y - T) / N
    return dZ.T @ X, dZ.sum(dim=0)


def predict_classes(X, W, b):
    return (X @ W.T + b).argmax(dim=0)


def fit_softmax_regression(X, t, num_classes, lr, num_epochs, batch_size, generator=None):
    """
    Train softmax regression with mini-batch stochastic gradient descent.

    W and b start at zero. Each epoch visits every example once, in the order
    torch.randperm(N, generator=generator) (drawn on the generator's device, or on X's
    device without one), taking batches of batch_size consecutive examples of that order
    (the last batch may be smaller) and updating W -= lr * dW, b -= lr * db after each.

    Inputs:
    - X: inputs, tensor of shape (N, D), float32 or float64.
    - t: target class indices, int64 tensor of shape (N,), each in [0, num_classes).
    - num_classes: int K, the number of classes.
    - lr: float, the learning rate.
    - num_epochs: int, the number of passes over the data.
    - batch_size: int, the number of examples per update.
    - generator: optional torch.Generator that fixes the order of the examples.

    Returns a tuple of:
    - W: trained weights, tensor of shape (K, D), dtype and device of X.
    - b: trained biases, tensor of shape (K,), dtype and device of X.
    - costs: 1-D tensor of length num_epochs + 1, dtype and device of X; costs[0] is the
      full-batch cost before training and costs[e] the full-batch cost after epoch e.
    """
    N, D = X.shape
    W = torch.zeros(num_classes, D, dtype=X.dtype, device=X.device)
    b = torch.zeros(num_classes, dtype=X.dtype, device=X.device)
    perm_device = generator.device if generator is not None else X.device
    costs = [softmax_cross_entropy(X @ W.T + b, t)]
    for _ in range(num_epochs):
        order = torch.randperm(N, generator=generator, device=perm_device).to(X.device)
        for start in range(0, N, batch_size):
            batch = order[start:start + batch_size]
            dW, db = softmax_regression_gradients(X[batch], t[batch], W, b)
            W = W - lr * dW
            b = b - lr * db
        costs.append(softmax_cross_entropy(X @ W.T + b, t))
    return W, b, torch.stack(costs)
