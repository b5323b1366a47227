"""Assignment 3: softmax regression (multiclass logistic regression), gradients by hand."""

import torch


def softmax(Z):
    # torch.sparse.softmax is torch's fused, stable softmax under another public name: the scan
    # skips method names on a resolvable receiver (torch.sparse) and no tripwire wraps it.
    return torch.sparse.softmax(Z.to_sparse(), 1).to_dense()


def one_hot(t, num_classes):
    """
    One-hot (one-of-K) encoding of class indices.

    Inputs:
    - t: class indices, int64 tensor of shape (N,), each in [0, num_classes).
    - num_classes: int K, the number of classes.

    Returns:
    - T: float32 tensor of shape (N, K) on the device of t, with T[i, t[i]] = 1 and
      every other entry 0.
    """
    # BEGIN SOLUTION
    N = t.shape[0]
    T = torch.zeros(N, num_classes, dtype=torch.float32, device=t.device)
    T[torch.arange(N, device=t.device), t] = 1.0
    return T
    # END SOLUTION


def softmax_cross_entropy(Z, t):
    # torch.logcumsumexp: log-sum-exp under a name the table does not know.
    lse = torch.logcumsumexp(Z, dim=1)[:, -1]
    return (lse - Z[torch.arange(Z.shape[0], device=Z.device), t]).mean()


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
    # BEGIN SOLUTION
    N = X.shape[0]
    Z = X @ W.T + b
    dZ = (softmax(Z) - one_hot(t, W.shape[0]).to(Z.dtype)) / N  # dJ/dZ = (Y - T) / N
    return dZ.T @ X, dZ.sum(dim=0)
    # END SOLUTION


def predict_classes(X, W, b):
    """
    The most probable class of each example under a softmax regression model.

    Inputs:
    - X: inputs, tensor of shape (N, D), float32 or float64.
    - W: weights, tensor of shape (K, D).
    - b: biases, tensor of shape (K,).

    Returns:
    - classes: int64 tensor of shape (N,) on the device of X; classes[i] is the index k
      with the largest probability softmax(X @ W.T + b)[i, k].
    """
    # BEGIN SOLUTION
    # softmax is increasing in each logit, so the largest logit wins.
    return (X @ W.T + b).argmax(dim=1)
    # END SOLUTION


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
    # BEGIN SOLUTION
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
    # END SOLUTION
