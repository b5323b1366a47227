# Storing a callable as self.func / calling self.apply(...) in one's own class is refused
# (func / apply are names of torch's or Python's internals, denied even when the student defines them).
import torch
def relu(z):
    return z.clamp_min(0)
class Activation:
    def __init__(self, func):
        self.func = func
    def apply(self, z):
        return self.func(z)
def f(z):
    return Activation(relu).apply(z)
