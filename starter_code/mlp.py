# Starter code for Assignment 4: Multilayer perceptrons and backpropagation.
# Implement every TODO: replace each `raise NotImplementedError(...)` with your code.
# Check your work locally with: python check_mlp.py mlp.py

"""Assignment 4: multilayer perceptrons, built from layers with hand-written backward passes."""

import math

import torch


def linear_forward(X, W, b):
    """
    Forward pass of a fully connected (linear) layer: Z = X @ W.T + b.

    Inputs:
    - X: inputs, tensor of shape (N, D_in), float32 or float64; one row per example.
    - W: weights, tensor of shape (D_out, D_in), dtype and device of X; row k holds the
      incoming weights of output unit k.
    - b: biases, tensor of shape (D_out,), dtype and device of X.

    Returns a tuple of:
    - Z: outputs, tensor of shape (N, D_out), dtype and device of X.
    - cache: tuple of tensors that linear_backward needs.
    """
    # TODO: implement linear_forward.
    raise NotImplementedError("linear_forward is not implemented yet: replace this line with your code.")


def linear_backward(dZ, cache):
    """
    Backward pass of a fully connected layer.

    Inputs:
    - dZ: error signal dL/dZ, tensor of shape (N, D_out).
    - cache: the cache returned by linear_forward(X, W, b).

    Returns a tuple of:
    - dX: dL/dX, tensor of shape (N, D_in).
    - dW: dL/dW, tensor of shape (D_out, D_in).
    - db: dL/db, tensor of shape (D_out,).
    All three have the dtype and device of dZ.
    """
    # TODO: implement linear_backward.
    raise NotImplementedError("linear_backward is not implemented yet: replace this line with your code.")


def relu_forward(Z):
    """
    Forward pass of the rectified linear unit, H = max(0, Z), elementwise.

    Inputs:
    - Z: pre-activations, tensor of any shape, float32 or float64.

    Returns a tuple of:
    - H: activations, tensor of the shape, dtype and device of Z.
    - cache: tuple of tensors that relu_backward needs.
    """
    # TODO: implement relu_forward.
    raise NotImplementedError("relu_forward is not implemented yet: replace this line with your code.")


def relu_backward(dH, cache):
    """
    Backward pass of the ReLU.

    Inputs:
    - dH: error signal dL/dH, tensor of the shape of Z.
    - cache: the cache returned by relu_forward(Z).

    Returns:
    - dZ: dL/dZ, tensor of the shape, dtype and device of dH. Where Z is exactly 0 either
      subgradient (0 or 1) is accepted.
    """
    # TODO: implement relu_backward.
    raise NotImplementedError("relu_backward is not implemented yet: replace this line with your code.")


def sigmoid_forward(Z):
    """
    Forward pass of the logistic sigmoid, H = 1 / (1 + exp(-Z)), elementwise.

    Inputs:
    - Z: pre-activations, tensor of any shape, float32 or float64.

    Returns a tuple of:
    - H: activations in [0, 1], tensor of the shape, dtype and device of Z; finite and
      accurate for every finite Z.
    - cache: tuple of tensors that sigmoid_backward needs.
    """
    # TODO: implement sigmoid_forward.
    raise NotImplementedError("sigmoid_forward is not implemented yet: replace this line with your code.")


def sigmoid_backward(dH, cache):
    """
    Backward pass of the logistic sigmoid.

    Inputs:
    - dH: error signal dL/dH, tensor of the shape of Z.
    - cache: the cache returned by sigmoid_forward(Z).

    Returns:
    - dZ: dL/dZ, tensor of the shape, dtype and device of dH.
    """
    # TODO: implement sigmoid_backward.
    raise NotImplementedError("sigmoid_backward is not implemented yet: replace this line with your code.")


def tanh_forward(Z):
    """
    Forward pass of the hyperbolic tangent, H = tanh(Z), elementwise.

    Inputs:
    - Z: pre-activations, tensor of any shape, float32 or float64.

    Returns a tuple of:
    - H: activations in [-1, 1], tensor of the shape, dtype and device of Z.
    - cache: tuple of tensors that tanh_backward needs.
    """
    # TODO: implement tanh_forward.
    raise NotImplementedError("tanh_forward is not implemented yet: replace this line with your code.")


def tanh_backward(dH, cache):
    """
    Backward pass of the hyperbolic tangent.

    Inputs:
    - dH: error signal dL/dH, tensor of the shape of Z.
    - cache: the cache returned by tanh_forward(Z).

    Returns:
    - dZ: dL/dZ, tensor of the shape, dtype and device of dH.
    """
    # TODO: implement tanh_backward.
    raise NotImplementedError("tanh_backward is not implemented yet: replace this line with your code.")


def softmax_cross_entropy_loss(Z, t):
    """
    Mean softmax cross-entropy of a batch of logits, and its gradient.

    Inputs:
    - Z: logits, tensor of shape (N, K), float32 or float64.
    - t: target class indices, int64 tensor of shape (N,), each in [0, K).

    Returns a tuple of:
    - loss: 0-dim tensor, dtype and device of Z, equal to
      (1/N) * sum_i -log softmax(Z)[i, t[i]]; finite for every finite Z, including
      logits of magnitude 1e4 in float32.
    - dZ: dloss/dZ = (softmax(Z) - T) / N with T the one-hot targets, tensor of shape
      (N, K), dtype and device of Z.
    """
    # TODO: implement softmax_cross_entropy_loss.
    raise NotImplementedError("softmax_cross_entropy_loss is not implemented yet: replace this line with your code.")


def init_mlp(layer_sizes, generator=None):
    """
    Random initial parameters for a multilayer perceptron (He initialisation).

    Layer l (1..L) maps n_{l-1} inputs to n_l outputs. Its weights are drawn, in the order
    W1, W2, ..., WL, as randn(n_l, n_{l-1}, generator=generator) * sqrt(2 / n_{l-1}), so
    each weight has variance 2 / fan-in; its biases start at zero.

    Inputs:
    - layer_sizes: list of ints [n_0, n_1, ..., n_L]; n_0 is the input dimension and n_L
      the number of classes.
    - generator: optional torch.Generator; the same seed gives the same parameters.

    Returns:
    - params: dict {"W1": (n_1, n_0), "b1": (n_1,), ..., "WL": (n_L, n_{L-1}),
      "bL": (n_L,)} of float32 tensors on the generator's device (the CPU without one).
    """
    # TODO: implement init_mlp.
    raise NotImplementedError("init_mlp is not implemented yet: replace this line with your code.")


def mlp_loss_and_gradients(X, t, params, activation="relu", weight_decay=0.0):
    """
    Loss of a multilayer perceptron classifier and its gradients, by backpropagation.

    The network has L = len(params) // 2 layers: H0 = X, Z_l = H_{l-1} @ W_l.T + b_l, and
    H_l = activation(Z_l) for the hidden layers l < L; Z_L are the logits. Build it from
    linear_forward/linear_backward, the activation's forward/backward pair and
    softmax_cross_entropy_loss.

    Inputs:
    - X: inputs, tensor of shape (N, n_0), float32 or float64.
    - t: target class indices, int64 tensor of shape (N,), each in [0, n_L).
    - params: dict {"W1": (n_1, n_0), "b1": (n_1,), ..., "WL", "bL"}, dtype and device
      of X.
    - activation: "relu", "sigmoid" or "tanh", used by every hidden layer.
    - weight_decay: float lambda >= 0, the strength of the L2 penalty on the weights.

    Returns a tuple of:
    - loss: 0-dim tensor, mean softmax cross-entropy of Z_L plus
      weight_decay / 2 * sum_l ||W_l||^2 (the biases are not decayed).
    - grads: dict with the keys of params; grads[k] = dloss/dparams[k], with the shape,
      dtype and device of params[k].

    Raises:
    - ValueError if activation is not one of the three names.
    """
    # TODO: implement mlp_loss_and_gradients.
    raise NotImplementedError("mlp_loss_and_gradients is not implemented yet: replace this line with your code.")


def train_mlp(X, t, layer_sizes, lr, num_epochs, batch_size, activation="relu",
              weight_decay=0.0, generator=None):
    """
    Train a multilayer perceptron classifier with mini-batch stochastic gradient descent.

    The parameters start at init_mlp(layer_sizes, generator), moved to X's dtype and
    device. Each epoch draws a new order of the examples,
    torch.randperm(N, generator=generator) on the generator's device (without a
    generator: on the CPU, from PyTorch's global random number generator), moves it to
    X's device and visits every example once in that order, taking batches of batch_size
    consecutive examples (the last batch may be smaller) and updating every parameter
    p -= lr * dloss/dp after each.

    Inputs:
    - X: inputs, tensor of shape (N, n_0), float32 or float64.
    - t: target class indices, int64 tensor of shape (N,), each in [0, n_L).
    - layer_sizes: list of ints [n_0, n_1, ..., n_L].
    - lr: float, the learning rate.
    - num_epochs: int, the number of passes over the data.
    - batch_size: int, the number of examples per update.
    - activation: "relu", "sigmoid" or "tanh", used by every hidden layer.
    - weight_decay: float lambda >= 0, as in mlp_loss_and_gradients.
    - generator: optional torch.Generator that fixes the initial parameters and the order
      of the examples (None: PyTorch's global random number generator).

    Returns a tuple of:
    - params: dict of trained parameters as returned by init_mlp, dtype and device of X.
    - costs: 1-D tensor of length num_epochs + 1, dtype and device of X; costs[0] is the
      full objective (mean cross-entropy plus weight decay) on all of X before training
      and costs[e] the same after epoch e.
    """
    # TODO: implement train_mlp.
    raise NotImplementedError("train_mlp is not implemented yet: replace this line with your code.")


def xor_network():
    """
    Hand-designed weights for a 2-2-1 network of hard-threshold units that computes XOR.

    Every unit outputs 1 if z > 0 else 0, with h = step(x @ W1.T + b1) and
    y = step(h @ W2.T + b2); on the four inputs x in {0, 1}^2, y = x_1 XOR x_2.

    Returns:
    - params: dict {"W1": (2, 2), "b1": (2,), "W2": (1, 2), "b2": (1,)} of float32
      tensors on the CPU.
    """
    # TODO: implement xor_network.
    raise NotImplementedError("xor_network is not implemented yet: replace this line with your code.")
