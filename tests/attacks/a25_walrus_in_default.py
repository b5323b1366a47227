# Issue 19: an assignment expression in a default value runs while the file loads and binds a global.
import torch


def _unused(x=(_original := torch._C._VariableFunctions.sigmoid)):
    return x


def sigmoid(z):
    return _original(z)
