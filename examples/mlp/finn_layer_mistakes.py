"""Example submission (mlp): db averaged in linear_backward, the sigmoid derivative taken at H, weights scaled by fan-out, an OR network for XOR."""

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
    Z = torch.addmm(b, X, W.T)  # X @ W.T + b in one fused kernel
    cache = (X, W)  # the backward pass needs X (for dW) and W (for dX), not b
    return Z, cache


def linear_backward(dZ, cache):
    X, W = cache
    N = X.shape[0]
    return dZ @ W, dZ.T @ X, dZ.mean(dim=0)


def relu_forward(Z):
    """
    Forward pass of the rectified linear unit, H = max(0, Z), elementwise.

    Inputs:
    - Z: pre-activations, tensor of any shape, float32 or float64.

    Returns a tuple of:
    - H: activations, tensor of the shape, dtype and device of Z.
    - cache: tuple of tensors that relu_backward needs.
    """
    H = torch.clamp(Z, min=0)
    return H, (Z,)


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
    (Z,) = cache
    # ReLU'(z) is 1 for z > 0 and 0 for z < 0: pass the error signal through or block it.
    return dH * (Z > 0)


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
    # exp(-|z|) is in (0, 1], so nothing overflows. For z >= 0 use 1 / (1 + e^{-z});
    # for z < 0 use the equal form e^{z} / (1 + e^{z}), which keeps tiny values accurate.
    E = torch.exp(-Z.abs())
    R = 1.0 / (1.0 + E)
    H = torch.where(Z >= 0, R, E * R)
    return H, (H,)


def sigmoid_backward(dH, cache):
    (H,) = cache
    S = sigmoid_forward(H)[0]
    return dH * S * (1 - S)


def tanh_forward(Z):
    """
    Forward pass of the hyperbolic tangent, H = tanh(Z), elementwise.

    Inputs:
    - Z: pre-activations, tensor of any shape, float32 or float64.

    Returns a tuple of:
    - H: activations in [-1, 1], tensor of the shape, dtype and device of Z.
    - cache: tuple of tensors that tanh_backward needs.
    """
    H = torch.tanh(Z)
    return H, (H,)


def tanh_backward(dH, cache):
    """
    Backward pass of the hyperbolic tangent.

    Inputs:
    - dH: error signal dL/dH, tensor of the shape of Z.
    - cache: the cache returned by tanh_forward(Z).

    Returns:
    - dZ: dL/dZ, tensor of the shape, dtype and device of dH.
    """
    (H,) = cache
    return dH * (1.0 - H * H)  # tanh'(z) = 1 - tanh(z)^2


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
    N = Z.shape[0]
    # Shift each row by its maximum: softmax is unchanged and exp() never overflows.
    S = Z - Z.amax(dim=1, keepdim=True)
    E = torch.exp(S)
    sum_E = E.sum(dim=1, keepdim=True)  # >= 1, so its log is finite
    log_probs_target = S.gather(1, t[:, None]) - torch.log(sum_E)
    loss = -log_probs_target.mean()
    dZ = E / (sum_E * N)                                   # softmax(Z) / N
    dZ[torch.arange(N, device=Z.device), t] -= 1.0 / N     # minus T / N
    return loss, dZ


def init_mlp(layer_sizes, generator=None):
    params = {}
    for l in range(1, len(layer_sizes)):
        fan_in, fan_out = layer_sizes[l - 1], layer_sizes[l]
        params[f"W{l}"] = torch.randn(fan_out, fan_in, generator=generator) / fan_out ** 0.5
        params[f"b{l}"] = torch.zeros(fan_out)
    return params


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
    layers = {
        "relu": (relu_forward, relu_backward),
        "sigmoid": (sigmoid_forward, sigmoid_backward),
        "tanh": (tanh_forward, tanh_backward),
    }
    if activation not in layers:
        raise ValueError(f"activation must be 'relu', 'sigmoid' or 'tanh', got {activation!r}")
    act_forward, act_backward = layers[activation]
    L = len(params) // 2

    # Forward pass: keep each layer's cache for the backward pass.
    H = X
    linear_caches, act_caches = [], []
    for l in range(1, L + 1):
        Z, cache = linear_forward(H, params[f"W{l}"], params[f"b{l}"])
        linear_caches.append(cache)
        if l < L:
            H, cache = act_forward(Z)
            act_caches.append(cache)
    loss, dZ = softmax_cross_entropy_loss(Z, t)

    # Backward pass: error signals flow from the logits back to the inputs.
    grads = {}
    for l in range(L, 1, -1):
        if l < L:
            dZ = act_backward(dH, act_caches[l - 1])
        dH, dW, db = linear_backward(dZ, linear_caches[l - 1])
        grads[f"W{l}"], grads[f"b{l}"] = dW, db
    # The first layer's input is the data, whose error signal nobody needs: skip the
    # (N, D_in) product linear_backward would spend on dX and take dW and db directly.
    if L > 1:
        dZ = act_backward(dH, act_caches[0])
    grads["W1"], grads["b1"] = dZ.T @ X, dZ.sum(dim=0)

    if weight_decay != 0:
        # R = 1/2 sum_l ||W_l||^2 adds lambda * W_l to each weight's error signal.
        penalty = sum((params[f"W{l}"] ** 2).sum() for l in range(1, L + 1))
        loss = loss + weight_decay / 2 * penalty
        for l in range(1, L + 1):
            grads[f"W{l}"] = grads[f"W{l}"] + weight_decay * params[f"W{l}"]
    return loss, {k: grads[k] for k in params}


def train_mlp(X, t, layer_sizes, lr, num_epochs, batch_size, activation="relu",
              weight_decay=0.0, generator=None):
    """
    Train a multilayer perceptron classifier with mini-batch stochastic gradient descent.

    The parameters start at init_mlp(layer_sizes, generator), moved to X's dtype and
    device. Each epoch visits every example once, in the order
    torch.randperm(N, generator=generator) drawn on the generator's device (the CPU
    without one), taking batches of batch_size consecutive examples of that order (the
    last batch may be smaller) and updating every parameter p -= lr * dloss/dp after each.

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
      of the examples.

    Returns a tuple of:
    - params: dict of trained parameters as returned by init_mlp, dtype and device of X.
    - costs: 1-D tensor of length num_epochs + 1, dtype and device of X; costs[0] is the
      full objective (mean cross-entropy plus weight decay) on all of X before training
      and costs[e] the same after epoch e.
    """
    params = {k: v.to(device=X.device, dtype=X.dtype)
              for k, v in init_mlp(layer_sizes, generator).items()}
    perm_device = generator.device if generator is not None else torch.device("cpu")
    N = X.shape[0]

    act_forward = {"relu": relu_forward, "sigmoid": sigmoid_forward,
                   "tanh": tanh_forward}.get(activation)
    if act_forward is None:
        raise ValueError(f"activation must be 'relu', 'sigmoid' or 'tanh', got {activation!r}")
    L = len(params) // 2

    def objective():
        # The full objective on all of X: forward pass only, no gradients needed.
        H = X
        for l in range(1, L + 1):
            H, _ = linear_forward(H, params[f"W{l}"], params[f"b{l}"])
            if l < L:
                H, _ = act_forward(H)
        cost, _ = softmax_cross_entropy_loss(H, t)
        if weight_decay != 0:
            cost = cost + weight_decay / 2 * sum((params[f"W{l}"] ** 2).sum()
                                                 for l in range(1, L + 1))
        return cost

    costs = [objective()]
    for _ in range(num_epochs):
        order = torch.randperm(N, generator=generator, device=perm_device).to(X.device)
        # One gather per epoch; each batch is then a cheap contiguous slice.
        X_epoch, t_epoch = X[order], t[order]
        for start in range(0, N, batch_size):
            _, grads = mlp_loss_and_gradients(X_epoch[start:start + batch_size],
                                              t_epoch[start:start + batch_size],
                                              params, activation, weight_decay)
            for k, p in params.items():
                p.sub_(grads[k], alpha=lr)  # in place: params are our own copies
        costs.append(objective())
    return params, torch.stack(costs)


def xor_network():
    return {"W1": torch.tensor([[1.0, 1.0], [1.0, 1.0]]), "b1": torch.tensor([-0.5, -1.5]),
            "W2": torch.tensor([[1.0, 1.0]]), "b2": torch.tensor([-0.5])}
