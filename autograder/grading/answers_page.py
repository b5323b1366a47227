"""One printable page per student with their written answers, for grading by hand.

``grade`` writes OUT/<student>/answers.html next to answers.md whenever a submission has
answer cells. Each question starts on a new printed page: "Question 1 (q1)", its text from the
assignment's notebook source, the student's answer (matched by the question id its cell's tag
carries: answer_sheet.py) and a box for the points and the grader's comments. The gradebook's
manual-scores CSV (``--manual``: student,question,points,max_points) names the question by its
id (q1) or its number.

Math is typeset here, not in the browser: latex2mathml turns each $...$ and $$...$$ into
MathML, which browsers draw natively, so the page needs no script, font or network. The
MathML is rebuilt from its element tree with links and styles removed, and the page's
Content-Security-Policy forbids loading or running anything, so a student's answer can
only ever be text and math. Nor can it forge the page's own structure: a heading in an answer is shown
as the text it is (no "Question 2" of the student's making), and characters that draw nothing or reorder
the text (bidi overrides, zero-width marks, a lone surrogate, which no UTF-8 file can hold) are shown as
their escapes, written as such or as character references.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Sequence
from xml.etree.ElementTree import Element, tostring

from ..atomic import write_atomically
from ..escaping import html_text, visible
from ..release.questions import Question
from .answer_sheet import answer_sheet
from .grade import SubmissionResult

_UNSAFE_ATTRIBUTES = re.compile(r"^(href|src|style|class|id|on.*|.*:.*)$", re.IGNORECASE)
_DOUBLED_REFERENCE = re.compile(r"&amp;(#x?[0-9A-Fa-f]+;)")


def load_renderer() -> None:
    """Import the Markdown and MathML renderers now (they are imported on first use otherwise)."""
    import latex2mathml.converter  # noqa: F401
    import markdown_it  # noqa: F401
    import mdit_py_plugins.dollarmath  # noqa: F401


def math_html(tex: str, display: bool) -> str:
    """TeX as MathML, or the TeX itself in <code> when it cannot be converted."""
    from latex2mathml.converter import convert_to_element
    try:
        root = convert_to_element(tex, display="block" if display else "inline")
    except Exception:  # latex2mathml raises many kinds on bad TeX; the student's text is still shown
        return f'<code class="tex">{html_text(tex)}</code>'
    for element in root.iter():
        for name in [n for n in element.attrib if _UNSAFE_ATTRIBUTES.match(n) and n != "xmlns"]:
            del element.attrib[name]
    # tostring escapes text; latex2mathml's own character references come out doubled.
    return _DOUBLED_REFERENCE.sub(_reference, tostring(root, encoding="unicode"))


def _reference(match: re.Match) -> str:
    """A doubled character reference undoubled, unless it names no character or one that draws nothing or
    reorders the text (``\\text{&#x202e;}``): then that character's escape, as html_text shows it."""
    number = match.group(1)[1:-1]
    try:
        char = chr(int(number[1:], 16) if number[:1] in "xX" else int(number))
    except (ValueError, OverflowError):
        return match.group(0)  # "&#1a;", "&#x110000;": shown as the text it is
    return "&" + match.group(1) if visible(char) == char else html_text(char)


def markdown_html(text: str) -> str:
    """An answer's Markdown as HTML: raw HTML and headings shown as text, math as MathML, invisible and
    steering characters (raw, or made by a character reference such as ``&#x202e;``) as their escapes."""
    return visible(_renderer().render(bracket_math_as_dollars(text)))


@functools.lru_cache(maxsize=1)
def _renderer():
    """One Markdown renderer for every answer (building one costs more than rendering a short answer)."""
    from markdown_it import MarkdownIt

    from mdit_py_plugins.dollarmath import dollarmath_plugin

    md = MarkdownIt("commonmark", {"html": False}).enable("table").disable(["heading", "lheading"])
    md.use(dollarmath_plugin, double_inline=True,
           renderer=lambda tex, opts: math_html(tex, bool(opts.get("display_mode"))))
    return md


def bracket_math_as_dollars(text: str) -> str:
    """Jupyter's \\( \\) and \\[ \\] math as $ $ and $$ $$, in one pass (time linear in the text).

    What ``re.sub(r"\\\\\\((.+?)\\\\\\)|\\\\\\[(.+?)\\\\\\]", ..., flags=re.DOTALL)`` does, leftmost first,
    without its quadratic time on many openings with no closing (each opening searched to the end): an
    opening with no closing after it means that no later opening of its kind has one either."""
    out, at, pairs = [], 0, {"(": ("\\)", "$"), "[": ("\\]", "$$")}
    found = {kind: text.find("\\" + kind) for kind in pairs}  # the next opening of each kind at or after `at`
    while True:
        kind = min((k for k in found if found[k] >= 0), key=lambda k: found[k], default=None)
        if kind is None:
            break
        start = found[kind]
        close, dollars = pairs[kind]
        end = text.find(close, start + 3)  # at least one character of math between
        if end < 0:
            found[kind] = -1  # no closing after this opening: none after any later one either
            continue
        out += [text[at:start], dollars, text[start + 2:end], dollars]
        at = end + 2
        found = {k: text.find("\\" + k, at) if 0 <= found[k] < at else found[k] for k in pairs}  # each goes forward
    out.append(text[at:])
    return "".join(out)


def answers_html(result: SubmissionResult, student: str, questions: Sequence[Question] | None = None) -> str:
    """The whole page for one student; questions: the assignment's (their text), None when not known."""
    e = html_text
    who = f"<code>{e(student)}</code> &middot; <code>{e(result.path.name)}</code>"
    sheet = answer_sheet(result.answers, questions)
    sections = []
    for entry in sheet.entries:
        answer = markdown_html(entry.text) if entry.empty is None else f'<p class="empty">{e(entry.empty)}</p>'
        asked = f'<div class="prompt">\n{markdown_html(entry.question)}</div>\n' if entry.question else ""
        sections.append(
            f'<section class="question" id="{e(entry.anchor)}">\n'
            f'<header><span class="who">{who}</span><span class="where">{e(entry.where)}</span></header>\n'
            f"<h2>{e(entry.title)}</h2>\n{asked}<div class=\"answer\">\n{answer}</div>\n"
            '<div class="grading"><span>Points: ______ / ______</span><span>Grader: __________</span>'
            '<div class="comments">Comments:</div></div>\n</section>')
    head = ['<meta charset="utf-8">', '<meta name="viewport" content="width=device-width, initial-scale=1">',
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">",
            f"<title>Written answers: {e(student)}</title>", f"<style>{_CSS}</style>"]
    note = [f'<p class="note">{e(sheet.note)}</p>'] if sheet.note else []
    body = [f"<h1>Written answers: {who}</h1>", *note,
            f'<p class="lead">{len(sheet.entries)} question(s). The grading room (<code>course-kit grading-room'
            "</code>) grades them by question, for every student at once; graded on paper, the gradebook takes the "
            "points as a CSV: <code>student,question,points,max_points</code>, "
            f"with <code>{e(student)}</code> and the question's id (<code>q1</code>) or number.</p>", *sections]
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n" + "\n".join(head) + "\n</head>\n<body>\n"
            + "\n".join(body) + "\n</body>\n</html>\n")


def write_answers_page(result: SubmissionResult, folder: Path, questions: Sequence[Question] | None = None) -> Path:
    """folder/answers.html, named after the folder (the submission's name in grades.csv)."""
    path = Path(folder) / "answers.html"
    write_atomically(path, answers_html(result, Path(folder).name, questions))
    return path


_CSS = """
body { font: 16px/1.55 Georgia, "Times New Roman", serif; color: #111; max-width: 46em; margin: 2em auto;
       padding: 0 1.5em; }
h1 { font: 600 1.35em/1.3 system-ui, sans-serif; } h2 { font: 600 1.15em/1.3 system-ui, sans-serif; margin: .4em 0; }
code { font: .9em ui-monospace, "DejaVu Sans Mono", monospace; }
pre { background: #f6f6f6; padding: .6em; white-space: pre-wrap; }
table { border-collapse: collapse; } th, td { border: 1px solid #999; padding: .2em .7em; text-align: left; }
.lead { color: #444; font-size: .9em; }
section.question { border-top: 1px solid #bbb; margin-top: 2em; padding-top: .6em; }
section.question header { display: flex; justify-content: space-between; font: .8em system-ui, sans-serif;
                          color: #555; }
.prompt { border-left: 3px solid #bbb; padding: 0 .8em; color: #333; margin-bottom: 1em; }
.note { font: .9em system-ui, sans-serif; background: #fff8c5; padding: .4em .7em; }
.answer { min-height: 6em; } .empty { color: #777; font-style: italic; }
math[display="block"] { margin: .8em 0; }
.grading { border: 1.5px solid #333; padding: .6em .8em; margin-top: 1.2em; font: .95em system-ui, sans-serif;
           display: flex; flex-wrap: wrap; gap: 2em; break-inside: avoid; }
.comments { flex-basis: 100%; min-height: 5em; }
@page { margin: 18mm 16mm; }
@media print {
  body { margin: 0; max-width: none; font-size: 11.5pt; }
  .lead { display: none; }
  section.question { break-before: page; border-top: none; margin-top: 0; }
  section.question:first-of-type { break-before: auto; }
}
"""
