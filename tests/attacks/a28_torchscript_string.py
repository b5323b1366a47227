# Issue 19: TorchScript compiled from a string reaches any aten op.
import torch


def sigmoid(z):
    unit = torch.jit.CompilationUnit("def s(x):\n    return torch.sigmoid(x)\n")
    return unit.s(z)
