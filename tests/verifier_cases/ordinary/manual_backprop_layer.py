# Hand-written backprop (what the rules ask for): a layer class with forward/backward methods and a
# .grad field. Refused as "Tensor.backward()" / ".grad" even though both are the student's own.
import torch
class Linear:
    def __init__(self, W):
        self.W = W
        self.grad = None
    def forward(self, x):
        self.x = x
        return x @ self.W
    def backward(self, g):
        self.grad = self.x.T @ g
        return g @ self.W.T
def f(x, W):
    layer = Linear(W)
    out = layer.forward(x)
    layer.backward(torch.ones_like(out))
    return layer.grad
