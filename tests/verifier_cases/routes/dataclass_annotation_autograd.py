# Same route, naming torch.autograd.grad directly in an annotation (tripwire catches this one at run time).
import dataclasses
import torch
@dataclasses.dataclass
class Box:
    g: torch.autograd.grad
def f(w, x):
    w = w.detach().clone()
    w.requires_grad = True
    with torch.enable_grad():
        (gw,) = dataclasses.fields(Box)[0].type((w * x).sum(), w)
    return gw
