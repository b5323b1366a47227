"""The rules graded code follows, from one table of banned calls.

The table feeds the static scan below (run by the grader on every submission and by the
notebook's check() on the current definitions), the run-time tripwires in the sandbox
(autograder/sandbox/tripwires.py), the feedback messages and docs/rules.md. Graded code may
use tensor arithmetic from torch's public API, math and its own functions; the table names
what it may not: the calls that do the assignment's work, and the routes around the rules
(private torch internals, reflection, dynamic imports, frames, autograd's graph).

The scan resolves import aliases (``import torch.nn.functional as F``, ``from torch import
sigmoid``, imports inside a function) and lists, for each top-level function or class, the
banned names it uses and the ones it inherits from the functions and classes it calls.
Standard library only: the notebook's setup cell ships this module.
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
    Ban("torch.library", "namespace", ESCAPE, wired=False),
    Ban("torch.utils", "namespace", ESCAPE, wired=False),
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
# Grad-mode switches live under torch.autograd but compute nothing; torch.utils.data only batches
# and shuffles (a training loop may use its DataLoader). Using them is fine.
ALLOWED = ("torch.autograd.no_grad", "torch.autograd.enable_grad", "torch.autograd.set_grad_enabled",
           "torch.autograd.inference_mode", "torch.autograd.grad_mode", "torch.utils.data")
METHODS = {b.name: b for b in BANNED if b.kind == "method"}
BUILTINS = {b.name: b for b in BANNED if b.kind == "builtin"}
PRIVATE = tuple(b for b in BANNED if b.kind == "private")
_ATTRIBUTES = {"grad", "grad_fn", "next_functions"}  # banned Tensor attributes that are not methods
# Strings that, given to getattr or __import__, betray a banned name.
_SUSPECT_WORDS = ("autograd", "backward", "sigmoid", "softmax", "logsumexp", "expit", "functional", "func")


def ban_of(dotted: str) -> Ban | None:
    """The row that bans a dotted name such as 'torch.nn.functional.relu' (None: allowed)."""
    parts = dotted.split(".")
    for ban in PRIVATE:
        if parts[0] == ban.name and any(p.startswith("_") for p in parts[1:]):
            return ban
    if any(dotted == a or (dotted.startswith(a + ".") and "torch" not in dotted[len(a) + 1:].split("."))
           for a in ALLOWED):
        return None
    if dotted.startswith("torch.Tensor."):
        method = METHODS.get(parts[2])
        if method is not None:
            return method
    for ban in BANNED:
        if ban.kind == "call" and dotted == ban.name:
            return ban
        if ban.kind == "namespace" and (dotted == ban.name or dotted.startswith(ban.name + ".")):
            return ban
    # sigmoid, softmax and friends wherever torch keeps another copy (torch.sparse.softmax ...)
    last = METHODS.get(parts[-1])
    if parts[0] == "torch" and last is not None and last.why in (STABLE, GRADIENTS):
        return last
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
    reasons = "; ".join(dict.fromkeys(_tripwire_ban(n).why for n in names))
    return f"breaks the assignment's rules, so this part earns nothing: it {uses} - {reasons}."


def _tripwire_ban(label: str) -> Ban:
    """The row behind a tripwire's label such as 'Tensor.backward()' or 'torch.nn.Module.__call__'."""
    method = label.removeprefix("Tensor.").removesuffix("()")
    return METHODS.get(method) or ban_of(label) or BANNED[0]


class ScanError(Exception):
    """The source could not be scanned (too deeply nested to read)."""


def _import_aliases(stmt: ast.stmt) -> dict[str, str]:
    """name -> dotted module path for one import statement."""
    if isinstance(stmt, ast.Import):
        return {(a.asname or a.name.split(".")[0]): (a.name if a.asname else a.name.split(".")[0])
                for a in stmt.names}
    if isinstance(stmt, ast.ImportFrom) and stmt.module and stmt.level == 0:
        return {(a.asname or a.name): f"{stmt.module}.{a.name}" for a in stmt.names if a.name != "*"}
    return {}


def _aliases(body: list[ast.stmt]) -> dict[str, str]:
    """Final binding of each module-level name bound by an import, or by an assignment of an imported
    name (``T = torch``); last binding wins."""
    aliases: dict[str, str] = {}
    for stmt in body:
        aliases.update(_import_aliases(stmt))
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            aliases.pop(stmt.name, None)
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            _bind(stmt, aliases, set())
    return aliases


def _bind(stmt: ast.stmt, aliases: dict[str, str], local: set[str]) -> None:
    """An assignment: a name given an imported dotted value becomes an alias; any other loses it."""
    targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
    value = getattr(stmt, "value", None)
    dotted = _dotted(value, aliases, local) if value is not None and not isinstance(stmt, ast.AugAssign) else None
    for target in targets:
        for n in ast.walk(target):
            if isinstance(n, ast.Name):
                if dotted is not None and isinstance(target, ast.Name):
                    aliases[n.id] = dotted
                else:
                    aliases.pop(n.id, None)


def _locals(nodes: list[ast.AST]) -> set[str]:
    return ({n.arg for n in nodes if isinstance(n, ast.arg)}
            | {n.id for n in nodes if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)})


def _dotted(node: ast.AST, aliases: dict[str, str], local: set[str]) -> str | None:
    """'torch.nn.functional.relu' for F.relu; None for anything not rooted in an imported name.
    A loop, not recursion: an attribute chain thousands deep must not exhaust the stack."""
    attrs = []
    while isinstance(node, ast.Attribute):
        attrs.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name) or node.id in local or node.id not in aliases:
        return None
    return ".".join([aliases[node.id], *reversed(attrs)])


def _function_aliases(fn: ast.AST, nodes: list[ast.AST], module_aliases: dict[str, str]
                      ) -> tuple[dict[str, str], set[str]]:
    """(aliases, other local names) of one definition: imports inside it, local names assigned an
    imported value (``T = torch``) and parameters defaulting to one (``def f(z, T=torch)``)."""
    local = _locals(nodes)
    aliases = {k: v for k, v in module_aliases.items() if k not in local}  # a parameter shadows an import
    own: set[str] = set()  # local names bound to an imported value inside this definition
    for node in nodes:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            aliases.update(_import_aliases(node))
    for _ in range(2):  # twice: an alias of an alias
        for node in nodes:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                dotted = _dotted(node.value, aliases, local - own - {node.targets[0].id})
                if dotted is not None:
                    aliases[node.targets[0].id] = dotted
                    own.add(node.targets[0].id)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                params = [*node.args.posonlyargs, *node.args.args]
                pairs = list(zip(params[len(params) - len(node.args.defaults):], node.args.defaults))
                pairs += [(a, d) for a, d in zip(node.args.kwonlyargs, node.args.kw_defaults) if d is not None]
                for arg, default in pairs:
                    dotted = _dotted(default, aliases, local - own - {arg.arg})
                    if dotted is not None:
                        aliases[arg.arg] = dotted
                        own.add(arg.arg)
    return aliases, local - own


def _method_receivers(fn: ast.AST) -> set[str]:
    """The first parameter of each method of a class (self, cls): its attributes are the class's own."""
    if not isinstance(fn, ast.ClassDef):
        return set()
    return {m.args.args[0].arg for m in fn.body if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef))
            and m.args.args}


def _analyse(fn: ast.AST, module_aliases: dict[str, str], top_level: set[str]
             ) -> tuple[list[Violation], set[str]]:
    """(the banned uses in one definition or module-level binding, the top-level names it refers to)."""
    nodes = list(ast.walk(fn))
    aliases, local = _function_aliases(fn, nodes, module_aliases)
    own = _method_receivers(fn)
    found: dict[str, Violation] = {}
    references: set[str] = set()
    inner_of_chain = {id(n.value) for n in nodes if isinstance(n, ast.Attribute)}

    def add(name: str, line: int, why: str) -> None:
        found.setdefault(name, Violation(name, line, why))

    for node in nodes:
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id not in local:
            if node.id in top_level:
                references.add(node.id)
            elif node.id in BUILTINS and node.id not in aliases and node.id != "getattr":
                add(f"{node.id}()", node.lineno, BUILTINS[node.id].why)
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for dotted in _import_aliases(node).values():
                ban = ban_of(dotted)
                if ban is not None:
                    add(dotted, node.lineno, ban.why)
            if isinstance(node, ast.ImportFrom) and (node.level or any(a.name == "*" for a in node.names)):
                add("a relative import" if node.level else f"from {node.module} import *", node.lineno, ESCAPE)
        if isinstance(node, (ast.Name, ast.Attribute)) and id(node) not in inner_of_chain:
            dotted = _dotted(node, aliases, local)
            ban = ban_of(dotted) if dotted else None
            if ban is not None:  # the whole chain is named, e.g. torch.autograd.grad
                add(dotted, node.lineno, ban.why)
        if isinstance(node, ast.Attribute) and _dotted(node.value, aliases, local) is None:
            receiver = node.value
            if isinstance(receiver, ast.Name) and receiver.id in own:
                continue
            if node.attr in METHODS:
                shown = f".{node.attr}" if node.attr in _ATTRIBUTES or METHODS[node.attr].why != STABLE \
                    or node.attr in ("expit",) else f"Tensor.{node.attr}()"
                if node.attr == "backward":
                    shown = "Tensor.backward()"
                add(shown, node.lineno, METHODS[node.attr].why)
            elif node.attr.startswith("_") and not (node.attr.startswith("__") and node.attr.endswith("__")):
                add(f".{node.attr}", node.lineno, ESCAPE)  # a private name of something: not the public API
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr" \
                and "getattr" not in local and "getattr" not in aliases:
            _getattr(node, aliases, local, add)
    return list(found.values()), references


def _getattr(node: ast.Call, aliases: dict[str, str], local: set[str], add: Callable[[str, int, str], None]) -> None:
    """getattr with a literal name is an attribute access; with a computed one it is a way around the rules."""
    if len(node.args) < 2 or not (isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str)):
        add("getattr() with a computed name", node.lineno, ESCAPE)
        return
    name = node.args[1].value
    owner = _dotted(node.args[0], aliases, local)
    ban = ban_of(f"{owner}.{name}") if owner else METHODS.get(name)
    if ban is None and name.startswith("_") and not (name.startswith("__") and name.endswith("__")):
        ban = BUILTINS["getattr"]
    if ban is None and any(word in name for word in _SUSPECT_WORDS):
        ban = Ban(name, "call", GRADIENTS if "grad" in name or "backward" in name else STABLE)
    if ban is not None:
        add(f"getattr({name!r})", node.lineno, ban.why)


MAX_LISTED = 20  # violations listed per function: a thousand helpers must not make a thousand lines


def scan(source: str, names: "set[str] | list[str] | None" = None) -> dict[str, list[Violation]]:
    """Violations per top-level function or class (only those in names, when given), inherited ones
    included. ScanError when the source is too deeply nested to read."""
    try:
        return _scan(source, names)
    except RecursionError:
        raise ScanError("the code is nested too deeply to be checked (an expression thousands of levels deep); "
                        "write it in simpler steps") from None


def _scan(source: str, names: "set[str] | list[str] | None") -> dict[str, list[Violation]]:
    tree = ast.parse(source)
    aliases = _aliases(tree.body)
    # Every top-level binding is a definition the functions may refer to: a def, a class, or an
    # assignment (a later binding of a name replaces an earlier one, as it does when the code runs).
    defs: dict[str, ast.AST] = {}
    everywhere: list[Violation] = []
    for stmt in tree.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defs[stmt.name] = stmt
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for target in targets:
                for n in ast.walk(target):
                    if isinstance(n, ast.Name):
                        defs[n.id] = stmt
        elif isinstance(stmt, ast.ImportFrom) and any(a.name == "*" for a in stmt.names) and stmt.module:
            why = ESCAPE if stmt.module.split(".")[0] in ("torch", "sys", "builtins", "importlib") else None
            if why is not None:  # names nobody can see were brought in: every function may be using them
                everywhere.append(Violation(f"from {stmt.module} import *", stmt.lineno, why))
    cache: dict[int, tuple[list[Violation], set[str]]] = {}

    def analysed(name: str) -> tuple[list[Violation], set[str]]:
        node = defs[name]
        if id(node) not in cache:
            cache[id(node)] = _analyse(node, aliases, set(defs))
        return cache[id(node)]

    result: dict[str, list[Violation]] = {}
    wanted = [n for n in (names if names is not None else defs) if n in defs]
    for name in wanted:
        direct, refs = analysed(name)
        found = list(everywhere) + list(direct)
        seen, stack = {name}, sorted(refs - {name})
        while stack and len(found) < MAX_LISTED:
            callee = stack.pop()
            if callee in seen:
                continue
            seen.add(callee)
            callee_found, callee_refs = analysed(callee)
            found += [Violation(v.name, v.line, v.why, v.via or callee) for v in callee_found]
            stack += sorted(callee_refs - seen)
        if found:
            result[name] = found[:MAX_LISTED]
    return result
