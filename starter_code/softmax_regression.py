# Starter code for Assignment 3: Softmax regression.
# Implement every TODO: replace each `raise NotImplementedError(...)` with your code.
# Check your work locally with: python check_softmax_regression.py softmax_regression.py

"""Assignment 3: softmax regression (multiclass logistic regression), gradients by hand."""

import torch


def softmax(Z):
    """
    Row-wise softmax of a batch of logits.

    Inputs:
    - Z: logits, tensor of shape (N, K), float32 or float64; row i holds the K logits
      z_1..z_K of example i.

    Returns:
    - Y: tensor of shape (N, K), same dtype and device as Z, with
      Y[i, k] = exp(Z[i, k]) / sum_j exp(Z[i, j]). Every entry is in [0, 1], every row
      sums to 1, and the result is finite for every finite Z (no overflow for large logits).
    """
    # TODO: implement softmax.
    raise NotImplementedError("softmax is not implemented yet: replace this line with your code.")


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
    # TODO: implement one_hot.
    raise NotImplementedError("one_hot is not implemented yet: replace this line with your code.")


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
    # TODO: implement softmax_cross_entropy.
    raise NotImplementedError("softmax_cross_entropy is not implemented yet: replace this line with your code.")


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
    # TODO: implement softmax_regression_gradients.
    raise NotImplementedError("softmax_regression_gradients is not implemented yet: replace this line with your code.")


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
    # TODO: implement predict_classes.
    raise NotImplementedError("predict_classes is not implemented yet: replace this line with your code.")


def fit_softmax_regression(X, t, num_classes, lr, num_epochs, batch_size, generator=None):
    """
    Train softmax regression with mini-batch stochastic gradient descent.

    W and b start at zero. Each epoch draws a new order of the examples,
    torch.randperm(N, generator=generator) on the generator's device (without a
    generator: on the CPU, from PyTorch's global random number generator), moves it to
    X's device and visits every example once in that order, taking batches of batch_size
    consecutive examples (the last batch may be smaller) and updating W -= lr * dW,
    b -= lr * db after each.

    Inputs:
    - X: inputs, tensor of shape (N, D), float32 or float64.
    - t: target class indices, int64 tensor of shape (N,), each in [0, num_classes).
    - num_classes: int K, the number of classes.
    - lr: float, the learning rate.
    - num_epochs: int, the number of passes over the data.
    - batch_size: int, the number of examples per update.
    - generator: optional torch.Generator that fixes the order of the examples (None:
      PyTorch's global random number generator).

    Returns a tuple of:
    - W: trained weights, tensor of shape (K, D), dtype and device of X.
    - b: trained biases, tensor of shape (K,), dtype and device of X.
    - costs: 1-D tensor of length num_epochs + 1, dtype and device of X; costs[0] is the
      full-batch cost before training and costs[e] the full-batch cost after epoch e.
    """
    # TODO: implement fit_softmax_regression.
    raise NotImplementedError("fit_softmax_regression is not implemented yet: replace this line with your code.")
