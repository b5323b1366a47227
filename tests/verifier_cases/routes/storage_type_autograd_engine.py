# Same route as storage_type_attributeerror_obj.py, reaching autograd's C++ engine directly
# (torch.autograd.variable.Variable._execution_engine.run_backward): gradients with no tripwire.
import torch
class Box:
    def __init__(self):
        self.obj = None
def fetch(name):
    try:
        torch.zeros(1).storage_type()().type(name)
    except AttributeError as e:
        return e.obj
class Engine:
    run_backward = None
def f(w):
    w = w.detach().clone()
    w.requires_grad = True
    with torch.enable_grad():
        loss = (w * w * w).sum()
    engine = fetch("torch.autograd.variable.Variable._execution_engine")
    (g,) = engine.run_backward((loss,), (torch.ones(()),), False, False, (w,), False, False)
    return g                                # 3 w^2, by autograd
