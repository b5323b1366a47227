"""A notebook source (assignments/<id>/notebook.py) read into its cells, and the kit directives
in them: code cells that consist of one '# kit: ...' line.

``# kit: setup`` marks where the setup cell goes; ``# kit: function NAME [NAME ...]`` where
those solution functions go. Anything else after ``# kit:`` is a mistake, reported with the
notebook source file and line, and so is a ``check(...)`` call before the setup cell. The cells
are found from the percent format's ``# %%`` lines alone (no jupytext): loading an assignment
checks them, and the notebook build finds each directive of jupytext's cells among them.
Cell tags (``tags=[...]`` on the ``# %%`` line) are read too: written questions and their
answer cells (``tags=["answer:q1"]``) are found and checked by questions.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .. import paths
from ..checks.taking import is_answer_cell
from ..errors import KitError
from ..tomlfile import did_you_mean
from .markers import split_lines
from .questions import Question, check_tags, find_questions, header_tags

_CELL_HEADER = re.compile(r"^#\s*%%")
_TEXT_CELL = re.compile(r"\[(markdown|md|raw)\]")
_CHECK_CALL = re.compile(r"(?<![\w.])check\(")
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


@dataclass(frozen=True)
class NotebookSource:
    path: Path
    text: str
    cells: tuple[SourceCell, ...]  # one per '# %%' line, in order
    questions: tuple[Question, ...] = ()  # the written questions, in order (questions.py)

    @property
    def shown(self) -> str:
        return paths.shown(self.path)

    @property
    def function_directives(self) -> list[Directive]:
        return [c.directive for c in self.cells if c.directive is not None and c.directive.kind == "function"]

    def directive_of(self, cell_source: str) -> Directive | None:
        """The directive of a code cell as jupytext reads it (by its text: jupytext keeps no line
        numbers, and drops some empty cells)."""
        return next((c.directive for c in self.cells if c.directive is not None and c.source == cell_source.strip()),
                    None)


def is_directive_line(line: str) -> bool:
    return _DIRECTIVE.match(line.strip()) is not None


def parse_notebook_source(path: Path, text: str) -> NotebookSource:
    """The cells of a percent-format notebook source with their directives and questions; KitError at its
    line for a malformed directive, a directive outside a cell, a check(...) call before the setup cell
    and a misspelt answer tag or a question that cannot be found (questions.py)."""
    shown = paths.shown(path)
    lines = split_lines(text)
    headers = [n for n, ln in enumerate(lines, start=1) if _CELL_HEADER.match(ln)]
    for number in range(1, headers[0] if headers else len(lines) + 1):  # text before the first cell
        if is_directive_line(lines[number - 1]):
            raise KitError("a kit directive must be in a code cell of its own, after a '# %%' line",
                           path=shown, line=number)
    cells: list[SourceCell] = []
    setup_seen = False
    answers = 0  # answer cells so far (a misspelt tag's suggested id)
    for number, (header, end) in enumerate(zip(headers, [*headers[1:], len(lines) + 1]), start=1):
        body = lines[header:end - 1]
        text_cell = _TEXT_CELL.search(lines[header - 1])
        kind = "code" if text_cell is None else "raw" if text_cell.group(1) == "raw" else "markdown"
        first = next((header + 1 + i for i, ln in enumerate(body) if ln.strip()), header)
        directive, source = None, "".join(body).strip()
        tags = header_tags(lines[header - 1], path=shown, line=header)
        if kind == "code":
            directive = parse_directive(source, path=shown, line=first)
            if directive is None:
                _refuse_misspelt_directive(source, shown, first, number)
            setup_seen = setup_seen or (directive is not None and directive.kind == "setup")
            if directive is None and not setup_seen and _CHECK_CALL.search(source):
                raise KitError("check(...) is called before the '# kit: setup' cell that defines it",
                               path=shown, line=first)
        cells.append(SourceCell(kind, first, source, directive, header, tags))
        check_tags(cells[-1], number, answers, path=shown)
        answers += is_answer_cell(list(tags))
    return NotebookSource(Path(path), text, tuple(cells), find_questions(cells, path=shown))


_LIKE_DIRECTIVE = re.compile(r"^#\s*([A-Za-z]{1,6})\s*:?\s*(setup|function)\b(.*)$", re.IGNORECASE)


def _refuse_misspelt_directive(cell_source: str, path: str, line: int, cell: int) -> None:
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
