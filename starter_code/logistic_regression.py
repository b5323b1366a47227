# Starter code for Assignment 2: Logistic regression.
# Implement every TODO: replace each `raise NotImplementedError(...)` with your code.
# Check your work locally with: python check_logistic_regression.py logistic_regression.py

# Assignment 2: logistic regression.
# Notation follows the lectures: X (N, D) has one example per row, z = X w + b are the
# logits, y = sigmoid(z) the predicted probabilities of t = 1, t the {0, 1} targets.

import torch


def sigmoid(z: torch.Tensor) -> torch.Tensor:
    """
    The logistic function sigmoid(z) = 1 / (1 + exp(-z)), elementwise.

    It must be finite and accurate for every finite z, including |z| = 1e4 in float32,
    where exp(-z) or exp(z) overflows to inf (exp(z) / (1 + exp(z)) then gives nan).

    Inputs:
    - z: A float tensor (float32 or float64) of any shape, the logits.

    Returns:
    - y: A tensor with the shape, dtype and device of z, with entries in [0, 1].
    """
    # TODO: implement sigmoid.
    raise NotImplementedError("sigmoid is not implemented yet: replace this line with your code.")


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
    # TODO: implement logistic_predict.
    raise NotImplementedError("logistic_predict is not implemented yet: replace this line with your code.")


def binary_cross_entropy(z: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """
    Mean binary cross-entropy, computed from the logits:

        J = 1/N sum_i [ -t_i log sigmoid(z_i) - (1 - t_i) log(1 - sigmoid(z_i)) ]

    It must stay finite and accurate for logits of any magnitude (|z| = 1e4 in float32),
    so do not take the log of a computed sigmoid.

    Inputs:
    - z: A float tensor (float32 or float64) of shape (N,), the logits.
    - t: A tensor of shape (N,), the targets in {0, 1}; dtype and device of z.

    Returns:
    - J: A 0-dim tensor with the dtype and device of z.
    """
    # TODO: implement binary_cross_entropy.
    raise NotImplementedError("binary_cross_entropy is not implemented yet: replace this line with your code.")


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
    # TODO: implement logistic_gradients.
    raise NotImplementedError("logistic_gradients is not implemented yet: replace this line with your code.")


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
    # TODO: implement squared_error_logistic_gradients.
    raise NotImplementedError("squared_error_logistic_gradients is not implemented yet: replace this line with your code.")


def fit_logistic_regression(X: torch.Tensor, t: torch.Tensor, lr: float,
                            num_steps: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """
    Full-batch gradient descent on the mean binary cross-entropy, starting from w = 0, b = 0.
    Each step updates w and b together, both with the gradients at the current point.

    Inputs:
    - X: A float tensor (float32 or float64) of shape (N, D), one example per row.
    - t: A tensor of shape (N,), the targets in {0, 1}; dtype and device of X.
    - lr: A Python float, the learning rate.
    - num_steps: A Python int, the number of gradient descent steps.

    Returns a tuple of:
    - w: A tensor of shape (D,), the weights after num_steps steps.
    - b: A 0-dim tensor, the bias after num_steps steps.
    - costs: A tensor of shape (num_steps + 1,); costs[k] is the cross-entropy after k
      steps, so costs[0] is the cost at w = 0, b = 0.
    All have the dtype and device of X.
    """
    # TODO: implement fit_logistic_regression.
    raise NotImplementedError("fit_logistic_regression is not implemented yet: replace this line with your code.")
