# `nonlocal T; T = <anything>` in a nested function: T resolves to the enclosing alias, so the
# assignment is skipped unchecked; the outer T then holds whatever was assigned.
import torch
def f(z):
    T = torch.exp
    def g():
        nonlocal T
        T = torch._C._VariableFunctions.sigmoid
    g()
    return T(z)
