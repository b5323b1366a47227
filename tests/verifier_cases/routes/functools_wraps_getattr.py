# functools.wraps(obj, assigned=(name,)) is the same string -> attribute route as update_wrapper.
import functools
import torch
GOT = {}
class Grab:
    def __setattr__(self, name, value):
        GOT[name] = value
def f(z):
    functools.wraps(z, assigned=("sig" + "moid",), updated=())(Grab())
    return GOT["sig" + "moid"]()          # z.sigmoid (Tensor.sigmoid is wired: the tripwire sees this one)
