# An ordinary student who prints while debugging (their output is captured by the sandbox).
import torch


def sigmoid(z):
    print("VICTIM-A3 private debug output: my student id is 12345678, z.sum() =", float(z.sum()))
    e = torch.exp(-z.abs())
    return torch.where(z >= 0, 1 / (1 + e), e / (1 + e))
