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
