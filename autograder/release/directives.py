"""Kit directives in a notebook source: code cells that consist of one '# kit: ...' line.

``# kit: setup`` marks where the setup cell goes; ``# kit: function NAME [NAME ...]`` where
those solution functions go. Anything else after ``# kit:`` is a mistake, reported with the
notebook source file and line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import KitError

_DIRECTIVE = re.compile(r"^#\s*kit:\s*(.*?)\s*$")
_NAME = re.compile(r"^[A-Za-z_]\w*$")
USAGE = "'# kit: setup' or '# kit: function NAME [NAME ...]'"


@dataclass(frozen=True)
class Directive:
    kind: str               # "setup" or "function"
    names: tuple[str, ...]  # function names; empty for setup
    line: int               # 1-based line in the notebook source


def is_directive_line(line: str) -> bool:
    return _DIRECTIVE.match(line.strip()) is not None


def source_line_of(text_lines: list[str], start: int, wanted: str) -> int:
    """1-based number of the first line at or after ``start`` whose stripped text is ``wanted``.

    jupytext does not keep line numbers, so a cell's directive is found again in the source.
    """
    for number in range(max(start, 1), len(text_lines) + 1):
        if text_lines[number - 1].strip() == wanted:
            return number
    return max(start, 1)


def parse_directive(cell_source: str, *, path: str, line: int) -> Directive | None:
    """The directive a code cell holds, None for an ordinary cell; KitError on a malformed one."""
    lines = [ln for ln in cell_source.strip().splitlines()]
    hits = [i for i, ln in enumerate(lines) if is_directive_line(ln)]
    if not hits:
        return None
    if len(lines) != 1:
        raise KitError(f"a kit directive must be alone in its code cell, found {lines[hits[0]].strip()!r} "
                       "among other lines", path=path, line=line)
    match = _DIRECTIVE.match(lines[0].strip())
    assert match is not None  # is_directive_line said so
    words = match.group(1).split()
    if words == ["setup"]:
        return Directive("setup", (), line)
    if words and words[0] == "function":
        names = tuple(words[1:])
        if not names:
            raise KitError("'# kit: function' needs at least one function name", path=path, line=line)
        bad = [n for n in names if not _NAME.match(n)]
        if bad:
            raise KitError(f"{bad[0]!r} is not a function name", path=path, line=line)
        return Directive("function", names, line)
    raise KitError(f"unknown kit directive {lines[0].strip()!r} (expected {USAGE})", path=path, line=line)
