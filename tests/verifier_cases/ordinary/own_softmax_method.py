# A model class with its own stable softmax method, called as self.softmax: refused as the banned method.
import torch
class Classifier:
    def softmax(self, z):
        m = z.max(dim=1, keepdim=True).values
        e = torch.exp(z - m)
        return e / e.sum(dim=1, keepdim=True)
    def predict(self, z):
        return self.softmax(z)
def f(z):
    return Classifier().predict(z)
