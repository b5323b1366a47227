# Names bound in a class body are never recorded in the class scope, so a later line of the same body
# still resolves `math` to the imported module. Rebinding it there makes math.<public name> (any name:
# math is an ANY module, and frame names like gi_frame / f_globals are not banned on a listed path) read
# attributes of an arbitrary value.
import math
import torch
def gen():
    yield 1
class H:
    math = gen()
    math = math.gi_frame
    math = math.f_globals
    T = math.get("torch")          # the torch module
class Names:
    _C = _special = special_expit = None
def f(z):
    return H.T._C._special.special_expit(z)
