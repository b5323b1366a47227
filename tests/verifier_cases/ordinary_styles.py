CASES = {
"gen_send": '''
def running_mean():
    total, n = 0.0, 0
    x = yield
    while True:
        total += x; n += 1
        x = yield total / n
def f(z):
    g = running_mean()
    next(g)
    return g.send(float(z.sum()))
''',
"max_values": '''
import torch
def f(z):
    m = z.max(dim=1, keepdim=True).values
    e = torch.exp(z - m)
    return e / e.sum(dim=1, keepdim=True)
''',
"no_grad_decorator": '''
import torch
@torch.no_grad()
def f(z):
    return z * 2
''',
"finfo": '''
import torch
def f(z):
    return torch.clamp(z, min=torch.finfo(z.dtype).eps)
''',
"dataclass_cfg": '''
from dataclasses import dataclass, field
import torch
@dataclass
class Config:
    lr: float = 0.1
    sizes: list = field(default_factory=list)
def f(z):
    c = Config()
    return z * c.lr
''',
"generator_seed": '''
import torch
def f(z):
    g = torch.Generator().manual_seed(0)
    return z + torch.randn(z.shape, generator=g)
''',
"onehot_eye": '''
import torch
def f(z):
    y = torch.zeros(z.shape[0], dtype=torch.long)
    return torch.eye(z.shape[1])[y]
''',
"exception_chain": '''
def f(z):
    try:
        return z / 0
    except ZeroDivisionError as e:
        raise ValueError("bad") from e
''',
"tqdm_loop": '''
from tqdm.auto import tqdm
def f(z):
    bar = tqdm(range(3), desc="train", leave=False)
    for i in bar:
        bar.set_postfix(loss=float(i))
    return z
''',
"numpy_roundtrip": '''
import numpy as np
import torch
def f(z):
    a = z.detach().cpu().numpy().astype(np.float64)
    return torch.from_numpy(a)
''',
"typed_params": '''
from typing import Dict, Optional
import torch
Params = Dict[str, torch.Tensor]
def init(d: int, seed: Optional[int] = None) -> Params:
    return {"W": torch.zeros(d, 1), "b": torch.zeros(1)}
def f(z):
    p = init(z.shape[1])
    return z @ p["W"] + p["b"]
''',
"enum_act": '''
import enum
import torch
class Act(enum.Enum):
    RELU = "relu"
    TANH = "tanh"
def f(z, act=Act.RELU):
    if act is Act.RELU:
        return torch.clamp(z, min=0)
    return torch.tanh(z)
''',
"namedtuple_cache": '''
from collections import namedtuple
import torch
Cache = namedtuple("Cache", ["x", "h"])
def f(z):
    c = Cache(z, torch.tanh(z))
    return c.h
''',
"manual_sgd": '''
import torch
def f(z):
    w = torch.zeros(z.shape[1], 1)
    for _ in range(3):
        pred = z @ w
        grad_w = z.T @ (pred - 1) / z.shape[0]
        w -= 0.1 * grad_w
    return w
''',
"staticmethod_and_property": '''
import torch
class Lin:
    def __init__(self, d):
        self.W = torch.zeros(d, 1)
    @property
    def n_params(self):
        return self.W.numel()
    @staticmethod
    def relu(x):
        return x.clamp(min=0)
    def __call__(self, x):
        return self.relu(x @ self.W)
def f(z):
    return Lin(z.shape[1])(z)
''',
"isinstance_tuple": '''
import torch
import numpy as np
def f(z):
    if isinstance(z, (np.ndarray, list)):
        z = torch.as_tensor(z)
    return z.float()
''',
"print_stderr": '''
import sys
def f(z):
    print("shape", tuple(z.shape), file=sys.stderr)
    return z
''',
"logsumexp_own_function": '''
import torch
def logsumexp(z):
    m = z.max(dim=1, keepdim=True).values
    return m + torch.log(torch.exp(z - m).sum(dim=1, keepdim=True))
def f(z):
    return z - logsumexp(z)
''',
"torch_split_unpack": '''
import torch
def f(z):
    a, b = torch.split(z, [1, 2], dim=1)
    *rest, last = z.unbind(1)
    return a + last.unsqueeze(1)
''',
"dict_comprehension_class_const": '''
import torch
class Net:
    SIZES = [3, 4]
    def __init__(self):
        self.params = {f"W{i}": torch.zeros(a, b) for i, (a, b) in enumerate(zip(self.SIZES, self.SIZES[1:]))}
def f(z):
    return z @ Net().params["W0"]
''',
"time_it": '''
import time
def f(z):
    t0 = time.perf_counter()
    y = z * 2
    elapsed = time.perf_counter() - t0
    return y
''',
"super_init_dataset": '''
import torch
from torch.utils.data import Dataset, DataLoader
class DS(Dataset):
    def __init__(self, x):
        super().__init__()
        self.x = x
    def __len__(self):
        return len(self.x)
    def __getitem__(self, i):
        return self.x[i]
def f(z):
    return torch.cat([b for b in DataLoader(DS(z), batch_size=1, shuffle=False)])
''',
"hasattr_dtype": '''
import torch
def f(z):
    if not torch.is_tensor(z):
        z = torch.tensor(z)
    return z.to(dtype=torch.float32)
''',
"where_clamp": '''
import torch
def f(z):
    return torch.where(z > 0, z, torch.zeros_like(z))
''',
"exception_str": '''
def f(z):
    try:
        z.reshape(7, 7)
    except RuntimeError as err:
        msg = str(err)
    return z
''',
"lambda_sort": '''
def f(z):
    rows = sorted(range(z.shape[0]), key=lambda i: float(z[i].sum()))
    return z[rows]
''',
"abstract_layer": '''
import abc
import torch
class Layer(abc.ABC):
    @abc.abstractmethod
    def forward(self, x): ...
    @abc.abstractmethod
    def backward(self, g): ...
class ReLU(Layer):
    def forward(self, x):
        self.mask = x > 0
        return x * self.mask
    def backward(self, g):
        return g * self.mask
def f(z):
    layer = ReLU()
    out = layer.forward(z)
    return layer.backward(torch.ones_like(out))
''',
"math_erf_vectorize": '''
import math
import torch
def f(z):
    return 0.5 * z * (1 + torch.erf(z / math.sqrt(2)))
''',
"itertools_accumulate": '''
import itertools
def f(z):
    return list(itertools.accumulate([1, 2, 3]))
''',
"typing_namedtuple_class": '''
from typing import NamedTuple
import torch
class Out(NamedTuple):
    logits: torch.Tensor
    probs: torch.Tensor
def f(z):
    e = torch.exp(z - z.amax(dim=1, keepdim=True))
    return Out(z, e / e.sum(1, keepdim=True)).probs
''',
"default_dict_counter": '''
from collections import Counter, defaultdict
def f(z):
    c = Counter(z.argmax(dim=1).tolist())
    d = defaultdict(list)
    d["a"].append(1)
    return c.most_common(1)
''',
"self_grad_attribute_store": '''
import torch
class Param:
    def __init__(self, v):
        self.value = v
        self.grad = torch.zeros_like(v)
def f(z):
    p = Param(z)
    p.grad += 1
    return p.grad
''',
"loss_history_plot_skip": '''
def f(z):
    history = []
    history.append(float(z.mean()))
    return history
''',
"torch_tensor_type_check": '''
import torch
def f(z):
    assert z.dtype in (torch.float32, torch.float64), f"bad dtype {z.dtype}"
    return z.type(torch.float64)
''',
"reversed_layers": '''
def f(z):
    layers = [1, 2, 3]
    for i, l in reversed(list(enumerate(layers))):
        z = z * l
    return z
''',
"with_inference_mode": '''
import torch
def f(z):
    with torch.inference_mode():
        return z * 2
''',
"str_format_method": '''
def f(z):
    s = "{:.3f}".format(float(z.sum()))
    return z
''',
"class_var_annotation": '''
from typing import ClassVar
class C:
    count: ClassVar[int] = 0
def f(z):
    C.count += 1
    return z
''',
}
