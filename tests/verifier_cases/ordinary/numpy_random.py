# np.random.seed / np.random.randn / np.linalg.norm are refused (numpy.random and numpy.linalg are not listed).
import numpy as np
import torch
def f(n):
    np.random.seed(0)
    W = np.random.randn(n, n) / np.linalg.norm(np.ones(n))
    return torch.from_numpy(W)
