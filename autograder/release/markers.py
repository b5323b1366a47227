"""Solution regions: find the '# BEGIN SOLUTION' / '# END SOLUTION' pairs in a solution file,
and rewrite its lines into the starter (regions stubbed) or reference (markers dropped) version
(release/solution.py holds a solution file with its regions, found once).

A marker is a comment on a line of its own (``# BEGIN SOLUTION``, ``### END SOLUTION`` and
trailing words are fine). Markers are found with ``tokenize`` so that the words inside a
string literal are never taken for a marker. Everything outside a region is passed through
byte for byte, line endings included.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from dataclasses import dataclass
from typing import Sequence

from ..errors import KitError, MarkerError

_MARKER = re.compile(r"#+\s*(BEGIN|END)\s+SOLUTION\b")


@dataclass(frozen=True)
class SolutionRegion:
    """One solution region; line numbers are 1-based and point at the marker lines.

    ``body`` holds the lines between the markers without their line endings.
    ``function`` is the dotted name of the innermost enclosing function
    (``"predict"``, ``"MLP.forward"``), or None for a region outside any function.
    """

    start_line: int
    end_line: int
    indent: str
    function: str | None
    body: list[str]


def split_lines(text: str) -> list[str]:
    """Lines with their endings kept, split on '\\n' only (as tokenize does)."""
    return io.StringIO(text, newline="\n").readlines()


def _line_ending(line: str) -> str:
    return line[len(line.rstrip("\r\n")):]


def _indent_of(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))]


def _describe_indent(indent: str) -> str:
    if not indent:
        return "not indented"
    if set(indent) == {" "}:
        return f"indented {len(indent)} space{'s' if len(indent) != 1 else ''}"
    return f"indented {indent!r}"


def parse_python(text: str, path: str) -> ast.Module:
    """``text`` parsed; KitError at the line of a syntax error."""
    try:
        return ast.parse(text, filename=path)
    except SyntaxError as e:
        raise KitError(f"is not valid Python ({e.msg})", path=path, line=e.lineno) from None


def _markers(text: str, lines: list[str], path: str) -> list[tuple[int, str]]:
    """(line, 'BEGIN' | 'END') for every marker comment, in file order."""
    found: list[tuple[int, str]] = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text, newline="\n").readline):
            if tok.type != tokenize.COMMENT:
                continue
            match = _MARKER.match(tok.string)
            if match is None:
                continue
            line_no, col = tok.start
            if lines[line_no - 1][:col].strip():
                # A marker after code would cut a statement in two in the starter.
                raise MarkerError(f"{match.group(1)} SOLUTION must be on a line of its own",
                                  path=path, line=line_no)
            found.append((line_no, match.group(1)))
    except SyntaxError as e:  # IndentationError from tokenize
        raise KitError(f"is not valid Python ({e.msg})", path=path, line=e.lineno) from None
    except tokenize.TokenError as e:  # args: (message, (line, column))
        raise KitError(f"is not valid Python ({e.args[0]})", path=path, line=e.args[1][0]) from None
    return found


@dataclass(frozen=True)
class _Scope:
    qualname: str
    is_function: bool
    def_line: int
    col: int
    last_line: int  # last line that still belongs to it (trailing comments included)


def _scopes(tree: ast.Module, n_lines: int) -> list[_Scope]:
    """Every def/class with the line span a comment inside it can occupy."""
    starts = sorted(
        (min([s.lineno] + [d.lineno for d in getattr(s, "decorator_list", [])]), s.col_offset)
        for s in ast.walk(tree) if isinstance(s, ast.stmt)
    )
    scopes: list[_Scope] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                qualname = f"{prefix}{child.name}"
                # A scope ends where the next statement at its own indentation (or less) starts.
                nxt = [line for line, col in starts
                       if line > (child.end_lineno or child.lineno) and col <= child.col_offset]
                last = (nxt[0] - 1) if nxt else n_lines
                scopes.append(_Scope(qualname, not isinstance(child, ast.ClassDef),
                                     child.lineno, child.col_offset, last))
                visit(child, qualname + ".")
            else:
                visit(child, prefix)

    visit(tree, "")
    return scopes


def _enclosing_function(scopes: list[_Scope], line: int, indent: str) -> str | None:
    inside = [s for s in scopes if s.def_line < line <= s.last_line and s.col < len(indent)]
    if not inside:
        return None
    innermost = max(inside, key=lambda s: (s.col, s.def_line))
    return innermost.qualname if innermost.is_function else None


def _check_statements(tree: ast.Module, region: SolutionRegion, path: str) -> None:
    """A region must hold whole statements at (or below) its markers' indentation."""
    for stmt in ast.walk(tree):
        if not isinstance(stmt, ast.stmt):
            continue
        end = stmt.end_lineno or stmt.lineno
        for marker_line in (region.start_line, region.end_line):
            compound = hasattr(stmt, "body") or hasattr(stmt, "cases")  # if/for/def/match...
            if not compound and stmt.lineno < marker_line < end:
                raise MarkerError(f"solution marker inside a statement (lines {stmt.lineno}-{end}); "
                                  "markers must sit between statements", path=path, line=marker_line)
        if region.start_line < stmt.lineno < region.end_line and stmt.col_offset < len(region.indent):
            raise MarkerError(f"line {stmt.lineno} is indented less than the BEGIN SOLUTION marker "
                              f"at line {region.start_line}; a region must stay inside one block",
                              path=path, line=stmt.lineno)


def find_regions(text: str, path: str, tree: ast.Module) -> list[SolutionRegion]:
    """All solution regions of a solution file (``tree``: its text parsed, which comes first: ast's syntax
    errors point at the right line), in order; MarkerError (``path:line``) on bad markers."""
    lines = split_lines(text)
    markers = _markers(text, lines, path)
    scopes = _scopes(tree, len(lines))
    regions: list[SolutionRegion] = []
    open_line: int | None = None
    for line_no, kind in markers:
        indent = _indent_of(lines[line_no - 1])
        if kind == "BEGIN":
            if open_line is not None:
                # Most often an END SOLUTION left out; a region nested in another is refused alike.
                raise MarkerError(f"BEGIN SOLUTION at line {open_line} is never closed: write '# END SOLUTION', "
                                  f"indented like it, where its region ends, before the next BEGIN SOLUTION at "
                                  f"line {line_no} (regions cannot nest)", path=path, line=open_line)
            open_line = line_no
            continue
        if open_line is None:
            raise MarkerError("END SOLUTION without a BEGIN SOLUTION before it", path=path, line=line_no)
        begin_indent = _indent_of(lines[open_line - 1])
        if indent != begin_indent:
            raise MarkerError(f"END SOLUTION is {_describe_indent(indent)} but its BEGIN SOLUTION "
                              f"(line {open_line}) is {_describe_indent(begin_indent)}",
                              path=path, line=line_no)
        region = SolutionRegion(
            start_line=open_line,
            end_line=line_no,
            indent=begin_indent,
            function=_enclosing_function(scopes, open_line, begin_indent),
            body=[line.rstrip("\r\n") for line in lines[open_line:line_no - 1]],
        )
        _check_statements(tree, region, path)
        regions.append(region)
        open_line = None
    if open_line is not None:
        raise MarkerError(f"BEGIN SOLUTION at line {open_line} is never closed: write '# END SOLUTION', "
                          "indented like it, where its region ends", path=path, line=open_line)
    return regions


def stub_lines(region: SolutionRegion, newline: str = "\n") -> list[str]:
    """The two lines a region becomes in the starter (each ending with ``newline``)."""
    name = region.function
    what = name if name is not None else "this part"
    return [
        f"{region.indent}# TODO: implement {what}.{newline}",
        f'{region.indent}raise NotImplementedError("{what} is not implemented yet: '
        f'replace this line with your code."){newline}',
    ]


def rewrite(lines: Sequence[str], regions: Sequence[SolutionRegion], *, keep_solution: bool,
            first: int = 1, last: int | None = None) -> str:
    """Lines ``first`` to ``last`` (1-based, inclusive; default: all) with each region among them rewritten:
    its code kept and its markers dropped (the reference), or the whole region stubbed (the starter)."""
    last = len(lines) if last is None else last
    out: list[str] = []
    cursor = first - 1  # index of the next line not yet copied
    for region in regions:
        if region.start_line < first or region.end_line > last:
            continue
        begin, end = region.start_line - 1, region.end_line - 1
        out.extend(lines[cursor:begin])
        if keep_solution:
            out.extend(lines[begin + 1:end])
        else:
            stub = stub_lines(region, _line_ending(lines[begin]) or "\n")
            # The END line's ending (possibly none, at end of file) closes the stub.
            stub[-1] = stub[-1].rstrip("\r\n") + _line_ending(lines[end])
            out.extend(stub)
        cursor = end + 1
    out.extend(lines[cursor:last])
    return "".join(out)
