# expect: mistake relu_forward: calls F.relu
# expect: mistake relu_backward: its part runs relu_forward, which calls F.relu
# expect: mistake mlp_loss_and_gradients: lets torch.autograd.grad compute the gradients
# expect: mistake train_mlp: calls mlp_loss_and_gradients, which breaks the rules
# %%
import torch
import torch.nn.functional as F

def linear_forward(X, W, b):
    return X @ W.T + b, (X, W)

def linear_backward(dZ, cache):
    X, W = cache
    return dZ @ W, dZ.T @ X, dZ.sum(0)

def relu_forward(Z):
    return F.relu(Z), Z

def relu_backward(dH, cache):
    return dH * (cache > 0)

def sigmoid_forward(Z):
    e = torch.exp(-Z.abs())
    H = torch.where(Z >= 0, 1 / (1 + e), e / (1 + e))
    return H, H

def sigmoid_backward(dH, cache):
    return dH * cache * (1 - cache)

def tanh_forward(Z):
    H = torch.tanh(Z)
    return H, H

def tanh_backward(dH, cache):
    return dH * (1 - cache ** 2)

def softmax_cross_entropy_loss(Z, t):
    N = Z.shape[0]
    S = Z - Z.amax(1, keepdim=True)
    E = S.exp()
    total = E.sum(1, keepdim=True)
    rows = torch.arange(N, device=Z.device)
    loss = (total.log().squeeze(1) - S[rows, t]).mean()
    dZ = E / total
    dZ[rows, t] -= 1
    return loss, dZ / N

# %%
def init_mlp(layer_sizes, generator=None):
    device = generator.device if generator is not None else "cpu"
    params = {}
    for l in range(1, len(layer_sizes)):
        n_in = layer_sizes[l - 1]
        params[f"W{l}"] = torch.randn(layer_sizes[l], n_in, generator=generator, device=device) * (2 / n_in) ** 0.5
        params[f"b{l}"] = torch.zeros(layer_sizes[l], device=device)
    return params

def mlp_loss_and_gradients(X, t, params, activation="relu", weight_decay=0.0):
    fwd, bwd = {"relu": (relu_forward, relu_backward), "sigmoid": (sigmoid_forward, sigmoid_backward),
                "tanh": (tanh_forward, tanh_backward)}[activation]
    ps = {k: v.detach().clone().requires_grad_(True) for k, v in params.items()}
    L = len(ps) // 2
    H, lin, act = X, [], []
    for l in range(1, L + 1):
        H, c = linear_forward(H, ps[f"W{l}"], ps[f"b{l}"])
        lin.append(c)
        if l < L:
            H, c = fwd(H)
            act.append(c)
    loss, d = softmax_cross_entropy_loss(H, t)
    for l in range(1, L + 1):
        loss = loss + weight_decay / 2 * (ps[f"W{l}"] ** 2).sum()
    grads = torch.autograd.grad(loss, list(ps.values()))
    return loss.detach(), {k: g for k, g in zip(ps, grads)}

def train_mlp(X, t, layer_sizes, lr, num_epochs, batch_size, activation="relu", weight_decay=0.0, generator=None):
    params = {k: v.to(X.dtype).to(X.device) for k, v in init_mlp(layer_sizes, generator).items()}
    dev = generator.device if generator is not None else "cpu"
    costs = [mlp_loss_and_gradients(X, t, params, activation, weight_decay)[0]]
    for _ in range(num_epochs):
        order = torch.randperm(len(X), generator=generator, device=dev).to(X.device)
        for i in range(0, len(X), batch_size):
            idx = order[i:i + batch_size]
            _, grads = mlp_loss_and_gradients(X[idx], t[idx], params, activation, weight_decay)
            params = {k: params[k] - lr * grads[k] for k in params}
        costs.append(mlp_loss_and_gradients(X, t, params, activation, weight_decay)[0])
    return params, torch.stack(costs)

def xor_network():
    return {"W1": torch.tensor([[1.0, 1.0], [-1.0, -1.0]]), "b1": torch.tensor([-0.5, 1.5]),
            "W2": torch.tensor([[1.0, 1.0]]), "b2": torch.tensor([-1.5])}
