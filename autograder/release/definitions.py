"""The top-level function (and class) definitions of a solution file, as line spans to copy exactly."""

from __future__ import annotations

import ast
from typing import Sequence

_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def definition_spans(tree: ast.Module, lines: Sequence[str]) -> dict[str, tuple[int, int]]:
    """Name -> (first line, last line), 1-based and inclusive, of each top-level def or class of the file
    whose parsed text is ``tree`` and whose lines are ``lines``.

    The first line is that of the first decorator, and the last one takes in the indented
    comments after the last statement (``ast`` stops before them; an END SOLUTION marker
    closing the body is one), so a definition is copied whole.
    """
    spans: dict[str, tuple[int, int]] = {}
    for node in tree.body:
        if isinstance(node, _DEFINITIONS):
            first = min([node.lineno] + [d.lineno for d in node.decorator_list])
            spans[node.name] = (first, _last_body_line(lines, node.end_lineno or node.lineno))
    return spans


def _last_body_line(lines: Sequence[str], last_statement: int) -> int:
    """The last line of the trailing indented comments after ``last_statement`` (1-based)."""
    last = last_statement
    for number in range(last_statement + 1, len(lines) + 1):
        line = lines[number - 1]
        if not line.strip():
            continue
        if line[:1] in (" ", "\t") and line.strip().startswith("#"):
            last = number
            continue
        break
    return last
