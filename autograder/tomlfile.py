"""Reading the kit's hand-written TOML files (spec.toml, cases.toml, course.toml) for messages.

tomllib gives values, not line numbers; ``line_of`` finds where a key was written so that an
error can say ``file:line``. ``did_you_mean`` and ``toml_value`` phrase the fix.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .errors import KitError

# Python 3.10 (Gradescope's Ubuntu 22.04 image) has no tomllib: its backport tomli is the same parser.
# paths and the gradebook read TOML with this name too. (novermin: vermin, which checks that grading
# runs on 3.10, does not know the fallback.)
try:
    import tomllib  # novermin
except ImportError:
    import tomli
    tomllib = tomli  # (an assignment: to a type checker, a second `import ... as tomllib` redefines the name)

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")


def read_toml(path: Path, shown: str, error: type[KitError] = KitError,
              located: bool = False) -> tuple[dict[str, Any], str]:
    """(the parsed table, the text); ``error`` naming ``shown`` when missing or not TOML (with ``located``, at
    the line to fix: ``file:LINE: not valid TOML: ...``, an unclosed list at the line that opens it)."""
    try:
        with path.open(encoding="utf-8", newline="") as f:  # as written: the Gradescope zip copies it
            text = f.read()
    except FileNotFoundError:
        raise error("file not found", path=shown) from None
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as e:
        if not located:
            raise error(f"not valid TOML: {e}", path=shown) from None
        line, message = syntax_error(text, e)
        raise error(f"not valid TOML: {message}", path=shown, line=line) from None


_AT = re.compile(r"^(?P<msg>.*) \(at line (?P<line>\d+), column (?P<column>\d+)\)$", re.S)


def syntax_error(text: str, error: Exception) -> tuple[int | None, str]:
    """(the line to fix, what is wrong there) for a TOMLDecodeError: tomllib names where it gave up, which for an
    unclosed list is the line after it; a bare word where a value goes is text without its quotes."""
    found = _AT.match(str(error))
    if found is None:
        return None, str(error)
    msg, line, column = found["msg"], int(found["line"]), int(found["column"])
    lines = text.splitlines()
    if msg.startswith("Unclosed array"):
        opened = _open_bracket(lines[:line - 1])
        if opened is not None:
            return opened, (f"a '[' on this line is never closed (TOML gave up at line {line}, column {column}): "
                            "end the list with ']' (a list of cases may span lines, each case a { ... } table)")
    here = lines[line - 1][column - 1:] if 0 < line <= len(lines) else ""
    if msg == "Invalid value" and re.match(r"[A-Za-z_]", here):
        word = re.match(r"[\w.+-]+", here)
        return line, (f"{msg} at column {column}: text is written in double quotes, e.g. \"{word.group(0)}\""
                      if word else f"{msg} at column {column}")
    if msg.startswith(("Cannot overwrite a value", "Cannot declare")):
        return line, f"{msg} at column {column}: a key or table is set twice; keep one"
    return line, f"{msg} at column {column}"


def _open_bracket(lines: list[str]) -> int | None:
    """The 1-based line of the last '[' of a value still open at the end of ``lines`` (strings, comments and
    table headers skipped); None when every bracket is closed."""
    stack: list[int] = []
    for number, line in enumerate(lines, start=1):
        if not stack and _HEADER.match(line):
            continue
        quote = ""
        for char in line:
            if quote:
                quote = "" if char == quote else quote
            elif char in "\"'":
                quote = char
            elif char == "#":
                break
            elif char == "[":
                stack.append(number)
            elif char == "]" and stack:
                stack.pop()
    return stack[0] if stack else None


def line_of(text: str, table: str = "", key: str | None = None, nth: int = 0) -> int | None:
    """The line where ``key`` is set in ``[table]`` (the ``nth`` one for ``[[table]]``), or the
    table's header line when ``key`` is None; None when it was written in a way not looked for."""
    current, seen = "", -1
    header_line = None
    key_re = re.compile(rf"^\s*(?:{re.escape(key)}|\"{re.escape(key)}\"|'{re.escape(key)}')\s*=") if key else None
    for number, line in enumerate(text.splitlines(), start=1):
        m = _HEADER.match(line)
        if m:
            current = m.group(2).replace(" ", "")
            if current == table:
                seen += 1
                if seen == nth:
                    header_line = number
                    if key is None:
                        return number
            continue
        if key_re and current == table and (table == "" or seen == nth) and key_re.match(line):
            return number
    return header_line


def line_of_item(text: str, table: str, key: str, index: int) -> int | None:
    """The line where entry ``index`` of the list ``key = [...]`` in ``[table]`` starts (a list of
    inline tables, one a line or several), else the key's own line."""
    start = line_of(text, table, key)
    if start is None:
        return None
    lines = text.splitlines()
    depth, seen, quote = 0, -1, ""
    for number in range(start, len(lines) + 1):
        line = lines[number - 1]
        column = line.index("=") + 1 if number == start else 0
        for char in line[column:]:
            if quote:
                quote = "" if char == quote else quote
            elif char in "\"'":
                quote = char
            elif char == "#":
                break
            elif char in "[{":
                depth += 1
                if depth == 2:
                    seen += 1
                    if seen == index:
                        return number
            elif char in "]}":
                depth -= 1
                if depth == 0:
                    return start
    return start


def did_you_mean(value: object, choices: Sequence[str]) -> str:
    """`` - did you mean 'x'?`` when ``value`` looks like a misspelt choice; else ''."""
    if not isinstance(value, str):
        return ""
    same = [c for c in choices if c.lower() == value.lower()]  # 'n' for 'N': too short for difflib
    close = same or difflib.get_close_matches(value, list(choices), n=1, cutoff=0.6)
    return f" - did you mean {close[0]!r}?" if close else ""


def toml_value(value: Any) -> str:
    """``value`` as it is written in a TOML file."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
