"""Turn a submission (.py or .ipynb) into the statements the grader takes.

The grader takes imports, function and class definitions and simple constant
assignments, in order (a later definition replaces an earlier one). It never
runs experiments, training loops, shell commands or magics, and ignores stored
outputs. Every problem is reported with its place (cell, line); a file that
cannot be read at all raises SubmissionError, which grading turns into a score
of 0 with that message.
"""

from __future__ import annotations

import ast
import io
import json
import re
import tokenize
from dataclasses import dataclass, field
from pathlib import Path

from .errors import KitError

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_CELL_CHARS = 1_000_000
MAX_CELLS = 5_000
MAX_NOTES = 50
_MAGIC = re.compile(r"^\s*[%!]")
_TAKEN_CALL_FREE = (ast.Constant, ast.Tuple, ast.List, ast.Set, ast.Dict, ast.UnaryOp, ast.BinOp,
                    ast.Name, ast.Attribute, ast.Load, ast.operator, ast.unaryop)


class SubmissionError(KitError):
    """The submission cannot be read at all (not UTF-8, not a notebook, no code)."""


@dataclass
class Origin:
    """Where a taken line came from: a cell (1-based, notebooks) and a line in it or in the file."""

    cell: int | None
    line: int

    def __str__(self) -> str:
        return f"cell {self.cell}, line {self.line}" if self.cell is not None else f"line {self.line}"


@dataclass
class Ingested:
    """The grader's view of a submission."""

    source: str                                   # the taken statements, as one module
    origins: list[Origin]                         # origins[i] is where line i+1 of source came from
    notes: list[str] = field(default_factory=list)           # cells skipped, statements not taken
    skipped_names: dict[str, str] = field(default_factory=dict)  # name -> where it was assigned but not taken
    answers: list[tuple[int, str]] = field(default_factory=list)  # (cell, markdown) of answer cells
    defined: list[str] = field(default_factory=list)         # top-level functions and classes taken

    def where(self, line: int) -> str:
        """The original place of a line of ``source`` (1-based)."""
        if 1 <= line <= len(self.origins):
            return str(self.origins[line - 1])
        return f"line {line}"


def ingest(path: Path) -> Ingested:
    """Read a .py or .ipynb submission; SubmissionError if it cannot be read at all."""
    try:
        size = path.stat().st_size
    except OSError as e:
        raise SubmissionError(f"cannot read the file ({e.strerror})", path=path) from None
    if size > MAX_FILE_BYTES:
        raise SubmissionError(f"the file is {size // 1024 // 1024} MB; submissions may be at most "
                              f"{MAX_FILE_BYTES // 1024 // 1024} MB", path=path)
    data = path.read_bytes()
    if path.suffix == ".py":
        return take_cells([("code", 0, python_text(data, path), [])], path)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise SubmissionError(f"the file is not UTF-8 text (byte {e.start})", path=path) from None
    if path.suffix == ".ipynb":
        cells = notebook_cells(text, path)
        return take_cells(cells, path)
    raise SubmissionError("a submission must be a .py file or a .ipynb notebook", path=path)


def python_text(data: bytes, path: Path) -> str:
    """A .py file's text as Python reads it: its coding declaration (UTF-8 without one), universal newlines."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as e:
        if "invalid or missing encoding declaration" in str(e):
            encoding = "utf-8"  # the first lines are not UTF-8 and declare nothing: said below with the byte
        else:
            raise SubmissionError(f"the file's coding declaration cannot be used ({e})", path=path) from None
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as e:
        label = "UTF-8" if encoding in ("utf-8", "utf-8-sig") else encoding
        raise SubmissionError(f"the file is not {label} text (byte {e.start})", path=path) from None
    return text


def _universal_newlines(text: str) -> str:
    """\r\n and a lone \r end a line, as when Python reads a file; the grader's line numbers then match."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def notebook_cells(text: str, path: Path) -> list[tuple[str, int, str, list[str]]]:
    """(cell_type, 1-based index, source, tags) for each cell of a notebook, with clear errors."""
    try:
        nb = json.loads(text)
    except json.JSONDecodeError as e:
        raise SubmissionError(f"the notebook is not valid JSON ({e.msg} at line {e.lineno}, column {e.colno}) - "
                              "was it saved completely? Download it again from Colab (File > Download > .ipynb)",
                              path=path) from None
    except RecursionError:
        raise SubmissionError("the notebook's JSON is nested too deeply to be a notebook", path=path) from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        if isinstance(nb, dict) and "worksheets" in nb:
            raise SubmissionError("this is an old (version 3) notebook; open and save it in Jupyter or Colab "
                                  "to convert it to version 4", path=path)
        raise SubmissionError("this JSON file is not a Jupyter notebook (it has no 'cells' list)", path=path)
    if len(nb["cells"]) > MAX_CELLS:
        raise SubmissionError(f"the notebook has {len(nb['cells'])} cells; at most {MAX_CELLS} are accepted", path=path)
    cells = []
    for index, cell in enumerate(nb["cells"], start=1):
        if not isinstance(cell, dict):
            raise SubmissionError("this cell is not a JSON object", path=path, cell=index)
        source = cell.get("source", "")
        if isinstance(source, list) and all(isinstance(s, str) for s in source):
            source = "".join(source)
        if not isinstance(source, str):
            raise SubmissionError("this cell's 'source' is neither text nor a list of lines", path=path, cell=index)
        metadata = cell.get("metadata") if isinstance(cell.get("metadata"), dict) else {}
        tags = [t for t in metadata.get("tags", []) if isinstance(t, str)] if isinstance(metadata.get("tags"), list) else []
        cells.append((str(cell.get("cell_type", "")), index, source, tags))
    return cells


def _strip_magics(source: str) -> tuple[str | None, int]:
    """Blank out IPython magics and shell lines, keeping line numbers; None for a cell magic.

    A line is a magic only where a statement may start: not inside brackets, a string
    or after a backslash (the second line of ``"%d" % (a,\n    % b)`` is Python).
    """
    lines = source.split("\n")
    if lines and lines[0].lstrip().startswith("%%"):
        return None, 0
    if not any(_MAGIC.match(line) for line in lines):  # the common case: nothing to blank, no need to tokenize
        return source, 0
    count = 0
    state = _Continuation()
    for i, line in enumerate(lines):
        if state.at_statement_start() and _MAGIC.match(line):
            indent = line[:len(line) - len(line.lstrip())]
            lines[i] = indent + "pass" if indent else ""
            count += 1
            continue
        state.feed(line)
    return "\n".join(lines), count


class _Continuation:
    """Just enough of Python's tokenizer to know, line by line, whether a new statement may start.

    One pass over the text (no re-tokenizing), so a cell costs time linear in its size.
    """

    def __init__(self) -> None:
        self.depth = 0            # open brackets
        self.quote: str | None = None  # the open string's quote (' " \'\'\' \"\"\"), if any
        self.backslash = False    # the last line ended in a backslash outside a string

    def at_statement_start(self) -> bool:
        return self.depth == 0 and self.quote is None and not self.backslash

    def feed(self, line: str) -> None:
        self.backslash = False
        i, n = 0, len(line)
        while i < n:
            c = line[i]
            if self.quote is not None:
                if c == "\\":
                    i += 2
                    continue
                if line.startswith(self.quote, i):
                    i += len(self.quote)
                    self.quote = None
                    continue
                i += 1
                continue
            if c == "#":
                break
            if c in "\"'":
                triple = line[i:i + 3]
                self.quote = triple if triple in ('"""', "\'\'\'") else c
                i += len(self.quote)
                continue
            if c in "([{":
                self.depth += 1
            elif c in ")]}":
                self.depth = max(0, self.depth - 1)
            elif c == "\\" and i == n - 1:
                self.backslash = True
            i += 1
        if self.quote is not None and len(self.quote) == 1:
            if not line.endswith("\\"):
                self.quote = None  # an unterminated one-line string ends with its line (a syntax error anyway)


def _is_simple_constant(node: ast.AST) -> bool:
    return all(isinstance(n, _TAKEN_CALL_FREE) for n in ast.walk(node))


def _taken(stmt: ast.stmt) -> bool:
    if isinstance(stmt, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return True
    if isinstance(stmt, ast.Assign):
        return all(isinstance(t, ast.Name) for t in stmt.targets) and _is_simple_constant(stmt.value)
    if isinstance(stmt, ast.AnnAssign):
        return isinstance(stmt.target, ast.Name) and stmt.value is not None and _is_simple_constant(stmt.value)
    return False


def _assigned_names(stmt: ast.stmt) -> list[str]:
    targets: list[ast.AST] = []
    if isinstance(stmt, ast.Assign):
        targets = list(stmt.targets)
    elif isinstance(stmt, (ast.AnnAssign, ast.AugAssign)):
        targets = [stmt.target]
    elif isinstance(stmt, (ast.For, ast.AsyncFor)):
        targets = [stmt.target]
    elif isinstance(stmt, (ast.With, ast.AsyncWith)):
        targets = [item.optional_vars for item in stmt.items if item.optional_vars is not None]
    return [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]


def take_cells(cells: list[tuple[str, int, str, list[str]]], path: Path) -> Ingested:
    """Keep the taken statements of every code cell in order, recording where each line came from."""
    out_lines: list[str] = []
    origins: list[Origin] = []
    result = Ingested(source="", origins=origins)
    is_notebook = path.suffix == ".ipynb"
    for cell_type, index, source, tags in cells:
        cell = index if is_notebook else None
        if cell_type == "markdown" and "answer" in tags:
            result.answers.append((index, source))
        if cell_type != "code":
            continue  # markdown and raw cells never run, whatever they contain
        source = _universal_newlines(source)
        if len(source) > MAX_CELL_CHARS:
            result.notes.append(f"{_place(cell, None)}: skipped - the cell has more than {MAX_CELL_CHARS} characters")
            continue
        cleaned, magics = _strip_magics(source)
        if cleaned is None:
            result.notes.append(f"{_place(cell, None)}: skipped - a cell magic (%%) cell is never run by the grader")
            continue
        try:
            tree = ast.parse(cleaned)
        except (SyntaxError, ValueError, RecursionError, MemoryError) as e:
            line = getattr(e, "lineno", None)
            msg = getattr(e, "msg", None) or type(e).__name__
            if not is_notebook:
                raise SubmissionError(f"SyntaxError: {msg} - fix it so the file runs", path=path, line=line) from None
            result.notes.append(f"{_place(cell, line)}: this cell could not be parsed ({msg}); "
                                "nothing in it was taken")
            continue
        lines = cleaned.split("\n")
        shared = _lines_shared_by_statements(tree.body)
        for stmt in tree.body:
            if not _taken(stmt):
                for name in _assigned_names(stmt):
                    result.skipped_names.setdefault(name, _place(cell, stmt.lineno))
                continue
            first = min([stmt.lineno] + [d.lineno for d in getattr(stmt, "decorator_list", [])])
            if shared & set(range(first, stmt.end_lineno + 1)):
                # "import torch; run_experiment()" - take the statement alone, not its whole line.
                texts = ast.unparse(stmt).split("\n")
                places = [first] * len(texts)
            else:
                texts = lines[first - 1:stmt.end_lineno]
                places = list(range(first, first + len(texts)))
            for text, line in zip(texts, places):
                out_lines.append(text)
                origins.append(Origin(cell, line))
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                result.defined.append(stmt.name)
                result.skipped_names.pop(stmt.name, None)
            for name in _assigned_names(stmt):
                result.skipped_names.pop(name, None)
    result.source = "\n".join(out_lines) + "\n"
    if len(result.notes) > MAX_NOTES:
        more = len(result.notes) - MAX_NOTES
        result.notes[MAX_NOTES:] = [f"... and {more} more notes like these"]
    if not result.defined:
        what = "notebook" if is_notebook else "file"
        raise SubmissionError(f"no function definitions were found in this {what}", path=path)
    return result


def _lines_shared_by_statements(body: list[ast.stmt]) -> set[int]:
    """Line numbers on which two top-level statements meet (separated by ';')."""
    seen: dict[int, int] = {}
    for stmt in body:
        first = min([stmt.lineno] + [d.lineno for d in getattr(stmt, "decorator_list", [])])
        for line in range(first, stmt.end_lineno + 1):
            seen[line] = seen.get(line, 0) + 1
    return {line for line, count in seen.items() if count > 1}


def _place(cell: int | None, line: int | None) -> str:
    if cell is None:
        return f"line {line}" if line else "the file"
    return f"cell {cell}" + (f", line {line}" if line else "")
