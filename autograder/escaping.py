"""One escaping rule per output medium, for everything a student controls (file and folder names,
exception messages, notes, written answers) and everything we quote back to a reader.

- terminal (and any plain text a person reads: Gradescope's text outputs): ``for_terminal``,
  written through ``say``; control characters, escape sequences, bidi and zero-width marks are
  shown as escapes (``\\x1b``, ``\\u202e``), so nothing clears a screen, moves the cursor, makes a
  link or reorders a line;
- CSV: ``csv_text`` is the one writer of every CSV the kit writes; ``csv_cell`` guards a text
  cell that a spreadsheet would take as a formula (OWASP's CSV injection rule), ``csv_value``
  takes the guard off when the kit reads its own CSV back;
- Markdown: ``markdown_text`` (a name or sentence inside our own Markdown), ``markdown_code`` (an
  inline code span), ``markdown_code_block`` (a fenced block), ``markdown_answer`` (a student's
  own Markdown: as written when it holds nothing live, else as a code block);
- HTML: ``html_text``.

Each function takes plain text and gives the medium's text once: never feed one's output to
another (a name shown in Markdown gets ``markdown_text`` only, never ``html_text`` as well).
"""

from __future__ import annotations

import csv
import functools
import html
import io
import re
import sys
from collections.abc import Iterable

# Characters that draw nothing or steer the terminal or the text's direction: C0 and C1 controls
# (ESC starts CSI and OSC sequences, U+009B is CSI by itself), DEL, the soft hyphen, Unicode's
# format characters (bidi embeddings, overrides and isolates, zero-width space and joiners, the
# byte order mark, invisible operators, tags), line and paragraph separators and lone surrogates
# (an undecodable byte in a file name, which would also make print() fail).
_INVISIBLE = (
    "\x00-\x08\x0b-\x1f\x7f-\x9f\xad\u0600-\u0605\u061c\u06dd\u070f\u180e\u200b-\u200f"
    "\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\ud800-\udfff\U000e0001\U000e0020-\U000e007f"
)
_HIDDEN_KEEP_LINES = re.compile(f"[{_INVISIBLE}]")          # newline and tab stay
_HIDDEN_ONE_LINE = re.compile(f"[{_INVISIBLE}\n]")          # a newline is shown too


_NAMED = {"\n": "\\n", "\r": "\\r"}


def _shown(match: re.Match) -> str:
    if match[0] in _NAMED:
        return _NAMED[match[0]]
    code = ord(match[0])
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def visible(text: object, *, newlines: bool = True) -> str:
    """text with every invisible or steering character written out as its escape (as Python's repr
    writes it), newlines and tabs kept (newlines too shown as ``\\n`` when ``newlines`` is false)."""
    pattern = _HIDDEN_KEEP_LINES if newlines else _HIDDEN_ONE_LINE
    return pattern.sub(_shown, str(text))


# --- terminal ------------------------------------------------------------------------------

def for_terminal(text: object, *, newlines: bool = True) -> str:
    """The terminal's rule: text a terminal shows as written, with no escape sequence, carriage
    return, backspace, bidi override or zero-width mark left to act (each is shown as its escape)."""
    return visible(text, newlines=newlines)


def say(*lines: object, err: bool = False) -> None:
    """Print lines for a person: every command-line output of names, notes or messages goes through here.
    Each argument is one line; a newline inside one (a file's name) is shown as ``\\n``, so no name can
    make a line of its own (a fake score)."""
    print("\n".join(for_terminal(line, newlines=False) for line in lines), file=sys.stderr if err else sys.stdout)


# --- CSV -----------------------------------------------------------------------------------

# OWASP's CSV injection triggers (and their full-width forms, which some spreadsheets also take).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def csv_cell(value: object) -> object:
    """A CSV cell a spreadsheet shows as written: text starting with = + - @ tab or CR gets a leading
    apostrophe (OWASP), so ``=HYPERLINK(...)`` or ``@SUM(1)`` is never run as a formula.

    Only text is guarded: a number (an int or float, or text that is one plain decimal number such as
    the kit's ``-1.50``) stays a number, since a number can run nothing and a guard would make
    a negative score text for the spreadsheet and the LMS.
    """
    if not isinstance(value, str) or not value.startswith(_FORMULA_START) or _NUMBER.fullmatch(value):
        return value
    return "'" + value


def csv_value(cell: str) -> str:
    """A cell of a CSV the kit wrote, as it was before csv_cell (a guard's apostrophe taken off)."""
    if cell.startswith("'") and cell[1:].startswith(_FORMULA_START) and not _NUMBER.fullmatch(cell[1:]):
        return cell[1:]
    return cell


def csv_text(rows: Iterable[Iterable[object]]) -> str:
    """The CSV's text, every cell through csv_cell: the one writer of every CSV the kit writes."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for row in rows:
        writer.writerow([csv_cell(value) for value in row])
    return buffer.getvalue()


# --- Markdown ------------------------------------------------------------------------------

# Markdown's punctuation; an underscore inside a word (linear_regression) opens no emphasis and stays bare.
_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*\[\]#|~$]|(?<![^\W_])_|_(?![^\W_]))")


# What a renderer with linkify (GitHub's autolinks, markdown-it's linkify) makes a link of, escapes or not:
# a scheme and a colon, www., an email address. Such a word is shown as code, which no renderer links.
_LINKABLE = re.compile(r"(?i)(?<![\w.+-])(?:[a-z][a-z0-9+.-]*:[^\s:]\S*|www\.\S+)|[^\s@]+@[^\s@]+\.[^\s@:;,]+")


def markdown_text(text: object) -> str:
    """Text that CommonMark and GitHub's Markdown show as written, on one line: no emphasis, code,
    links (a word a renderer would link by itself: as code), images, tables, headings, lists, math or raw
    HTML (& < > as entities, the rest of Markdown's punctuation backslash-escaped); invisible characters
    shown as escapes, newlines as spaces. Our own Markdown puts it anywhere in a line, at the start of a
    paragraph too."""
    out = visible(text).replace("\n", " ")
    pieces = _LINKABLE.split(out)
    words = _LINKABLE.findall(out)
    out = "".join(_plain_markdown(piece) + (markdown_code(word) if i < len(words) else "")
                  for i, (piece, word) in enumerate(zip(pieces, [*words, ""])))
    out = re.sub(r"^[ \t]", "&#32;", out)                 # indented four spaces it would be a code block
    out = re.sub(r"^([-+=])", r"\\\1", out)              # a list item, a setext heading's line
    return re.sub(r"^(\d+)([.)])", r"\1\\\2", out)        # an ordered list item


def _plain_markdown(text: str) -> str:
    """& < > as entities, Markdown's punctuation backslash-escaped."""
    out = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", out)


def _longest_backticks(text: str) -> int:
    return max((len(run) for run in re.findall(r"`+", text)), default=0)


def markdown_code(text: object) -> str:
    """An inline code span showing text as written, on one line: its backtick fence is longer than
    any run of backticks in it, so nothing in it can close the span early (and within a span
    nothing is Markdown or HTML)."""
    out = visible(text, newlines=False)     # a newline would end our heading or table row: no line is its own
    fence = "`" * (_longest_backticks(out) + 1)
    # CommonMark takes one space off each end when both have one, and a backtick at an end would join the fence.
    pad = " " if out[:1] == "`" or out[-1:] == "`" or (out[:1] == " " and out[-1:] == " ") or not out else ""
    return f"{fence}{pad}{out}{pad}{fence}"


def markdown_code_block(text: object, info: str = "") -> str:
    """A fenced code block showing text as written: the fence is longer than any run of backticks in
    it, so no line of it can close the block."""
    out = visible(text)
    fence = "`" * max(3, _longest_backticks(out) + 1)
    return f"{fence}{info}\n{out}\n{fence}"


_SAFE_SCHEME = re.compile(r"(?i)(https?|mailto):")
_ANY_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_TAG_START = re.compile(r"<[A-Za-z/!?]")                          # what opens raw HTML or an autolink
_SCRIPT_URL = re.compile(r"(?i)\b(?:java|vb|live)script\s*:")
_FOOTNOTE = re.compile(r"\[\^[^\]\n]*\]:")   # GitHub's footnote definition: its text goes to the end of the file
_CODE_TOKENS = ("code_inline", "fence", "code_block")
AS_TEXT_NOTE = ("*(shown as text: this answer holds raw HTML, an image, a heading, a link definition or a link that "
                "is not http(s))*")


@functools.lru_cache(maxsize=16)  # answers.md and feedback.md show the same answers: one parse each
def _live(text: str) -> bool:
    """Does the Markdown hold anything that acts in a reader: raw HTML, an autolink, an image, a
    link to anything but http(s) or mailto, or a code fence left open (which would swallow what
    follows it in our file)? Or anything that reaches past the answer in our file: a heading (a forged
    "Question 2" section) or a link definition (it applies to the whole file: it would make links of
    the question's text or of another answer's brackets, with no link in this answer to judge). Judged
    on markdown-it's CommonMark parse, with a belt for readers that parse a little differently: every
    ``<tag``, ``javascript:`` and footnote definition ``[^1]:`` must lie inside code."""
    env: dict = {}
    tokens = _parser().parse(text, env)
    if env.get("references"):  # [x]: url, and GitHub's footnotes [^1]: ... (shown at the end of the file)
        return True
    lines = text.split("\n")
    code: list[str] = []
    for token in [t for block in tokens for t in [block, *(block.children or [])]]:
        if token.type in ("html_block", "html_inline", "image", "heading_open"):
            return True
        if token.type == "link_open":
            href = str(token.attrGet("href") or "").strip()
            if _ANY_SCHEME.match(href) and not _SAFE_SCHEME.match(href):
                return True
        if token.type in _CODE_TOKENS:
            code.append(token.content)
        if token.type == "fence" and token.map:
            last = re.sub(r"^[\s>*+\-\d.)]*", "", lines[token.map[1] - 1]).strip()   # in a quote or a list too
            if token.map[1] - token.map[0] < 2 or not (last.startswith(token.markup) and
                                                       set(last) == {token.markup[0]}):
                return True
    inside = "\n".join(code)
    return any(len(p.findall(text)) > len(p.findall(inside)) for p in (_TAG_START, _SCRIPT_URL, _FOOTNOTE))


@functools.lru_cache(maxsize=1)
def _parser():
    """One CommonMark parser for _live (building one costs more than parsing a short answer)."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark").enable("table")
    md.validateLink = lambda url: True      # judge every link here, javascript: ones included
    return md


def markdown_answer(text: object) -> str:
    """A student's own Markdown (a written answer) for our Markdown files: as written when it holds
    nothing live, so its math, lists and code show as meant; else the whole answer as a code
    block, after a line saying why, so the reader sees exactly what was written and nothing runs.
    (The HTML pages render answers themselves, raw HTML as text: answers_page.markdown_html.)"""
    out = visible(text)
    if not _live(out):
        return out
    return AS_TEXT_NOTE + "\n\n" + markdown_code_block(out, "text")


# --- HTML ----------------------------------------------------------------------------------

def html_text(text: object) -> str:
    """Text for HTML, in an element or a quoted attribute: & < > " ' as references, and invisible
    characters (controls, bidi overrides, zero-width marks) shown as escapes so they reorder nothing."""
    return html.escape(visible(text), quote=True)
