"""The calls graded code must not make, and why: the reasons behind the rules, and the tripwires.

What graded code MAY use is an allowlist (allowlist.py), enforced on the source by verifier.py. This
table names the calls that do an assignment's work or reach gradients (and the routes around the
rules), each with the reason the feedback gives: the verifier explains a refused name with the row
that covers it, the run-time tripwires in the sandbox (autograder/sandbox/tripwires.py) wrap the
rows marked wired, and docs/rules.md lists the table. Standard library only: the notebook's setup
cell ships this module.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Callable

# Why a group of names is banned, in words that fit what the student used.
GRADIENTS = "gradients must be derived and computed by hand"
LAYERS = "torch.nn and torch.nn.functional do the work the assignment asks you to write yourself"
STABLE = "write sigmoid, softmax and log-sum-exp yourself, in a numerically stable form"
ESCAPE = ("graded code may use tensor arithmetic from torch's public API, math and its own functions only "
          "(no private torch internals, reflection, dynamic imports or code built at run time)")


@dataclass(frozen=True)
class Ban:
    """One row of the table.

    kind "namespace": the module and every name under it; "call": one function; "method": a
    Tensor method or attribute, caught on any receiver (z.sigmoid(), loss.grad_fn); "private":
    any name under the module that starts with an underscore (torch._C); "builtin": a built-in
    function (eval); for "builtin" getattr, only a computed attribute name is banned.
    """

    name: str
    kind: str
    why: str
    tripwires: tuple[str, ...] = ()  # for a namespace: the entry points the run-time tripwires wrap
    wired: bool = True               # False: the scan alone catches it (a property, or used inside torch)


BANNED: tuple[Ban, ...] = (
    Ban("torch.autograd", "namespace", GRADIENTS,
        ("torch.autograd.grad", "torch.autograd.backward", "torch.autograd.Function.apply",
         "torch.autograd.functional.*")),
    Ban("torch.func", "namespace", GRADIENTS, ("torch.func.*",)),
    Ban("torch.nn", "namespace", LAYERS, ("torch.nn.functional.*", "torch.nn.Module.__call__")),
    Ban("backward", "method", GRADIENTS),
    Ban("grad", "method", GRADIENTS, wired=False),
    Ban("grad_fn", "method", GRADIENTS, wired=False),
    Ban("next_functions", "method", GRADIENTS, wired=False),
    Ban("register_hook", "method", GRADIENTS, wired=False),
    Ban("retain_grad", "method", GRADIENTS, wired=False),
    Ban("requires_grad_", "method", GRADIENTS, wired=False),
    Ban("torch.sigmoid", "call", STABLE),
    Ban("torch.sigmoid_", "call", STABLE),
    Ban("torch.softmax", "call", STABLE),
    Ban("torch.log_softmax", "call", STABLE),
    Ban("torch.logsumexp", "call", STABLE),
    Ban("torch.special.expit", "call", STABLE),
    Ban("torch.special.softmax", "call", STABLE),
    Ban("torch.special.log_softmax", "call", STABLE),
    Ban("torch.special.logsumexp", "call", STABLE),
    # torch.nn.functional's losses, also reachable from torch itself under their own names.
    *(Ban(f"torch.{name}", "call", LAYERS) for name in (
        "binary_cross_entropy_with_logits", "cosine_embedding_loss", "ctc_loss", "hinge_embedding_loss",
        "kl_div", "margin_ranking_loss", "poisson_nll_loss", "triplet_margin_loss")),
    Ban("sigmoid", "method", STABLE),
    Ban("sigmoid_", "method", STABLE),
    Ban("softmax", "method", STABLE),
    Ban("log_softmax", "method", STABLE),
    Ban("logsumexp", "method", STABLE),
    Ban("logcumsumexp", "method", STABLE),
    Ban("torch.logcumsumexp", "call", STABLE),
    Ban("expit", "method", STABLE, wired=False),
    # Module names reached from something the scan cannot name ((torch or x).nn.functional ...).
    Ban("nn", "method", LAYERS, wired=False),
    Ban("functional", "method", LAYERS, wired=False),
    Ban("autograd", "method", GRADIENTS, wired=False),
    Ban("torch", "private", ESCAPE, wired=False),
    Ban("torch.ops", "namespace", ESCAPE, wired=False),
    Ban("torch.jit", "namespace", ESCAPE, wired=False),
    Ban("torch.compile", "call", ESCAPE, wired=False),
    Ban("torch.distributions", "namespace", LAYERS, wired=False),
    Ban("torch.masked", "namespace", LAYERS, wired=False),
    Ban("pickle", "namespace", ESCAPE, wired=False),
    Ban("marshal", "namespace", ESCAPE, wired=False),
    Ban("operator.attrgetter", "call", ESCAPE, wired=False),
    Ban("operator.methodcaller", "call", ESCAPE, wired=False),
    Ban("torch.library", "namespace", ESCAPE, wired=False),
    # sys: only what reaches other modules, frames or the import system (sys.stderr.write is fine).
    *(Ban(f"sys.{name}", "namespace", ESCAPE, wired=False) for name in (
        "modules", "meta_path", "path_hooks", "path_importer_cache", "path", "settrace", "setprofile",
        "exc_info", "exception", "last_traceback", "last_value", "last_exc", "excepthook", "unraisablehook",
        "addaudithook", "audit", "getrefcount", "setrecursionlimit", "breakpointhook", "displayhook")),
    Ban("importlib", "namespace", ESCAPE, wired=False),
    Ban("ctypes", "namespace", ESCAPE, wired=False),
    Ban("gc", "namespace", ESCAPE, wired=False),
    Ban("inspect", "namespace", ESCAPE, wired=False),
    Ban("builtins", "namespace", ESCAPE, wired=False),
    Ban("types", "namespace", ESCAPE, wired=False),
    Ban("traceback", "namespace", ESCAPE, wired=False),
    Ban("__import__", "builtin", ESCAPE, wired=False),
    Ban("eval", "builtin", ESCAPE, wired=False),
    Ban("exec", "builtin", ESCAPE, wired=False),
    Ban("compile", "builtin", ESCAPE, wired=False),
    Ban("globals", "builtin", ESCAPE, wired=False),
    Ban("locals", "builtin", ESCAPE, wired=False),
    Ban("vars", "builtin", ESCAPE, wired=False),
    Ban("breakpoint", "builtin", ESCAPE, wired=False),
    Ban("getattr", "builtin", ESCAPE, wired=False),
    Ban("setattr", "builtin", ESCAPE, wired=False),
    Ban("delattr", "builtin", ESCAPE, wired=False),
    Ban("__builtins__", "builtin", ESCAPE, wired=False),
    # Frames, code objects and class internals: the ways from a value to the interpreter's insides.
    *(Ban(attr, "method", ESCAPE, wired=False) for attr in (
        "f_back", "f_globals", "f_locals", "f_builtins", "f_code", "gi_frame", "cr_frame", "ag_frame", "tb_frame",
        "tb_next", "__globals__", "__code__", "__closure__", "__builtins__", "__subclasses__", "__dict__",
        "__class__", "__bases__", "__base__", "__mro__", "__getattribute__", "__self__", "__func__",
        "__defaults__", "__kwdefaults__", "__loader__", "__spec__", "__reduce__", "__reduce_ex__",
        "__torch_function__", "__torch_dispatch__", "__import__", "__wrapped__")),
)
METHODS = {b.name: b for b in BANNED if b.kind == "method"}
BUILTINS = {b.name: b for b in BANNED if b.kind == "builtin"}
PRIVATE = tuple(b for b in BANNED if b.kind == "private")


def ban_of(dotted: str) -> Ban | None:
    """The row that bans a dotted name such as 'torch.nn.functional.relu' (None: allowed)."""
    parts = dotted.split(".")
    for ban in PRIVATE:
        if parts[0] == ban.name and any(p.startswith("_") for p in parts[1:]):
            return ban
    if dotted.startswith("torch.Tensor."):
        method = METHODS.get(parts[2])
        if method is not None:
            return method
    for ban in BANNED:
        if ban.kind == "call" and dotted == ban.name:
            return ban
        if ban.kind == "namespace" and (dotted == ban.name or dotted.startswith(ban.name + ".")):
            return ban
    # sigmoid, softmax and friends wherever a library keeps another copy (torch.sparse.softmax,
    # scipy.special.expit ...)
    last = METHODS.get(parts[-1])
    if last is not None and last.why in (STABLE, GRADIENTS):
        return last
    return None


@dataclass(frozen=True)
class Violation:
    name: str               # what was used, e.g. "torch.sigmoid"
    line: int               # line in the verified source (0: the file as a whole)
    why: str                # the reason, from the table or the allowlist
    via: str | None = None  # the function it was inherited through
    at_load: bool = False   # it runs while the file loads, so it counts against every part

    def describe(self, where: str) -> str:
        text = f"{self.name} ({where})" if self.line else self.name
        if self.at_load:
            return f"runs {text} while the file loads"
        return f"calls {self.via}, which uses {text}" if self.via else f"uses {text}"


def rule_message(violations: list[Violation], where: Callable[[int], str]) -> str:
    """The one message for a part that breaks the rules; where(line) names a line for the student."""
    uses = "; ".join(dict.fromkeys(v.describe(where(v.line)) for v in violations))
    reasons = "; ".join(dict.fromkeys(v.why for v in violations))
    return f"breaks the assignment's rules, so this part earns nothing: it {uses} - {reasons}."


HIDDEN_USE = "makes a banned call while running a hidden case"


def without_hidden_use(message: str) -> str | None:
    """A runtime_rule_message as the public cases alone would have it: None when only a hidden case broke the
    rules (for results that must not tell anything of the hidden cases: the feedback budget)."""
    if f"it {HIDDEN_USE}" in message:
        return None
    return message.replace(f"; {HIDDEN_USE}", "")


def runtime_rule_message(names: list[str], in_hidden: bool = False) -> str:
    """The message for banned calls that only the run-time tripwires saw (names as they reported them);
    in_hidden: one fired in a hidden case, which is said without naming it."""
    uses = [f"calls {n} while running" for n in dict.fromkeys(names)]
    if in_hidden:
        uses.append(HIDDEN_USE)
    reasons = "; ".join(dict.fromkeys(_tripwire_ban(n).why for n in names)) if names else \
        "graded code may not call what the rules ban (docs/rules.md)"
    return f"breaks the assignment's rules, so this part earns nothing: it {'; '.join(uses)} - {reasons}."


def _tripwire_ban(label: str) -> Ban:
    """The row behind a tripwire's label such as 'Tensor.backward()' or 'torch.nn.Module.__call__'."""
    method = label.removeprefix("Tensor.").removesuffix("()")
    return METHODS.get(method) or ban_of(label) or BANNED[0]


class ScanError(Exception):
    """The source could not be verified (too deeply nested to read)."""
