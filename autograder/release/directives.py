"""The kit directives of a notebook source: code cells that consist of one '# kit: ...' line.

``# kit: setup`` marks where the setup cell goes; ``# kit: function NAME [NAME ...]`` where
those solution functions go. Anything else after ``# kit:`` is a mistake, reported with the
notebook source file and line. ``SourceCell`` is one cell of the source with its directive
attached (release/notebook_source.py reads the cells; release/questions.py finds the written
questions among them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import KitError
from ..tomlfile import did_you_mean

_DIRECTIVE = re.compile(r"^#\s*kit:\s*(.*?)\s*$")
_NAME = re.compile(r"^[A-Za-z_]\w*$")
USAGE = "'# kit: setup' or '# kit: function NAME [NAME ...]'"


@dataclass(frozen=True)
class Directive:
    kind: str               # "setup" or "function"
    names: tuple[str, ...]  # function names; empty for setup
    line: int               # 1-based line in the notebook source


@dataclass(frozen=True)
class SourceCell:
    kind: str                     # "code", "markdown" or "raw", as its '# %%' line says
    line: int                     # 1-based line of its first non-blank line (of its header when empty)
    source: str                   # its lines after the '# %%' line, stripped
    directive: Directive | None   # for a code cell that is a directive
    header: int = 0               # 1-based line of its '# %%' line
    tags: tuple[str, ...] = ()    # the tags its '# %%' line gives it
    text: str = ""                # what the notebook's cell holds: a text cell's lines without their '# '
    tagged: bool = False          # its '# %%' line has tags=[...] (even empty): the notebook's cell keeps them


def is_directive_line(line: str) -> bool:
    return _DIRECTIVE.match(line.strip()) is not None


_LIKE_DIRECTIVE = re.compile(r"^#\s*([A-Za-z]{1,6})\s*:?\s*(setup|function)\b(.*)$", re.IGNORECASE)


def refuse_misspelt_directive(cell_source: str, path: str, line: int, cell: int) -> None:
    """KitError for a cell that is one comment like '# kti: setup' or '# kit function f': a directive
    misspelt, which would otherwise reach students as a comment (and leave no setup cell or stub)."""
    if "\n" in cell_source:
        return
    match = _LIKE_DIRECTIVE.match(cell_source.strip())
    if match is None:
        return
    word = match.group(1)
    if word.lower() != "kit" and not did_you_mean(word.lower(), ["kit"]):
        return
    meant = f"# kit: {match.group(2).lower()}{match.group(3).rstrip()}"
    raise KitError(f"cell {cell}: {cell_source.strip()!r} is not a kit directive - did you mean {meant!r}? "
                   f"(a directive is {USAGE})", path=path, line=line)


def check_calls(cell: SourceCell) -> list[tuple[str, int]]:
    """The names given to check("...") in a code cell, each with its line in the notebook source."""
    return [(m.group(2), cell.line + cell.source[:m.start()].count("\n")) for m in _CHECK_NAME.finditer(cell.source)]


_CHECK_NAME = re.compile(r"""(?<![\w.])check\(\s*(["'])([^"'\n]*)\1""")


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
