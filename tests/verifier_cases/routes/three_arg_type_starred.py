# type(*args) passes the "type() with one argument" rule (one Starred node): a class built at run time,
# here a torch.Tensor subclass (a base the class rules refuse: `class S(torch.Tensor)` is a rule break).
import torch
def f(z):
    Sub = type(*("Sub", (torch.Tensor,), {}))
    return issubclass(Sub, torch.Tensor)
