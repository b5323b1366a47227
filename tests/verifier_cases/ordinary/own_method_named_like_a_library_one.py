# A helper class's static method whose name numpy's random generators also have (logistic): the
# submission's own class body defines it, so Stable.logistic is its own.
import torch


class Stable:
    @staticmethod
    def softplus(z):
        return z.clamp(min=0) + torch.log1p(torch.exp(-z.abs()))

    @staticmethod
    def logistic(z):
        return torch.exp(-Stable.softplus(-z))


def f(z):
    return Stable.logistic(z)
