"""Does the static scan find the calls graded code must not make, and only those?"""

from __future__ import annotations

import pytest

from autograder.checks.rules import scan


def names(source: str, function: str) -> list[str]:
    return [v.name for v in scan(source).get(function, [])]


@pytest.mark.parametrize("source, expected", [
    ("import torch\ndef f(z):\n    return torch.sigmoid(z)", "torch.sigmoid"),
    ("import torch as th\ndef f(z):\n    return th.softmax(z, 1)", "torch.softmax"),
    ("import torch.nn.functional as F\ndef f(z, t):\n    return F.cross_entropy(z, t)", "torch.nn.functional.cross_entropy"),
    ("from torch.autograd import grad\ndef f(l, w):\n    return grad(l, w)", "torch.autograd.grad"),
    ("from torch import nn\ndef f(x):\n    return nn.Linear(2, 2)(x)", "torch.nn.Linear"),
    ("from torch.special import expit\ndef f(z):\n    return expit(z)", "torch.special.expit"),
    ("import torch\ndef f(z):\n    return torch.func.grad(g)(z)", "torch.func.grad"),
    ("def f(z):\n    return z.sigmoid()", "Tensor.sigmoid()"),
    ("def f(z):\n    return z.logsumexp(1)", "Tensor.logsumexp()"),
    ("import torch\ndef f(z):\n    return getattr(torch, 'sigm' 'oid')(z)", "getattr('sigmoid')"),
])
def test_is_each_banned_use_found(source, expected):
    assert names(source, "f") == [expected]


def test_does_a_function_inherit_the_verdict_of_what_it_calls():
    source = ("import torch\ndef helper(z):\n    return torch.sigmoid(z)\n"
              "def g(z):\n    return helper(z) + 1\ndef h(z):\n    return g(z)\n")
    found = scan(source)["h"]
    assert [(v.name, v.via) for v in found] == [("torch.sigmoid", "helper")]
    assert found[0].describe("cell 3, line 2") == "calls helper, which uses torch.sigmoid (cell 3, line 2)"


@pytest.mark.parametrize("source", [
    # a student's own sigmoid shadows torch's
    "from torch import sigmoid\ndef sigmoid(z):\n    return 1 / (1 + (-z).exp())\ndef f(z):\n    return sigmoid(z)",
    # grad-mode switches are fine
    "import torch\ndef f(w):\n    with torch.no_grad():\n        return w * 2",
    # allowed ops
    "import torch\ndef f(z):\n    return torch.logaddexp(torch.zeros_like(z), z) + torch.tanh(z) + z.exp().log1p()",
    # a local variable named like an alias is not the alias
    "import torch.nn.functional as F\ndef f(F):\n    return F.cross_entropy(1)",
    # methods of the student's own class called through self
    "class Layer:\n    def softmax(self, z):\n        return z\n    def f(self, z):\n        return self.softmax(z)\ndef f(z):\n    return Layer().f(z)",
])
def test_is_allowed_code_left_alone(source):
    assert scan(source).get("f", []) == []


# --- routes around the rules (issue 9): each is a rule break that names the call and its line ---

@pytest.mark.parametrize("body, expected", [
    ("import torch\ndef f(z):\n    return torch._C._VariableFunctions.sigmoid(z)",
     "torch._C._VariableFunctions.sigmoid"),
    ("import torch\ndef f(z):\n    return torch.ops.aten.sigmoid(z)", "torch.ops.aten.sigmoid"),
    ("import torch\ndef f(z):\n    return torch._VF.tanh(z)", "torch._VF.tanh"),
    ("import torch\ndef f(z, t):\n    return torch.binary_cross_entropy_with_logits(z, t)",
     "torch.binary_cross_entropy_with_logits"),
    ("import torch\ndef f(w):\n    l = (w * w).sum()\n    l.backward()\n    return w.grad", "Tensor.backward()"),
    ("def f(loss):\n    return loss.grad_fn(1.0)", ".grad_fn"),
    ("def f(z):\n    import importlib\n    return importlib.import_module('torch.autograd.forward_ad')", "importlib"),
    ("def f(z):\n    from torch import sigmoid as s\n    return s(z)", "torch.sigmoid"),
    ("import sys\ndef f(z):\n    return sys.modules['torch'].sigmoid(z)", "sys.modules"),
    ("def f(z):\n    return __import__('tor' + 'ch').sigmoid(z)", "__import__()"),
    ("def f(z):\n    return eval('z.exp()')", "eval()"),
    ("def f(z):\n    return exec('1')", "exec()"),
    ("def f(z, name):\n    return getattr(z, name)()", "getattr() with a computed name"),
    ("import ctypes\ndef f(z):\n    return ctypes.c_int(1)", "ctypes.c_int"),
    ("import gc\ndef f(z):\n    return gc.get_objects()", "gc.get_objects"),
    ("import inspect\ndef f(z):\n    return inspect.currentframe().f_back", "inspect.currentframe"),
    ("def f(e):\n    return e.__traceback__.tb_frame.f_globals", ".tb_frame"),
    ("def f(z):\n    return ().__class__.__base__.__subclasses__()", ".__class__"),
    ("import torch\ndef f(z):\n    return torch.func.grad(lambda x: x.sum())(z)", "torch.func.grad"),
])
def test_is_each_route_around_the_rules_a_rule_break(body, expected):
    found = names(body, "f")
    assert expected in found, found


def test_is_allowed_arithmetic_still_allowed_with_the_wider_table():
    source = ("import math\nimport torch\nfrom torch.utils.data import DataLoader, TensorDataset\n"
              "def f(X, t, g):\n    order = torch.randperm(X.shape[0], generator=g)\n"
              "    batches = DataLoader(TensorDataset(X, t), batch_size=4)\n"
              "    m = X.max(dim=1, keepdim=True).values\n"
              "    return torch.where(X > 0, X, X.exp()) + math.log(2) + X.T @ X + m, getattr(X, 'shape')\n")
    assert scan(source).get("f", []) == []
