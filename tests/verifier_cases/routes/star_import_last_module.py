# With several star imports, an attribute's root name is judged against the LAST star module only
# (math: every public name allowed), while at run time it comes from sys: sys.modules.get(<string>).
from sys import *
from math import *
def f(z):
    T = modules.get("torch._C._special")    # any module by a computed name
    return T.special_expit(z)
class Names:
    special_expit = None
