# `import torch as T` inside a class body binds a class attribute holding the module; H.T is an
# unknown value whose student-defined attributes (_C, _special, special_expit) pass.
import torch
class H:
    import torch as T
class Names:
    _C = _special = special_expit = None
def f(z):
    return H.T._C._special.special_expit(z)
