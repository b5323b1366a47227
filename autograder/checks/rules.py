"""The rules graded code follows, from one table of banned calls.

The table feeds the static scan below (run by the grader on every submission and by the
notebook's check() on the current definitions), the run-time tripwires in the sandbox
(autograder/sandbox/tripwires.py), the feedback messages and docs/rules.md. The scan
resolves import aliases (``import torch.nn.functional as F``, ``from torch import
sigmoid``) and lists, for each top-level function or class, the banned names it uses and
the ones it inherits from the functions and classes it calls.

Standard library only: the notebook's setup cell ships this module.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Callable

# Why a group of calls is banned, in words that fit what the student used.
GRADIENTS = "gradients must be derived and computed by hand"
LAYERS = "torch.nn and torch.nn.functional do the work the assignment asks you to write yourself"
STABLE = "write sigmoid, softmax and log-sum-exp yourself, in a numerically stable form"


@dataclass(frozen=True)
class Ban:
    """One row of the table. kind "namespace": the module and every name under it; "call": one
    function; "method": a Tensor method, caught on any receiver (z.sigmoid())."""

    name: str
    kind: str
    why: str
    tripwires: tuple[str, ...] = ()  # for a namespace: the entry points the run-time tripwires wrap


BANNED: tuple[Ban, ...] = (
    Ban("torch.autograd", "namespace", GRADIENTS,
        ("torch.autograd.grad", "torch.autograd.backward", "torch.autograd.Function.apply",
         "torch.autograd.functional.*")),
    Ban("torch.func", "namespace", GRADIENTS, ("torch.func.*",)),
    Ban("torch.nn", "namespace", LAYERS, ("torch.nn.functional.*", "torch.nn.Module.__call__")),
    Ban("backward", "method", GRADIENTS),
    Ban("torch.sigmoid", "call", STABLE),
    Ban("torch.sigmoid_", "call", STABLE),
    Ban("torch.softmax", "call", STABLE),
    Ban("torch.log_softmax", "call", STABLE),
    Ban("torch.logsumexp", "call", STABLE),
    Ban("torch.special.expit", "call", STABLE),
    Ban("torch.special.softmax", "call", STABLE),
    Ban("torch.special.log_softmax", "call", STABLE),
    Ban("torch.special.logsumexp", "call", STABLE),
    Ban("sigmoid", "method", STABLE),
    Ban("sigmoid_", "method", STABLE),
    Ban("softmax", "method", STABLE),
    Ban("log_softmax", "method", STABLE),
    Ban("logsumexp", "method", STABLE),
)
# Grad-mode switches live under torch.autograd but compute nothing; using them is fine.
ALLOWED = ("torch.autograd.no_grad", "torch.autograd.enable_grad", "torch.autograd.set_grad_enabled",
           "torch.autograd.inference_mode", "torch.autograd.grad_mode")
METHODS = {b.name: b for b in BANNED if b.kind == "method"}
# Strings that, built into a getattr or __import__, betray a banned name.
_SUSPECT_WORDS = ("autograd", "backward", "sigmoid", "softmax", "logsumexp", "expit", "functional", "func")


def ban_of(dotted: str) -> Ban | None:
    """The row that bans a dotted name such as 'torch.nn.functional.relu' (None: allowed)."""
    if any(dotted == a or dotted.startswith(a + ".") for a in ALLOWED):
        return None
    if dotted.startswith("torch.Tensor."):
        return METHODS.get(dotted[len("torch.Tensor."):])
    for ban in BANNED:
        if ban.kind == "call" and dotted == ban.name:
            return ban
        if ban.kind == "namespace" and (dotted == ban.name or dotted.startswith(ban.name + ".")):
            return ban
    return None


@dataclass(frozen=True)
class Violation:
    name: str               # what was used, e.g. "torch.sigmoid"
    line: int               # line in the scanned source
    why: str                # the table's reason
    via: str | None = None  # the function it was inherited through

    def describe(self, where: str) -> str:
        text = f"{self.name} ({where})"
        return f"calls {self.via}, which uses {text}" if self.via else f"uses {text}"


def rule_message(violations: list[Violation], where: Callable[[int], str]) -> str:
    """The one message for a part that breaks the rules; where(line) names a line for the student."""
    uses = "; ".join(dict.fromkeys(v.describe(where(v.line)) for v in violations))
    reasons = "; ".join(dict.fromkeys(v.why for v in violations))
    return f"breaks the assignment's rules, so this part earns nothing: it {uses} - {reasons}."


def runtime_rule_message(names: list[str]) -> str:
    """The message for banned calls that only the run-time tripwires saw (names as they reported them)."""
    uses = "; ".join(f"calls {n} while running" for n in dict.fromkeys(names))
    reasons = "; ".join(dict.fromkeys((ban_of(n) or _tripwire_ban(n)).why for n in names))
    return f"breaks the assignment's rules, so this part earns nothing: it {uses} - {reasons}."


def _tripwire_ban(label: str) -> Ban:
    """The row behind a tripwire's label such as 'Tensor.backward()' or 'torch.nn.Module.__call__'."""
    method = label.removeprefix("Tensor.").removesuffix("()")
    return METHODS.get(method) or ban_of(label) or BANNED[0]


class ScanError(Exception):
    """The source could not be scanned (too deeply nested to read)."""


def _aliases(body: list[ast.stmt]) -> dict[str, str]:
    """Final binding of each module-level name that refers into torch (last binding wins)."""
    aliases: dict[str, str] = {}
    for stmt in body:
        if isinstance(stmt, ast.Import):
            for a in stmt.names:
                aliases[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
        elif isinstance(stmt, ast.ImportFrom) and stmt.module and stmt.level == 0:
            for a in stmt.names:
                aliases[a.asname or a.name] = f"{stmt.module}.{a.name}"
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            aliases.pop(stmt.name, None)
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            for target in (stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]):
                for n in ast.walk(target):
                    if isinstance(n, ast.Name):
                        aliases.pop(n.id, None)
    return {k: v for k, v in aliases.items() if v == "torch" or v.startswith("torch.")}


def _locals(nodes: list[ast.AST]) -> set[str]:
    return ({n.arg for n in nodes if isinstance(n, ast.arg)}
            | {n.id for n in nodes if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)})


def _dotted(node: ast.AST, aliases: dict[str, str], local: set[str]) -> str | None:
    """'torch.nn.functional.relu' for F.relu; None for anything not rooted in a torch alias.
    A loop, not recursion: an attribute chain thousands deep must not exhaust the stack."""
    attrs = []
    while isinstance(node, ast.Attribute):
        attrs.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name) or node.id in local or node.id not in aliases:
        return None
    return ".".join([aliases[node.id], *reversed(attrs)])


def _analyse(fn: ast.AST, aliases: dict[str, str], top_level: set[str]) -> tuple[list[Violation], set[str]]:
    """(the banned uses in one definition, the top-level names it refers to), in one walk."""
    nodes = list(ast.walk(fn))
    local = _locals(nodes)
    found: dict[str, Violation] = {}
    references: set[str] = set()
    inner_of_chain = {id(n.value) for n in nodes if isinstance(n, ast.Attribute)}
    for node in nodes:
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in top_level \
                and node.id not in local:
            references.add(node.id)
        if isinstance(node, (ast.Name, ast.Attribute)) and id(node) not in inner_of_chain:
            dotted = _dotted(node, aliases, local)
            ban = ban_of(dotted) if dotted else None
            if ban is not None:  # the whole chain is named, e.g. torch.autograd.grad
                found.setdefault(dotted, Violation(dotted, node.lineno, ban.why))
        if not isinstance(node, ast.Call):
            continue
        if isinstance(node.func, ast.Attribute):
            receiver = node.func.value
            if node.func.attr in METHODS and _dotted(receiver, aliases, local) is None \
                    and not (isinstance(receiver, ast.Name) and receiver.id in ("self", "cls")):
                found.setdefault(f".{node.func.attr}()", Violation(f"Tensor.{node.func.attr}()", node.lineno,
                                                                   METHODS[node.func.attr].why))
        elif isinstance(node.func, ast.Name) and node.func.id in ("getattr", "__import__"):
            literals = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            if any(word in lit for lit in literals for word in _SUSPECT_WORDS):
                found.setdefault(f"{node.func.id}:{literals}",
                                 Violation(f"{node.func.id}({', '.join(map(repr, literals))})", node.lineno,
                                           GRADIENTS if "grad" in str(literals) or "backward" in str(literals)
                                           else STABLE))
    return list(found.values()), references


def scan(source: str) -> dict[str, list[Violation]]:
    """Violations per top-level function or class, inherited ones included. ScanError when the
    source is too deeply nested to read."""
    try:
        return _scan(source)
    except RecursionError:
        raise ScanError("the code is nested too deeply to be checked (an expression thousands of levels deep); "
                        "write it in simpler steps") from None


def _scan(source: str) -> dict[str, list[Violation]]:
    tree = ast.parse(source)
    aliases = _aliases(tree.body)
    defs: dict[str, ast.AST] = {}
    for stmt in tree.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defs[stmt.name] = stmt  # a later definition replaces an earlier one
    analysed = {name: _analyse(node, aliases, set(defs)) for name, node in defs.items()}
    result: dict[str, list[Violation]] = {}
    for name in defs:
        found = list(analysed[name][0])
        seen, stack = {name}, sorted(analysed[name][1] - {name})
        while stack:
            callee = stack.pop()
            if callee in seen:
                continue
            seen.add(callee)
            found += [Violation(v.name, v.line, v.why, v.via or callee) for v in analysed[callee][0]]
            stack += sorted(analysed[callee][1])
        if found:
            result[name] = found
    return result
