# Feature detection with hasattr and a literal name is refused when the name is banned, though nothing is read.
import torch
def f(z):
    if hasattr(z, "grad"):
        pass
    return z
