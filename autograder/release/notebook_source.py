"""A notebook source (assignments/<id>/notebook.py, percent format) read once into its cells.

Each cell is found from the ``# %%`` lines, with its kind (``[markdown]``, ``[raw]``, else code),
its tags (``tags=[...]`` on the ``# %%`` line), its directive attached (release/directives.py)
and the text the notebook's cell holds: the lines after its ``# %%`` line, blank lines at either
end left out, and a text cell's lines without their ``# `` (as jupytext writes and reads the
format; what the kit's sources use of it). Loading an assignment checks the cells; the notebook
build copies them, directives expanded. Refused, each at its line: a directive outside a cell, a
malformed or misspelt directive, a ``check(...)`` call before the setup cell, and a misspelt answer
tag or a question that cannot be found (release/questions.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..checks.taking import is_answer_cell
from ..errors import KitError
from ..layout import Layout
from ..sourcefile import SourceFile
from .directives import Directive, SourceCell, is_directive_line, parse_directive, refuse_misspelt_directive
from .markers import split_lines
from .questions import QUESTIONS_FILE, Question, check_tags, find_questions, header_tags, read_questions_json

_CELL_HEADER = re.compile(r"^#\s*%%")
_TEXT_CELL = re.compile(r"\[(markdown|md|raw)\]")
_CHECK_CALL = re.compile(r"(?<![\w.])check\(")


@dataclass(frozen=True)
class NotebookSource(SourceFile):
    cells: tuple[SourceCell, ...]  # one per '# %%' line, in order
    questions: tuple[Question, ...] = ()  # the written questions, in order (questions.py)

    @property
    def function_directives(self) -> list[Directive]:
        return [c.directive for c in self.cells if c.directive is not None and c.directive.kind == "function"]


def parse_notebook_source(source: SourceFile) -> NotebookSource:
    """The cells of a percent-format notebook source with their directives and questions; KitError at its
    line for a malformed directive, a directive outside a cell, a check(...) call before the setup cell
    and a misspelt answer tag or a question that cannot be found (questions.py)."""
    shown = source.shown
    lines = split_lines(source.text)
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
        directive, stripped = None, "".join(body).strip()
        given = header_tags(lines[header - 1], path=shown, line=header)
        tags = given or ()
        if kind == "code":
            directive = parse_directive(stripped, path=shown, line=first)
            if directive is None:
                refuse_misspelt_directive(stripped, shown, first, number)
            setup_seen = setup_seen or (directive is not None and directive.kind == "setup")
            if directive is None and not setup_seen and _CHECK_CALL.search(stripped):
                raise KitError("check(...) is called before the '# kit: setup' cell that defines it",
                               path=shown, line=first)
        cells.append(SourceCell(kind, first, stripped, directive, header, tags, _cell_text(kind, body),
                                given is not None))
        check_tags(cells[-1], number, answers, path=shown)
        answers += is_answer_cell(list(tags))
    return NotebookSource(source.path, source.text, shown, tuple(cells), find_questions(cells, path=shown))


def _cell_text(kind: str, body: list[str]) -> str:
    """The notebook cell's text: the cell's lines without their endings and the blank lines at either end; a
    text cell's lines without the comment mark ('# ', or '#') that the percent format writes before them."""
    lines = [ln.rstrip("\r\n") for ln in body]
    kept = [i for i, ln in enumerate(lines) if ln.strip()]
    lines = lines[kept[0]:kept[-1] + 1] if kept else []
    if kind != "code":
        lines = [ln[2:] if ln.startswith("# ") else ln[1:] if ln.startswith("#") else ln for ln in lines]
    return "\n".join(lines)


def assignment_questions(layout: Layout, notebook: NotebookSource | None,
                         folder: Path) -> tuple[Question, ...] | None:
    """The assignment's written questions: its notebook source's, else those of the questions.json in its
    ``folder`` (the Gradescope zip's, written from the same source); None where neither is there."""
    if notebook is not None:
        return notebook.questions
    saved = Path(folder) / QUESTIONS_FILE
    return read_questions_json(layout, saved) if saved.is_file() else None
