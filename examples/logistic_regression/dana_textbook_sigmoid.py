"""Example submission (logistic regression): the textbook ratio form of sigmoid, a log of a computed sigmoid with an eps, and a library loss in a helper of fit_logistic_regression."""
# Notation follows the lectures: X (N, D) has one example per row, z = X w + b are the
# logits, y = sigmoid(z) the predicted probabilities of t = 1, t the {0, 1} targets.

import torch


def sigmoid(z):
    # the textbook ratio form
    return torch.exp(z) / (1 + torch.exp(z))


def logistic_predict(X: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """
    Predicted probabilities y = sigmoid(X w + b) of a logistic regression model.

    Inputs:
    - X: A float tensor (float32 or float64) of shape (N, D), one example per row.
    - w: A tensor of shape (D,), the weights; dtype and device of X.
    - b: A 0-dim tensor, the bias; dtype and device of X.

    Returns:
    - y: A tensor of shape (N,) with the dtype and device of X; y[i] is the predicted
      probability that example i is positive (t = 1).
    """
    return sigmoid(X @ w + b)


def binary_cross_entropy(z, t):
    y = sigmoid(z)
    eps = 1e-7
    return (-t * torch.log(y + eps) - (1 - t) * torch.log(1 - y + eps)).mean()


def logistic_gradients(X: torch.Tensor, t: torch.Tensor, w: torch.Tensor,
                       b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """
    Gradients of the cost J(w, b) = binary_cross_entropy(X w + b, t).

    Inputs:
    - X: A float tensor (float32 or float64) of shape (N, D), one example per row.
    - t: A tensor of shape (N,), the targets in {0, 1}; dtype and device of X.
    - w: A tensor of shape (D,), the weights; dtype and device of X.
    - b: A 0-dim tensor, the bias; dtype and device of X.

    Returns a tuple of:
    - dw: A tensor of shape (D,), dJ/dw.
    - db: A 0-dim tensor, dJ/db.
    Both have the dtype and device of X.
    """
    N = X.shape[0]
    dz = (sigmoid(X @ w + b) - t) / N  # dJ/dz_i = (y_i - t_i) / N
    return X.T @ dz, dz.sum()


def squared_error_logistic_gradients(X: torch.Tensor, t: torch.Tensor, w: torch.Tensor,
                                     b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """
    Gradients of the squared-error cost on the sigmoid's output,

        J(w, b) = 1/(2N) sum_i (sigmoid(z_i) - t_i)^2,   z = X w + b.

    Inputs:
    - X: A float tensor (float32 or float64) of shape (N, D), one example per row.
    - t: A tensor of shape (N,), the targets in {0, 1}; dtype and device of X.
    - w: A tensor of shape (D,), the weights; dtype and device of X.
    - b: A 0-dim tensor, the bias; dtype and device of X.

    Returns a tuple of:
    - dw: A tensor of shape (D,), dJ/dw.
    - db: A 0-dim tensor, dJ/db.
    Both have the dtype and device of X.
    """
    N = X.shape[0]
    z = X @ w + b
    y = sigmoid(z)
    # sigmoid'(z) = y (1 - y); sigmoid(-z) is 1 - y without the rounding of 1 - y.
    dz = (y - t) * y * sigmoid(-z) / N
    return X.T @ dz, dz.sum()


def fit_logistic_regression(X, t, lr, num_steps):
    w = torch.zeros(X.shape[1], dtype=X.dtype, device=X.device)
    b = torch.zeros((), dtype=X.dtype, device=X.device)
    costs = [cost_of(X, t, w, b)]
    for _ in range(num_steps):
        dw, db = logistic_gradients(X, t, w, b)
        w, b = w - lr * dw, b - lr * db
        costs.append(cost_of(X, t, w, b))
    return w, b, torch.stack(costs)


def cost_of(X, t, w, b):
    # "just for the plot": the library's own loss
    return torch.nn.functional.binary_cross_entropy_with_logits(X @ w + b, t)
