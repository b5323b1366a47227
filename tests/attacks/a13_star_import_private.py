# A module-level star import from a private torch module: _import_aliases() ignores "*", module-level
# imports are never checked against the table, and special_expit is torch.special.expit's own object
# under another owner, which the tripwire (installed on torch.special) does not wrap.
from torch._C._special import *  # noqa: F401,F403

import torch


def sigmoid(z):
    return special_expit(z)  # noqa: F405
