"""The package's shape: no import cycle between its modules, and no module-level state that changes
at run time unless its line says why (a cache, or a forked process's own state).

Both read the source (ast), so they hold for imports made inside functions too: a lazy import that
only hides a cycle is still a cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from autograder.layout import PACKAGE

_MUTATORS = {"append", "extend", "insert", "add", "update", "setdefault", "pop", "popitem", "clear", "remove",
             "discard", "__setitem__", "__delitem__"}


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The package's modules that ``name`` imports, anywhere in its source."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name in modules)
        elif isinstance(node, ast.ImportFrom) and node.module != "__future__":
            base = node.module or ""
            if node.level:
                parts = package.split(".")[:len(package.split(".")) - (node.level - 1)]
                base = ".".join(parts + ([node.module] if node.module else []))
            for alias in node.names:
                target = f"{base}.{alias.name}"
                out.add(target if target in modules else base)
    # A module's own package runs first anyway: an edge to a parent package is not a cycle.
    return {m for m in out if m in modules and m != name and not name.startswith(m + ".")}


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return cycles


def test_the_cycle_finder_finds_a_cycle():
    assert import_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert import_cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_between_the_kits_modules():
    modules = _modules()
    graph = {name: _imports(name, path, modules) for name, path in modules.items()}
    assert sum(len(targets) for targets in graph.values()) > 100  # the graph was really read
    assert import_cycles(graph) == []


def _changed_at_run_time(tree: ast.Module) -> dict[str, int]:
    """Module-level names that some code rebinds (``global``) or mutates in place -> their defining line."""
    defined: dict[str, int] = {}
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(
            node, ast.AnnAssign) else []
        for target in targets:
            if isinstance(target, ast.Name):
                defined.setdefault(target.id, node.lineno)
    changed: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Global):
            changed.update(node.names)
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and isinstance(node.func.value, ast.Name) and node.func.attr in _MUTATORS):
            changed.add(node.func.value.id)
        elif (isinstance(node, ast.Subscript) and isinstance(node.ctx, (ast.Store, ast.Del))
              and isinstance(node.value, ast.Name)):
            changed.add(node.value.id)
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            changed.add(node.target.id)
    return {name: line for name, line in defined.items() if name in changed}


def test_the_state_finder_sees_rebinding_and_mutation():
    tree = ast.parse("A = []\nB = {}\nC = 0\nD = ()\ndef f():\n    global C\n    C = 1\n    A.append(1)\n"
                     "    B['k'] = 2\n    x = {}\n    x['k'] = 1\n")
    assert _changed_at_run_time(tree) == {"A": 1, "B": 2, "C": 3}


@pytest.mark.parametrize("name", sorted(_modules()))
def test_module_state_that_changes_says_why(name):
    path = _modules()[name]
    lines = path.read_text().splitlines()
    unexplained = [f"{path.relative_to(PACKAGE.parent)}:{line}: {lines[line - 1].strip()}"
                   for _, line in sorted(_changed_at_run_time(ast.parse(path.read_text())).items())
                   if "#" not in lines[line - 1] and not lines[line - 2].lstrip().startswith("#")]
    assert not unexplained, ("module-level state changed at run time, with no comment saying why "
                             "(pass it as a parameter, or say why it is a cache): " + "; ".join(unexplained))
