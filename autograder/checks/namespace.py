"""The namespace the student's functions run in: the taken statements executed, one by one, in a fresh module.

The grader's sandboxed child builds it from the taken source (load_module); the notebook's
check() and the check script build it from the same statements (load_statements), so a
function sees exactly the globals it will see when graded, and no others. A statement that
fails is noted and skipped; loading goes on. Imports of modules that are not loaded yet are
bound to stand-ins that import on first use (a notebook imports plotting and data libraries
that graded functions never touch). Standard library only: the notebook's setup cell ships it.
"""

from __future__ import annotations

import __future__
import ast
import functools
import importlib
import sys
import traceback
import types
from typing import Any, Iterable

SUBMISSION_FILENAME = "submission.py"
MODULE_NAME = "submission"


class _LazyModule(types.ModuleType):
    """Stands for a module not yet imported; imports it on first use.

    Notebooks import plotting and data libraries that graded functions never
    touch; importing them for real in every child would cost seconds a part.
    """

    def __init__(self, name: str, submodules: tuple[str, ...] = ()) -> None:
        super().__init__(name)
        self.__dict__["_kit_target"] = (name, submodules)

    def _kit_load(self) -> Any:
        name, submodules = self.__dict__["_kit_target"]
        for sub in submodules:
            importlib.import_module(sub)
        return importlib.import_module(name)

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._kit_load(), attr)


class _LazyFrom:
    """``from module import name`` for a module not yet imported: resolved on first use."""

    def __init__(self, module: str, name: str) -> None:
        self._kit_target = (module, name)

    def _kit_load(self) -> Any:
        module, name = self._kit_target
        return getattr(importlib.import_module(module), name)

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._kit_load(), attr)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._kit_load()(*args, **kwargs)


def _bind_lazily(stmt: ast.stmt, namespace: dict) -> bool:
    """Bind an import of a module that is not loaded yet to lazy stand-ins; False to import now."""
    if isinstance(stmt, ast.Import):
        if all(a.name.split(".")[0] in sys.modules for a in stmt.names):
            return False
        for a in stmt.names:
            if a.asname:
                namespace[a.asname] = _LazyModule(a.name)
            else:
                root = a.name.split(".")[0]
                namespace[root] = _LazyModule(root, (a.name,) if a.name != root else ())
        return True
    if isinstance(stmt, ast.ImportFrom) and stmt.level == 0 and stmt.module and stmt.module != "__future__":
        if stmt.module.split(".")[0] in sys.modules or any(a.name == "*" for a in stmt.names):
            return False
        for a in stmt.names:
            namespace[a.asname or a.name] = _LazyFrom(stmt.module, a.name)
        return True
    return False


def _future_flags(body: Iterable[ast.stmt]) -> int:
    """A future import applies to every statement, as it would in the student's file."""
    flags = 0
    for stmt in body:
        if isinstance(stmt, ast.ImportFrom) and stmt.module == "__future__":
            for a in stmt.names:
                feature = getattr(__future__, a.name, None)
                flags |= getattr(feature, "compiler_flag", 0)
    return flags


def _compiled(stmt: ast.stmt, flags: int) -> types.CodeType:
    return compile(ast.Module([stmt], []), SUBMISSION_FILENAME, "exec", flags=flags, dont_inherit=True)


def load_module(source: str) -> tuple[types.ModuleType, list[str]]:
    """Execute the taken source's statements one by one; one that fails is noted and skipped (the grader's child)."""
    body = ast.parse(source, SUBMISSION_FILENAME).body
    flags = _future_flags(body)
    return _execute([(stmt, functools.partial(_compiled, stmt, flags)) for stmt in body])


def load_statements(statements: list[tuple[str, int]], source: str) -> tuple[types.ModuleType, list[str]]:
    """load_module(source) for source's statements given one by one: (text, source's line of its first line).

    The same module as load_module, with the same line numbers; each statement is parsed and
    compiled once per (text, line) (check() loads the same ones again and again).
    """
    try:
        parsed = [_parsed(text, first) for text, first in statements]
    except (SyntaxError, ValueError, RecursionError, MemoryError):  # not one statement each: as the child does
        return load_module(source)
    flags = _future_flags(stmt for stmt, _ in parsed)
    return _execute([(stmt, functools.partial(_code, text, first, flags))
                     for (stmt, _), (text, first) in zip(parsed, statements)])


@functools.lru_cache(maxsize=4096)
def _parsed(text: str, first: int) -> tuple[ast.stmt, None]:
    tree = ast.parse(text, SUBMISSION_FILENAME)
    ast.increment_lineno(tree, first - 1)
    (stmt,) = tree.body
    return stmt, None


@functools.lru_cache(maxsize=4096)
def _code(text: str, first: int, flags: int) -> types.CodeType:
    return _compiled(_parsed(text, first)[0], flags)


def _execute(statements: list[tuple[ast.stmt, Any]]) -> tuple[types.ModuleType, list[str]]:
    module = types.ModuleType(MODULE_NAME)
    module.__file__ = SUBMISSION_FILENAME
    sys.modules[MODULE_NAME] = module  # what a dataclass or a pickle looks its module up in
    notes = []
    for stmt, code in statements:
        try:
            if _bind_lazily(stmt, module.__dict__):
                continue
            exec(code(), module.__dict__)
        except BaseException as e:  # SystemExit included: loading must go on
            notes.append(f"line {stmt.lineno}: {type(e).__name__}: {short(str(e))} (statement skipped)")
            for name in _bound_names(stmt):
                # A statement that fails binds nothing, not "the earlier binding stays": the verifier judged
                # the last definition of each name, so an earlier one must not come back in its place.
                module.__dict__.pop(name, None)
    return module, notes


def _bound_names(stmt: ast.stmt) -> list[str]:
    """The top-level names a taken statement binds (a def's, a class's, an import's, an assignment's)."""
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [stmt.name]
    if isinstance(stmt, (ast.Import, ast.ImportFrom)):
        return [(a.asname or a.name.split(".")[0]) for a in stmt.names if a.name != "*"]
    targets = getattr(stmt, "targets", None) or [getattr(stmt, "target", None)]
    return [n.id for t in targets if t is not None for n in ast.walk(t) if isinstance(n, ast.Name)]


def short(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "..."


def innermost(exc: BaseException) -> str | None:
    """The innermost line of the student's own code in a traceback: 'line N in NAME' (N in the taken source)."""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename == SUBMISSION_FILENAME:
            return f"line {frame.lineno} in {frame.name}"
    return None
