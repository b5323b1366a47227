# The loader skips a statement that raises; the verifier assumes it bound T. The decorator is an
# undefined (free) name, so `def T` fails at load and T stays the torch module.
import torch as T
@not_defined_anywhere
def T():
    pass
class Names:
    _softmax = None
def f(z):
    return T._softmax(z, 0, False)
