# A parameter whose default is a library path is taken to BE that path (M = math), but a caller may pass
# any value. math is an ANY module: every public name is allowed on it, including the frame/generator
# attribute names (gi_frame, f_globals) that ban_of does not ban on a listed module's path.
import math
import torch
def gen():
    yield 1
def frame_of(g, M=math):
    return M.gi_frame
def globals_of(fr, M=math):
    return M.f_globals
class Names:
    _C = _special = special_expit = None
def f(z):
    g = gen()
    T = globals_of(frame_of(g, g), frame_of(g, g))["torch"]     # the real torch module, as an unknown value
    return T._C._special.special_expit(z)
