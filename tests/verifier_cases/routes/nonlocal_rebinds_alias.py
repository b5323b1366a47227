# An alias bound once in f (M = math) is trusted for the whole body, but a nested function may rebind it
# with `nonlocal` to any (checked) value; M.<any public name> is then read from that value.
import math
import torch
def gen():
    yield 1
class Names:
    _C = _special = special_expit = None
def f(z):
    M = math
    def step(v):
        nonlocal M
        M = v
    step(gen())
    step(M.gi_frame)
    step(M.f_globals)
    T = M.get("torch")
    return T._C._special.special_expit(z)
