# Issue 19: another library's sigmoid.
import torch
from scipy.special import expit


def sigmoid(z):
    return torch.as_tensor(expit(z.detach().cpu().numpy())).to(z)
