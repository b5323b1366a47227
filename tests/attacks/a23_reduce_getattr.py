# Issue 19: getattr passed as a value (functools.reduce walks torch._C to the original).
import functools

import torch


def sigmoid(z):
    return functools.reduce(getattr, ["_C", "_VariableFunctions", "sigmoid"], torch)(z)
