# A class-body assignment to a name that is a module-level alias is never checked (_is_alias resolves
# the class-body name at module level): here it runs eval/__import__ and takes an unwired private sigmoid.
import torch
T = torch.exp
class H:
    T = eval("__import__('torch')._C._VariableFunctions.sigmoid")
def f(z):
    return H.T(z)
