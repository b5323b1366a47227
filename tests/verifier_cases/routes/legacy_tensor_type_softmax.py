# As legacy_tensor_type_method.py, for softmax: torch.DoubleTensor.softmax is TensorBase.softmax (unwired).
import torch
class Model:
    def softmax(self, x):
        return x
def f(z):
    return (torch.DoubleTensor or None).softmax(z, 1)
