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
    # BEGIN SOLUTION
    Z = torch.addmm(b, X, W.T)  # X @ W.T + b in one fused kernel
    cache = (X, W)  # the backward pass needs X (for dW) and W (for dX), not b
    return Z, cache
    # END SOLUTION


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
    # BEGIN SOLUTION
    X, W = cache
    dX = dZ @ W        # each input feeds every output unit: sum the messages over them
    dW = dZ.T @ X      # W is shared by all N examples: sum over the batch
    db = dZ.sum(dim=0)
    return dX, dW, db
    # END SOLUTION


def relu_forward(Z):
    """
    Forward pass of the rectified linear unit, H = max(0, Z), elementwise.

    Inputs:
    - Z: pre-activations, tensor of any shape, float32 or float64.

    Returns a tuple of:
    - H: activations, tensor of the shape, dtype and device of Z.
    - cache: tuple of tensors that relu_backward needs.
    """
    # BEGIN SOLUTION
    H = torch.clamp(Z, min=0)
    return H, (Z,)
    # END SOLUTION


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
    # BEGIN SOLUTION
    (Z,) = cache
    # ReLU'(z) is 1 for z > 0 and 0 for z < 0: pass the error signal through or block it.
    return dH * (Z > 0)
    # END SOLUTION


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
    # BEGIN SOLUTION
    # exp(-|z|) is in (0, 1], so nothing overflows. For z >= 0 use 1 / (1 + e^{-z});
    # for z < 0 use the equal form e^{z} / (1 + e^{z}), which keeps tiny values accurate.
    E = torch.exp(-Z.abs())
    R = 1.0 / (1.0 + E)
    H = torch.where(Z >= 0, R, E * R)
    return H, (H,)
    # END SOLUTION


def sigmoid_backward(dH, cache):
    """
    Backward pass of the logistic sigmoid.

    Inputs:
    - dH: error signal dL/dH, tensor of the shape of Z.
    - cache: the cache returned by sigmoid_forward(Z).

    Returns:
    - dZ: dL/dZ, tensor of the shape, dtype and device of dH.
    """
    # BEGIN SOLUTION
    (H,) = cache
    return dH * H * (1.0 - H)  # sigma'(z) = sigma(z) (1 - sigma(z))
    # END SOLUTION


def tanh_forward(Z):
    """
    Forward pass of the hyperbolic tangent, H = tanh(Z), elementwise.

    Inputs:
    - Z: pre-activations, tensor of any shape, float32 or float64.

    Returns a tuple of:
    - H: activations in [-1, 1], tensor of the shape, dtype and device of Z.
    - cache: tuple of tensors that tanh_backward needs.
    """
    # BEGIN SOLUTION
    H = torch.tanh(Z)
    return H, (H,)
    # END SOLUTION


def tanh_backward(dH, cache):
    """
    Backward pass of the hyperbolic tangent.

    Inputs:
    - dH: error signal dL/dH, tensor of the shape of Z.
    - cache: the cache returned by tanh_forward(Z).

    Returns:
    - dZ: dL/dZ, tensor of the shape, dtype and device of dH.
    """
    # BEGIN SOLUTION
    (H,) = cache
    return dH * (1.0 - H * H)  # tanh'(z) = 1 - tanh(z)^2
    # END SOLUTION


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
    # BEGIN SOLUTION
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
    # END SOLUTION


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
    # BEGIN SOLUTION
    device = generator.device if generator is not None else torch.device("cpu")
    params = {}
    for l in range(1, len(layer_sizes)):
        n_in, n_out = layer_sizes[l - 1], layer_sizes[l]
        W = torch.randn(n_out, n_in, generator=generator, dtype=torch.float32, device=device)
        params[f"W{l}"] = W * math.sqrt(2.0 / n_in)
        params[f"b{l}"] = torch.zeros(n_out, dtype=torch.float32, device=device)
    return params
    # END SOLUTION


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
    # BEGIN SOLUTION
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
    # END SOLUTION


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
    # BEGIN SOLUTION
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
    # END SOLUTION


def xor_network():
    """
    Hand-designed weights for a 2-2-1 network of hard-threshold units that computes XOR.

    Every unit outputs 1 if z > 0 else 0, with h = step(x @ W1.T + b1) and
    y = step(h @ W2.T + b2); on the four inputs x in {0, 1}^2, y = x_1 XOR x_2.

    Returns:
    - params: dict {"W1": (2, 2), "b1": (2,), "W2": (1, 2), "b2": (1,)} of float32
      tensors on the CPU.
    """
    # BEGIN SOLUTION
    # Hidden unit 1 computes OR (x1 + x2 > 0.5), hidden unit 2 NAND (x1 + x2 < 1.5);
    # the output unit ANDs them (h1 + h2 > 1.5): true exactly when one input is on.
    return {
        "W1": torch.tensor([[1.0, 1.0], [-1.0, -1.0]]),
        "b1": torch.tensor([-0.5, 1.5]),
        "W2": torch.tensor([[1.0, 1.0]]),
        "b2": torch.tensor([-1.5]),
    }
    # END SOLUTION
