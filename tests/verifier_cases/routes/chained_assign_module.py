# `A = B = torch` at top level: both names become "unknown" (not a path), and the inert value is never
# judged; any student-defined attribute name (here _softmax) is then allowed on it.
import torch
A = B = torch
class Names:
    _softmax = None
def f(z):
    return A._softmax(z, 0, False)
