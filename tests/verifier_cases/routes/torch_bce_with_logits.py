# torch.binary_cross_entropy_with_logits is a banned row in rules.py but is also in torch_names.TORCH;
# the verifier never consults ban_of for a listed entry, so it passes (and does the stable
# log-sigmoid / logistic loss work for the student). The tripwire does catch it at run time.
import torch
def f(z):
    t = torch.ones_like(z)
    return -torch.binary_cross_entropy_with_logits(z, t, None, None, 0)   # = log(sigmoid(z)) elementwise
