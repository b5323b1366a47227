# Starter code for Assignment 1: Linear regression.
# Implement every TODO: replace each `raise NotImplementedError(...)` with your code.
# Check your work locally with: python check_linear_regression.py linear_regression.py

"""Assignment 1: Linear regression.

Notation: one row of X per example, y predictions, t targets, and the cost
J = 1/(2N) * sum_i (y_i - t_i)^2 averaged over the N examples.
"""

import torch


def predict(X: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """
    Predictions of a linear model for a batch of examples: y = X w + b.

    Inputs:
    - X: (N, D) float tensor, one example per row
    - w: (D,) float tensor of weights
    - b: 0-dim float tensor, the bias

    Returns:
    - y: (N,) tensor of predictions, y[i] = w . X[i] + b, with the dtype and device of X
    """
    # TODO: implement predict.
    raise NotImplementedError("predict is not implemented yet: replace this line with your code.")


def squared_error_cost(y: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """
    Squared-error cost averaged over the batch: J = 1/(2N) * sum_i (y[i] - t[i])^2.

    Inputs:
    - y: (N,) float tensor of predictions
    - t: (N,) float tensor of targets

    Returns:
    - J: 0-dim tensor with the dtype and device of y
    """
    # TODO: implement squared_error_cost.
    raise NotImplementedError("squared_error_cost is not implemented yet: replace this line with your code.")


def cost_gradients(X: torch.Tensor, t: torch.Tensor, w: torch.Tensor,
                   b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """
    Gradients of J(w, b) = squared_error_cost(predict(X, w, b), t), derived by hand.

    Inputs:
    - X: (N, D) float tensor, one example per row
    - t: (N,) float tensor of targets
    - w: (D,) float tensor of weights
    - b: 0-dim float tensor, the bias

    Returns a tuple of:
    - dw: (D,) tensor, dJ/dw
    - db: 0-dim tensor, dJ/db
    both with the dtype and device of X.
    """
    # TODO: implement cost_gradients.
    raise NotImplementedError("cost_gradients is not implemented yet: replace this line with your code.")


def gradient_descent(X: torch.Tensor, t: torch.Tensor, lr: float,
                     num_steps: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """
    Batch gradient descent on the squared-error cost, starting from w = 0, b = 0.

    Each step computes both gradients at the current (w, b), then updates both:
    w <- w - lr * dJ/dw and b <- b - lr * dJ/db.

    Inputs:
    - X: (N, D) float tensor, one example per row
    - t: (N,) float tensor of targets
    - lr: float, the learning rate alpha
    - num_steps: int >= 0, the number of updates

    Returns a tuple of:
    - w: (D,) tensor, the weights after num_steps updates
    - b: 0-dim tensor, the bias after num_steps updates
    - costs: (num_steps + 1,) tensor; costs[k] is the cost after k updates, so
      costs[0] is the cost at w = 0, b = 0
    all with the dtype and device of X.
    """
    # TODO: implement gradient_descent.
    raise NotImplementedError("gradient_descent is not implemented yet: replace this line with your code.")


def fit_direct(X: torch.Tensor, t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """
    A minimiser of the squared-error cost in closed form (no iterations).

    Inputs:
    - X: (N, D) float tensor of full column rank, one example per row
    - t: (N,) float tensor of targets

    Returns a tuple of:
    - w: (D,) tensor of weights
    - b: 0-dim tensor, the bias
    both with the dtype and device of X, such that (w, b) minimises
    squared_error_cost(predict(X, w, b), t). Any minimiser is accepted.
    """
    # TODO: implement fit_direct.
    raise NotImplementedError("fit_direct is not implemented yet: replace this line with your code.")


def polynomial_features(x: torch.Tensor, degree: int) -> torch.Tensor:
    """
    Polynomial feature map psi(x) = (1, x, x^2, ..., x^degree) for scalar inputs.

    Inputs:
    - x: (N,) float tensor of scalar inputs
    - degree: int >= 0, the highest power

    Returns:
    - Psi: (N, degree + 1) tensor with Psi[i, j] = x[i] ** j (so column 0 is all
      ones), with the dtype and device of x
    """
    # TODO: implement polynomial_features.
    raise NotImplementedError("polynomial_features is not implemented yet: replace this line with your code.")
