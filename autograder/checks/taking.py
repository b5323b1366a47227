"""What the grader takes from code cells: imports, definitions and simple constants, in order.

The grader takes imports, function and class definitions and simple constant assignments
(no calls), in order (a later definition replaces an earlier one). It never runs experiments,
training loops, shell commands or magics. The same function takes the cells of a submitted
notebook, the one "cell" of a .py file, and the cells a notebook's kernel has run (check()
reads them from IPython's history), so the notebook and the grader take the same statements.

Every problem is reported with its place: "cell 3, line 2" in a notebook, "line 2" in a file,
"the cell run as In [12], line 2" in a kernel's history. A source that cannot be read at all
raises SourceProblem (the grader turns it into a score of 0 with its message). Each cell is
parsed once per text (a cache), so check() can take a long history at every call.

Everything here takes time linear in what the student wrote, and what would be costly is capped
before it is done (one line for the student each): a notebook's JSON values and its numbers
(strict_json: no 5,000-digit integer, NaN or 1e999), the code parsed in all (characters and
tokens, code_size_problem), each code cell (a longer one is skipped) and the written answers
(cut, with a note: they are graded by hand).
Standard library only: the notebook's setup cell ships this module.
"""

from __future__ import annotations

import ast
import bisect
import functools
import io
import json
import re
import tokenize
from dataclasses import dataclass, field
from typing import cast

MAX_CELL_CHARS = 1_000_000
MAX_CELLS = 5_000
MAX_NOTES = 50
# All the code parsed together, counted before anything is parsed (code_size_problem): parsing costs
# ~0.5-0.8 KB of memory a token in the trusted grader (1 MB of list literal is ~0.5 GB of syntax tree)
# and ~20 us. A released notebook holds 0.11-0.59 MB of code in 4,200-13,700 tokens, its setup cell
# (the kit's checking code, as text) included; at the caps the grader's worker takes ~+160 MB, ~4 s.
MAX_CODE_CHARS = 4_000_000
MAX_CODE_TOKENS = 200_000
# Written answers (answer cells) are kept to these, the rest cut with a note: a few sentences are asked for.
MAX_ANSWER_CHARS = 20_000
MAX_ANSWERS_CHARS = 50_000
# A written answer's cell is a Markdown cell tagged "answer:<question id>" (answer:q1): the tag survives the
# student's editing (Jupyter and Colab copy a cell's tags with it), so the grader matches each answer to its
# question by id, whatever cells were added, moved, copied or deleted. A bare "answer" tag is an older
# release's: its cells are matched to the questions by position. An id is cut to MAX_QUESTION_ID characters
# (a student may write any tag).
ANSWER_TAG = "answer"
ANSWER_PREFIX = ANSWER_TAG + ":"
MAX_QUESTION_ID = 40
# Roughly Python's tokens, in one left-to-right pass: a string literal (one token however long; an
# f-string more, by its fields), a comment, a word or number, a punctuation character, a newline. Every
# string pattern matches once begun (an unclosed string ends at its line's or the text's end), so no
# text is scanned twice and the time is linear whatever the text.
_TOKEN = re.compile(r"""
    (?P<prefix>[rRbBuUfF]{1,2})?(?:
        '''[^'\\]*(?:(?:\\(?:.|\Z)|'(?!''))[^'\\]*)*(?:'''|\Z)
      | \"\"\"[^"\\]*(?:(?:\\(?:.|\Z)|"(?!""))[^"\\]*)*(?:\"\"\"|\Z)
      | '[^'\n\\]*(?:\\(?:.|\Z)[^'\n\\]*)*(?:'|(?=\n)|\Z)
      | "[^"\n\\]*(?:\\(?:.|\Z)[^"\n\\]*)*(?:"|(?=\n)|\Z))
    | \#[^\n]*
    | \w+ | [^\w\s] | \n
    """, re.VERBOSE | re.DOTALL)
# Other frameworks' modules: an import of one is noted (graded code may use torch, docs/rules.md), so that a
# student whose code leans on it hears why, and where, before a part scores 0. Other modules off the list
# (matplotlib, sklearn ...) are not noted: notebooks import them for plots and data, and the verifier names
# any use of them in graded code.
OTHER_FRAMEWORKS = ("tensorflow", "keras", "tf_keras", "jax", "jaxlib", "flax", "mxnet", "paddle", "theano",
                    "cupy", "chainer", "mlx")
_KEEP_DATA_OUT = "keep data out of the code (load it from a file) and hand in only your code"
FILE, NOTEBOOK, HISTORY = "file", "notebook", "history"  # what the cells are (how places are named)
_MAGIC = re.compile(r"^\s*[%!]")
# Subscripts too: a type alias (Params = Dict[str, torch.Tensor]) that annotations name must be there.
_TAKEN_CALL_FREE = (ast.Constant, ast.Tuple, ast.List, ast.Set, ast.Dict, ast.UnaryOp, ast.BinOp,
                    ast.Name, ast.Attribute, ast.Load, ast.operator, ast.unaryop, ast.Subscript, ast.Slice)


class SourceProblem(Exception):
    """The source cannot be read at all (not UTF-8, not a notebook, no code); line and cell when known."""

    def __init__(self, message: str, line: int | None = None, cell: int | None = None) -> None:
        self.message, self.line, self.cell = message, line, cell
        super().__init__(message)


def place(cell: int | None, line: int | None, kind: str = NOTEBOOK) -> str:
    """A place for a student: 'cell 3, line 2', 'line 2', 'the cell run as In [12], line 2'."""
    if cell is None:
        return f"line {line}" if line else "the file"
    where = f"the cell run as In [{cell}]" if kind == HISTORY else f"cell {cell}"
    return where + (f", line {line}" if line else "")


@dataclass
class Origin:
    """Where a taken line came from: a cell (1-based, notebooks; In [n] in a kernel's history) and a line."""

    cell: int | None
    line: int
    kind: str = NOTEBOOK

    def __str__(self) -> str:
        return place(self.cell, self.line, self.kind)


@dataclass(frozen=True)
class Statement:
    """One taken top-level statement of a cell, as taken (its lines and their lines in the cell)."""

    lines: tuple[str, ...]
    places: tuple[int, ...]
    defines: str | None           # the function or class it defines
    assigns: tuple[str, ...]      # the names it assigns
    imports: tuple[str, ...]      # the names it imports
    uses: frozenset[str]          # the globals it reads (roughly; for check()'s warnings about order)
    reads: frozenset[str] = frozenset()  # the names it reads while it runs (decorators, defaults, bodies of classes)

    @property
    def binds(self) -> tuple[str, ...]:
        return ((self.defines,) if self.defines else ()) + self.assigns + self.imports

    @property
    def text(self) -> str:
        return "\n".join(line.rstrip() for line in self.lines)


@dataclass(frozen=True)
class Taken:
    """A statement placed in the taken source: its cell and the taken source's line of its first line."""

    cell: int | None
    first: int
    statement: Statement


@dataclass
class Ingested:
    """The grader's view of a submission."""

    source: str                                   # the taken statements, as one module
    statements: list[Taken] = field(default_factory=list)    # every taken statement, in order
    kind: str = NOTEBOOK                          # how places are named (FILE, NOTEBOOK, HISTORY)
    notes: list[str] = field(default_factory=list)           # cells skipped, statements not taken
    skipped_names: dict[str, str] = field(default_factory=dict)  # name -> where it was assigned but not taken
    answers: list["Answer"] = field(default_factory=list)  # (cell, markdown) of answer cells, and their question
    defined: list[str] = field(default_factory=list)         # top-level functions and classes taken
    _firsts: list[int] | None = field(default=None, repr=False, compare=False)

    @property
    def origins(self) -> list[Origin]:
        """origins[i] is where line i+1 of source came from."""
        return [Origin(t.cell, line, self.kind) for t in self.statements for line in t.statement.places]

    def where(self, line: int) -> str:
        """The original place of a line of ``source`` (1-based)."""
        if self._firsts is None:
            self._firsts = [t.first for t in self.statements]
        i = bisect.bisect_right(self._firsts, line) - 1
        if i >= 0:
            t = self.statements[i]
            if line - t.first < len(t.statement.places):
                return place(t.cell, t.statement.places[line - t.first], self.kind)
        return f"line {line}"


# --- reading files ------------------------------------------------------------------------------

EMPTY_FILE = "the file is empty - was it saved before it was handed in?"


def take_file(data: bytes, suffix: str) -> Ingested:
    """A .py file's or a notebook's bytes -> what the grader takes; SourceProblem if it cannot be read.
    suffix: ".py" or ".ipynb", in any case."""
    suffix = suffix.lower()
    if not data.strip():  # said as it is, not "no function definitions" (nor a notebook's JSON error)
        raise SourceProblem(EMPTY_FILE)
    if suffix == ".py":
        return take_cells([("code", 0, python_text(data), [])], FILE)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise SourceProblem(f"the file is not UTF-8 text (byte {e.start})") from None
    if suffix == ".ipynb":
        return take_cells(notebook_cells(text), NOTEBOOK)
    raise SourceProblem("a submission must be a .py file or a .ipynb notebook")


def python_text(data: bytes) -> str:
    """A .py file's text as Python reads it: its coding declaration (UTF-8 without one), universal newlines."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as e:
        if "invalid or missing encoding declaration" in str(e):
            encoding = "utf-8"  # the first lines are not UTF-8 and declare nothing: said below with the byte
        else:
            raise SourceProblem(f"the file's coding declaration cannot be used ({e})") from None
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as e:
        label = "UTF-8" if encoding in ("utf-8", "utf-8-sig") else encoding
        raise SourceProblem(f"the file is not {label} text (byte {e.start})") from None
    return text


MAX_JSON_DIGITS = 4_300  # Python's own limit on reading an integer (sys.get_int_max_str_digits)


class JSONNumberError(ValueError):
    """A number that JSON's grammar allows (or Python's json accepts) but no file of ours holds."""


def _json_int(text: str) -> int:
    digits = len(text) - text.startswith("-")
    if digits > MAX_JSON_DIGITS:
        raise JSONNumberError(f"it holds a number {digits:,} digits long; a number may have at most "
                              f"{MAX_JSON_DIGITS:,} digits")
    return int(text)


def _json_float(text: str) -> float:
    value = float(text)  # linear in the text, whatever its length
    if value in (float("inf"), float("-inf")):
        shown = text if len(text) <= 20 else text[:12] + "..."
        raise JSONNumberError(f"it holds the number {shown}, too large for a floating-point number")
    return value


def _json_constant(name: str) -> float:
    raise JSONNumberError(f"it holds {name}, which is not a JSON number")


def strict_json(text: str | bytes, nan: bool = False) -> object:
    """json.loads, but a number that cannot be read as it is written is a JSONNumberError (a ValueError) that
    says which: NaN, Infinity, -Infinity (Python's json accepts them; JSON has no such numbers), one too large
    for a float (1e999), an integer of more than MAX_JSON_DIGITS digits (int() refuses it, as a bare
    ValueError, not a JSONDecodeError). JSONDecodeError and RecursionError as from json.loads.
    nan: take NaN, Infinity and -Infinity, and 1e999 as infinity (what json.dumps writes of a NaN or an
    infinity: the kit's own records of a student's results may hold them)."""
    if nan:
        return json.loads(text, parse_int=_json_int)
    return json.loads(text, parse_int=_json_int, parse_float=_json_float, parse_constant=_json_constant)


# Values (items of JSON lists and objects) read from a notebook at most: json.loads takes ~75 bytes a value,
# and a 20 MB file of [[],[],...] is ~7 million (~0.5 GB). A released notebook holds ~6,000; long outputs
# add one a line of text.
MAX_JSON_VALUES = 2_000_000
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\(?:.|\Z)[^"\\]*)*(?:"|\Z)', re.DOTALL)  # matches once begun: linear


def json_values(text: str) -> int:
    """At least the number of values in JSON text (a comma or an opening bracket outside strings each), in linear
    time, without reading it."""
    if len(text) <= MAX_JSON_VALUES:
        return len(text)  # each value takes a character at least: nothing to count
    bare = _JSON_STRING.sub('""', text)
    return bare.count(",") + bare.count("[") + bare.count("{") + 1


def notebook_cells(text: str) -> list[tuple[str, int, str, list[str]]]:
    """(cell_type, 1-based index, source, tags) for each cell of a notebook, with clear errors."""
    values = json_values(text)
    if values > MAX_JSON_VALUES:
        raise SourceProblem(f"the notebook's JSON holds more than {MAX_JSON_VALUES:,} values (items of lists and "
                            "objects), more than are read - a notebook saved by Jupyter or Colab holds thousands")
    try:
        nb = strict_json(text, nan=True)  # Jupyter's nbformat writes NaN and Infinity (json.dumps): they are read
    except json.JSONDecodeError as e:
        raise SourceProblem(f"the notebook is not valid JSON ({e.msg} at line {e.lineno}, column {e.colno}) - "
                            "was it saved completely? Download it again from Colab (File > Download > .ipynb)"
                            ) from None
    except RecursionError:
        raise SourceProblem("the notebook's JSON is nested too deeply to be a notebook") from None
    except ValueError as e:  # JSONNumberError, and anything else json.loads may raise on odd input
        raise SourceProblem(f"the notebook is not valid JSON ({e})") from None
    return cells_of(nb)


def cells_of(nb: object) -> list[tuple[str, int, str, list[str]]]:
    """notebook_cells for a notebook already read from JSON (Colab hands check() one as a dict)."""
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        if isinstance(nb, dict) and "worksheets" in nb:
            raise SourceProblem("this is an old (version 3) notebook; open and save it in Jupyter or Colab "
                                "to convert it to version 4")
        raise SourceProblem("this JSON file is not a Jupyter notebook (it has no 'cells' list)")
    if len(nb["cells"]) > MAX_CELLS:
        raise SourceProblem(f"the notebook has {len(nb['cells'])} cells; at most {MAX_CELLS} are accepted")
    cells = []
    for index, cell in enumerate(nb["cells"], start=1):
        if not isinstance(cell, dict):
            raise SourceProblem("this cell is not a JSON object", cell=index)
        source = cell.get("source", "")
        if isinstance(source, list) and all(isinstance(s, str) for s in source):
            source = "".join(source)
        if not isinstance(source, str):
            raise SourceProblem("this cell's 'source' is neither text nor a list of lines", cell=index)
        metadata = cell.get("metadata")
        if not isinstance(metadata, dict):
            metadata = {}
        tags = [t for t in metadata.get("tags", []) if isinstance(t, str)] if isinstance(metadata.get("tags"), list) else []
        cells.append((str(cell.get("cell_type", "")), index, source, tags))
    return cells


def _universal_newlines(text: str) -> str:
    """\r\n and a lone \r end a line, as when Python reads a file; the grader's line numbers then match."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


# --- magics -------------------------------------------------------------------------------------

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


# --- what is taken ------------------------------------------------------------------------------

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


def _free_names(stmt: ast.stmt) -> frozenset[str]:
    """Names a statement reads that nothing in it binds (parameters and local assignments left out)."""
    loads: set[str] = set()
    stores: set[str] = set()
    for n in ast.walk(stmt):
        if isinstance(n, ast.Name):
            (loads if isinstance(n.ctx, ast.Load) else stores).add(n.id)
        elif isinstance(n, ast.arg):
            stores.add(n.arg)
    return frozenset(loads - stores)


def _load_reads(stmt: ast.stmt) -> frozenset[str]:
    """The names a taken statement reads while it executes (over-approximated: a class's whole body)."""
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
        a = stmt.args
        nodes: list[ast.AST] = [*stmt.decorator_list, *a.defaults, *(d for d in a.kw_defaults if d is not None)]
        nodes += [arg.annotation for arg in (*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg)
                  if arg is not None and arg.annotation is not None]
        nodes += [stmt.returns] if stmt.returns is not None else []
    elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
        nodes = []
    else:  # a class (all of it), or a constant's value
        nodes = [stmt]
    return frozenset(n.id for node in nodes for n in ast.walk(node) if isinstance(n, ast.Name))


def _import_names(stmt: ast.stmt) -> list[str]:
    if isinstance(stmt, ast.Import):
        return [a.asname or a.name.split(".")[0] for a in stmt.names]
    if isinstance(stmt, ast.ImportFrom):
        return [a.asname or a.name for a in stmt.names if a.name != "*"]
    return []


@dataclass(frozen=True)
class _Cell:
    """One code cell's text, taken: a problem that skips it, or its statements and skipped names in order."""

    skipped: str | None = None                    # "long", "cell magic" or "syntax"
    error: tuple[int | None, str] | None = None   # (line, message) of a cell that does not parse
    events: tuple[tuple[str, object], ...] = ()   # ("skip", (name, line)) and ("take", Statement), in order


def _take_cell(source: str) -> _Cell:
    """Everything about one cell's text that does not depend on where the cell is."""
    source = _universal_newlines(source)
    if len(source) > MAX_CELL_CHARS:
        return _Cell(skipped="long")
    cleaned, _ = _strip_magics(source)
    if cleaned is None:
        return _Cell(skipped="cell magic")
    try:
        tree = ast.parse(cleaned)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as e:
        return _Cell(skipped="syntax", error=(getattr(e, "lineno", None), getattr(e, "msg", None) or type(e).__name__))
    lines = cleaned.split("\n")
    shared = _lines_shared_by_statements(tree.body)
    events: list[tuple[str, object]] = []
    for stmt in tree.body:
        if not _taken(stmt):
            events += [("skip", (name, stmt.lineno)) for name in _assigned_names(stmt)]
            continue
        first = min([stmt.lineno] + [d.lineno for d in getattr(stmt, "decorator_list", [])])
        last = _last_line(stmt)
        if shared & set(range(first, last + 1)):
            # "import torch; run_experiment()" - take the statement alone, not its whole line: its own text, cut
            # out by its offsets (ast.unparse would recurse, and fail, on a long sum the parser took).
            texts = _own_text(lines, stmt)
            places = list(range(first, first + len(texts)))
        else:
            texts = lines[first - 1:last]
            places = list(range(first, first + len(texts)))
        defines = stmt.name if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) else None
        events.append(("take", Statement(tuple(texts), tuple(places), defines, tuple(_assigned_names(stmt)),
                                         tuple(_import_names(stmt)), _free_names(stmt), _load_reads(stmt))))
    return _Cell(events=tuple(events))


# check() takes the kernel's whole history at every call: each text is parsed once. (The grader
# takes each submission once and does not cache: its cells would only fill memory.)
_take_cell_cached = functools.lru_cache(maxsize=2048)(_take_cell)


def take_cells(cells: list[tuple[str, int, str, list[str]]], kind: str = NOTEBOOK,
               require_definitions: bool = True, cache: bool = False) -> Ingested:
    """Keep the taken statements of every code cell in order, recording where each line came from.

    kind: FILE (one cell, places are 'line N'; a syntax error is a SourceProblem), NOTEBOOK ('cell N,
    line M') or HISTORY ('the cell run as In [N], line M'; cells are (_, N, text, _) with N the
    execution count). SourceProblem when nothing defines a function (unless require_definitions is False).
    cache: remember each cell's text as taken (check() takes the same history again and again).
    """
    take = _take_cell_cached if cache else _take_cell
    if kind != HISTORY:  # a kernel's history holds every run of every cell: latest() checks what is left of it
        problem = code_size_problem([source for cell_type, _, source, _ in cells if cell_type == "code"], kind)
        if problem is not None:
            raise SourceProblem(problem)
    out_lines: list[str] = []
    result = Ingested(source="", kind=kind)
    answers = _Answers()
    for cell_type, index, source, tags in cells:
        if cell_type == "markdown" and is_answer_cell(tags):
            result.answers.append(Answer(index, answers.keep(index, source), answer_question(tags), len(source)))
        elif cell_type == "code":  # markdown and raw cells never run, whatever they contain
            cell = None if kind == FILE else index
            taken = take(source)
            skipped = _skipped_cell(taken, cell, kind, len(source))
            if skipped is not None:
                result.notes.append(skipped)
            else:
                _add_statements(result, out_lines, cell, taken.events)
    result.source = "\n".join(out_lines) + "\n"
    _finish(result, answers, require_definitions)
    return result


def _skipped_cell(taken: _Cell, cell: int | None, kind: str, chars: int) -> str | None:
    """The note on a code cell of which nothing is taken (too long, a cell magic, not parsed), or None when
    its statements are. In a FILE, its one cell, such a cell is a SourceProblem saying so: nothing else is
    there to take (not "no function definitions"). chars: the cell's length as written."""
    if taken.skipped == "long":
        if kind == FILE:
            raise SourceProblem(f"the file holds {_megabytes(chars, MAX_CELL_CHARS)} of code; at most "
                                f"{_megabytes(MAX_CELL_CHARS)} can be graded - {_KEEP_DATA_OUT}")
        return f"{place(cell, None, kind)}: skipped - the cell has more than {MAX_CELL_CHARS} characters"
    if taken.skipped == "cell magic":
        return f"{place(cell, None, kind)}: skipped - a cell magic (%%) cell is never run by the grader"
    if taken.error is not None:
        line, msg = taken.error
        if kind == FILE:
            raise SourceProblem(f"SyntaxError: {msg} - fix it so the file runs", line=line)
        return f"{place(cell, line, kind)}: this cell could not be parsed ({msg}); nothing in it was taken"
    return None


def _add_statements(result: Ingested, out_lines: list[str], cell: int | None,
                    events: tuple[tuple[str, object], ...]) -> None:
    """Add a cell's taken statements to result, their lines to out_lines (the taken source so far). A name
    assigned by a statement not taken is remembered with its place until a taken statement binds it."""
    for what, event in events:
        if what == "skip":
            name, line = cast("tuple[str, int]", event)
            result.skipped_names.setdefault(name, place(cell, line, result.kind))
            continue
        stmt = cast(Statement, event)
        result.statements.append(Taken(cell, len(out_lines) + 1, stmt))
        out_lines.extend(stmt.lines)
        if stmt.defines is not None:
            result.defined.append(stmt.defines)
            result.skipped_names.pop(stmt.defines, None)
        for name in stmt.assigns:
            result.skipped_names.pop(name, None)


def _finish(result: Ingested, answers: _Answers, require_definitions: bool) -> None:
    """The notes on the whole source (other frameworks' imports, answers cut), capped at MAX_NOTES; a
    SourceProblem when nothing defines a function and something must."""
    if result.kind != HISTORY:  # (check() asks foreign_imports itself: a kernel's history repeats every cell run)
        result.notes += foreign_imports(result)
    result.notes += answers.notes()
    if len(result.notes) > MAX_NOTES:
        more = len(result.notes) - MAX_NOTES
        result.notes[MAX_NOTES:] = [f"... and {more} more notes like these"]
    if require_definitions and not result.defined:
        what = "file" if result.kind == FILE else "notebook"
        raise SourceProblem(f"no function definitions were found in this {what}")


def foreign_imports(ingested: Ingested) -> list[str]:
    """A note for each taken import of another framework's module (OTHER_FRAMEWORKS), once a module: where,
    and why it does not help. The grader binds such an import to a stand-in that would import it on first
    use, and the verifier refuses any use of it in graded code, so it is never imported where code is graded."""
    notes: dict[str, str] = {}
    for t in ingested.statements:
        if not t.statement.imports:
            continue
        try:
            (stmt,) = ast.parse(t.statement.text).body
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        modules = [a.name for a in stmt.names] if isinstance(stmt, ast.Import) else \
            [stmt.module] if isinstance(stmt, ast.ImportFrom) and stmt.level == 0 and stmt.module else []
        for module in modules:
            root = module.split(".")[0]
            if root in OTHER_FRAMEWORKS and root not in notes:
                where = place(t.cell, t.statement.places[0], ingested.kind)
                notes[root] = (f"{where}: {t.statement.lines[0].strip()[:100]} - graded code may use torch, not "
                               f"{root} (docs/rules.md): the grader does not import {root}, and a graded function "
                               "that uses it earns nothing for its part")
    return list(notes.values())


def _own_text(lines: list[str], stmt: ast.stmt) -> list[str]:
    """The lines of a simple statement that shares a line with another, cut at its own start and end
    (the parser's column offsets count UTF-8 bytes)."""
    assert stmt.end_lineno is not None and stmt.end_col_offset is not None
    own = [line.encode("utf-8", "surrogatepass") for line in lines[stmt.lineno - 1:stmt.end_lineno]]
    own[-1] = own[-1][:stmt.end_col_offset]
    own[0] = own[0][stmt.col_offset:]
    return [line.decode("utf-8", "surrogatepass") for line in own]


def _megabytes(chars: int, over: int = 0) -> str:
    """Characters in millions, "19.4 MB"; a count over the cap `over` never reads as the cap (not "4.0 MB")."""
    for digits in range(1, 7):
        shown = f"{chars / 1_000_000:.{digits}f}"
        if float(shown) * 1_000_000 > over:
            break
    return f"{shown.rstrip('0').rstrip('.')} MB"


def _parsed(source: str) -> bool:
    """Whether a code cell's text is parsed: not when it is skipped unparsed (too long, a cell magic)."""
    return (len(source) - source.count("\r\n") <= MAX_CELL_CHARS
            and not source.partition("\n")[0].partition("\r")[0].lstrip().startswith("%%"))


def code_size_problem(sources: list[str], kind: str = NOTEBOOK) -> str | None:
    """Why these code cells hold too much code to be parsed (one line for the student), or None.
    Cells that are skipped without being parsed do not count."""
    what = {FILE: "the file holds", NOTEBOOK: "the code cells hold", HISTORY: "the cells run hold"}[kind]
    return too_much_code([s for s in sources if _parsed(s)], what)


def too_much_code(texts: list[str], what: str = "the code holds") -> str | None:
    """Why these texts hold too much code to be parsed, "<what> 19 MB of code; at most 4 MB ...", or None.

    Counted before anything is parsed, in time linear in the text: the characters (newlines as Python
    reads them), then, up to MAX_CODE_TOKENS + 1 of them, the tokens, which a syntax tree's size follows
    (a long string is one token, a long list literal one a comma and one an item)."""
    chars = sum(len(t) - t.count("\r\n") for t in texts)
    if chars > MAX_CODE_CHARS:
        return (f"{what} {_megabytes(chars, MAX_CODE_CHARS)} of code; at most {_megabytes(MAX_CODE_CHARS)} "
                f"can be graded - {_KEEP_DATA_OUT}")
    tokens = 0
    for text in texts:
        for match in _TOKEN.finditer(text):
            prefix = match["prefix"]
            tokens += 1
            if prefix and "f" in prefix.lower():
                # Each {field} is parsed on its own (~1.5 KB of memory), in time quadratic in the fields of one
                # f-string (Python 3.11: 100,000 take 7 s): counted so that one f-string holds ~20,000 at most.
                fields = match.group().count("{")
                tokens += 3 * fields + fields * fields // 2000
            if tokens > MAX_CODE_TOKENS:
                break
        if tokens > MAX_CODE_TOKENS:
            return (f"{what} more than {MAX_CODE_TOKENS:,} tokens of code (names, numbers, commas, brackets ...); "
                    f"at most {MAX_CODE_TOKENS:,} can be graded - {_KEEP_DATA_OUT}")
    return None


class Answer(tuple):
    """A written answer cell as taken: the pair (cell, markdown), as ever (what reads answers unpacks the pair),
    ``question``: the question id its tag names (answer:q1 -> 'q1'), None for a bare 'answer' tag, and
    ``written``: how many characters the cell held before it was cut (_Answers.keep), so a grader knows."""

    question: str | None
    written: int

    def __new__(cls, cell: int, text: str, question: str | None = None, written: int | None = None) -> "Answer":
        answer = super().__new__(cls, (cell, text))
        answer.question = question
        answer.written = len(text) if written is None else written
        return answer

    def __getnewargs__(self) -> tuple:  # pickle and copy rebuild it with its question and length
        return (self[0], self[1], self.question, self.written)

    def __repr__(self) -> str:
        return f"Answer({self[0]!r}, {self[1]!r}, question={self.question!r})"


def is_answer_cell(tags: list[str]) -> bool:
    """Whether a Markdown cell with these tags holds a written answer ('answer' or 'answer:<id>')."""
    return any(t == ANSWER_TAG or t.startswith(ANSWER_PREFIX) for t in tags)


def answer_question(tags: list[str]) -> str | None:
    """The question id of an answer cell's first 'answer:<id>' tag (cut to MAX_QUESTION_ID characters); None
    when it has only a bare 'answer' tag (an older release: matched by position)."""
    return next((t[len(ANSWER_PREFIX):][:MAX_QUESTION_ID] or None for t in tags if t.startswith(ANSWER_PREFIX)), None)


class _Answers:
    """Answer cells as kept: each cut to MAX_ANSWER_CHARS, all of them together to MAX_ANSWERS_CHARS."""

    def __init__(self) -> None:
        self.kept = 0
        self.long: list[tuple[int, int]] = []     # (cell, characters) of answers cut to MAX_ANSWER_CHARS
        self.over: list[tuple[int, int]] = []     # (cell, characters) of answers cut by the total

    def keep(self, cell: int, text: str) -> str:
        if len(text) > MAX_ANSWER_CHARS:
            self.long.append((cell, len(text)))
            text = text[:MAX_ANSWER_CHARS]
        room = max(0, MAX_ANSWERS_CHARS - self.kept)
        if len(text) > room:
            self.over.append((cell, len(text)))
            text = text[:room]
        self.kept += len(text)
        return text

    def notes(self) -> list[str]:
        notes = []
        if self.long:
            notes.append(f"{_cells(self.long)}: only the first {MAX_ANSWER_CHARS:,} characters of an answer are kept "
                         "for grading by hand; the rest was cut")
        if self.over:
            notes.append(f"{_cells(self.over)}: the answers hold more than the {MAX_ANSWERS_CHARS:,} characters kept "
                         "in all for grading by hand; the rest was cut")
        return notes


def _cells(found: list[tuple[int, int]]) -> str:
    """'answer cell 7 (52,000 characters)', 'answer cells 7 (...), 9 (...) and 3 more'."""
    shown = ", ".join(f"{cell} ({chars:,} characters)" for cell, chars in found[:3])
    more = f" and {len(found) - 3} more" if len(found) > 3 else ""
    return f"answer cell{'s' if len(found) > 1 else ''} {shown}{more}"


def _last_line(stmt: ast.stmt) -> int:
    """A parsed statement's last line (the parser always sets end_lineno; the type allows None)."""
    return stmt.lineno if stmt.end_lineno is None else stmt.end_lineno


def _lines_shared_by_statements(body: list[ast.stmt]) -> set[int]:
    """Line numbers on which two top-level statements meet (separated by ';')."""
    seen: dict[int, int] = {}
    for stmt in body:
        first = min([stmt.lineno] + [d.lineno for d in getattr(stmt, "decorator_list", [])])
        for line in range(first, _last_line(stmt) + 1):
            seen[line] = seen.get(line, 0) + 1
    return {line for line, count in seen.items() if count > 1}


def latest(ingested: Ingested) -> Ingested:
    """The same statements less those that nothing can observe: a statement whose every name is bound again
    by a later one before anything running at load time reads it (a function defined, edited and run again
    in a notebook's kernel leaves one definition per run). Executing what is left binds every name to the
    same final definition; check() verifies and loads this, so its cost does not grow with every re-run.
    A call while loading (a decorator, a class body) counts as reading every global the functions and
    classes it names read, so nothing such a call may read is left out.
    A kernel's history whose statements left hold more code than the grader parses is a SourceProblem
    (check() says it as the grader would of the notebook)."""
    reached: dict[str, set[str]] = {}
    for t in ingested.statements:
        for name in t.statement.binds:
            reached.setdefault(name, set()).update(t.statement.uses)

    def reads(names: frozenset[str]) -> set[str]:
        out, todo = set(names), list(names)
        while todo:
            for used in reached.get(todo.pop(), ()):
                if used not in out:
                    out.add(used)
                    todo.append(used)
        return out

    shadowed: set[str] = set()
    kept: list[Taken] = []
    for t in reversed(ingested.statements):
        binds = set(t.statement.binds)
        future = t.statement.lines and t.statement.lines[0].lstrip().startswith("from __future__")
        if binds and binds <= shadowed and not future:
            continue
        kept.append(t)
        shadowed = (shadowed | binds) - reads(t.statement.reads)
    if ingested.kind == HISTORY:
        problem = code_size_problem([t.statement.text for t in kept], HISTORY)
        if problem is not None:
            raise SourceProblem(problem)
    if len(kept) == len(ingested.statements):
        return ingested
    kept.reverse()
    lines: list[str] = []
    statements: list[Taken] = []
    for t in kept:
        statements.append(Taken(t.cell, len(lines) + 1, t.statement))
        lines.extend(t.statement.lines)
    return Ingested("\n".join(lines) + "\n", statements, ingested.kind, list(ingested.notes),
                    dict(ingested.skipped_names), list(ingested.answers), list(ingested.defined))
