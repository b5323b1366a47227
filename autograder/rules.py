"""Static scan for the calls graded code must not make (CURRICULUM.md, "Rules").

Reads the taken source, resolves import aliases (``import torch.nn.functional as F``,
``from torch import sigmoid``), and lists, for each top-level function, the banned
names it uses and the ones it inherits from the functions and classes it calls.
The run-time tripwires (sandbox/tripwires.py) catch what reading cannot, such as
names built from strings.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

BANNED_PREFIXES = ("torch.autograd", "torch.func", "torch.nn")
BANNED_EXACT = {
    "torch.softmax", "torch.log_softmax", "torch.logsumexp", "torch.sigmoid", "torch.sigmoid_",
    "torch.special.expit", "torch.special.softmax", "torch.special.log_softmax", "torch.special.logsumexp",
    "torch.Tensor.sigmoid", "torch.Tensor.sigmoid_", "torch.Tensor.softmax", "torch.Tensor.log_softmax",
    "torch.Tensor.logsumexp", "torch.Tensor.backward",
}
# Grad-mode switches live under torch.autograd but compute nothing; using them is fine.
ALLOWED = {"torch.autograd.no_grad", "torch.autograd.enable_grad", "torch.autograd.set_grad_enabled",
           "torch.autograd.inference_mode", "torch.autograd.grad_mode"}
METHOD_TWINS = {"sigmoid", "sigmoid_", "softmax", "log_softmax", "logsumexp"}
_SUSPECT_WORDS = ("autograd", "backward", "sigmoid", "softmax", "logsumexp", "expit", "functional", "func")


@dataclass(frozen=True)
class Violation:
    name: str          # what was used, e.g. "torch.sigmoid"
    line: int          # line in the taken source
    via: str | None = None  # the graded/helper function it was inherited through

    def describe(self, where: str) -> str:
        text = f"{self.name} ({where})"
        return f"calls {self.via}, which uses {text}" if self.via else f"uses {text}"


def banned(dotted: str) -> bool:
    if any(dotted == a or dotted.startswith(a + ".") for a in ALLOWED):
        return False
    return dotted in BANNED_EXACT or any(dotted == p or dotted.startswith(p + ".") for p in BANNED_PREFIXES)


def _aliases(body: list[ast.stmt]) -> dict[str, str]:
    """Final binding of each module-level name that refers into torch (last binding wins)."""
    aliases: dict[str, str] = {}
    for stmt in body:
        if isinstance(stmt, ast.Import):
            for a in stmt.names:
                if a.asname:
                    aliases[a.asname] = a.name
                else:
                    root = a.name.split(".")[0]
                    aliases[root] = root
        elif isinstance(stmt, ast.ImportFrom) and stmt.module and stmt.level == 0:
            for a in stmt.names:
                aliases[a.asname or a.name] = f"{stmt.module}.{a.name}"
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            aliases.pop(stmt.name, None)
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for t in targets:
                for n in ast.walk(t):
                    if isinstance(n, ast.Name):
                        aliases.pop(n.id, None)
    return {k: v for k, v in aliases.items() if v == "torch" or v.startswith("torch.")}


def _locals(nodes: list[ast.AST]) -> set[str]:
    names: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
    return names


def _dotted(node: ast.AST, aliases: dict[str, str], local: set[str]) -> str | None:
    if isinstance(node, ast.Name):
        return aliases.get(node.id) if node.id not in local else None
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value, aliases, local)
        return f"{base}.{node.attr}" if base else None
    return None


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
            # report the longest banned prefix of the chain, e.g. torch.autograd.grad
            if dotted and banned(dotted):
                found.setdefault(dotted, Violation(dotted, node.lineno))
        if not isinstance(node, ast.Call):
            continue
        if isinstance(node.func, ast.Attribute):
            receiver = node.func.value
            if node.func.attr in METHOD_TWINS and _dotted(receiver, aliases, local) is None \
                    and not (isinstance(receiver, ast.Name) and receiver.id in ("self", "cls")):
                found.setdefault(f".{node.func.attr}()", Violation(f"Tensor.{node.func.attr}()", node.lineno))
        elif isinstance(node.func, ast.Name) and node.func.id in ("getattr", "__import__"):
            literals = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            if any(word in lit for lit in literals for word in _SUSPECT_WORDS):
                found.setdefault(f"{node.func.id}:{literals}",
                                 Violation(f"{node.func.id}({', '.join(map(repr, literals))})", node.lineno))
    return list(found.values()), references


def scan(source: str) -> dict[str, list[Violation]]:
    """Violations per top-level function or class, inherited ones included."""
    tree = ast.parse(source)
    aliases = _aliases(tree.body)
    defs: dict[str, ast.AST] = {}
    for stmt in tree.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defs[stmt.name] = stmt  # a later definition replaces an earlier one
    analysed = {name: _analyse(node, aliases, set(defs)) for name, node in defs.items()}
    direct = {name: found for name, (found, _) in analysed.items()}
    calls = {name: refs - {name} for name, (_, refs) in analysed.items()}
    result: dict[str, list[Violation]] = {}
    for name in defs:
        found = list(direct[name])
        seen, stack = {name}, sorted(calls[name])
        while stack:
            callee = stack.pop()
            if callee in seen:
                continue
            seen.add(callee)
            found += [Violation(v.name, v.line, v.via or callee) for v in direct[callee]]
            stack += sorted(calls[callee])
        if found:
            result[name] = found
    return result
