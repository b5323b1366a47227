"""A feedback page per submission, beside results.json: feedback.md and feedback.html.

The page has the score, a table of the parts, the hints, notes, each part's report (the same
lines as in results.json, in a monospace block) and the written answers, each under its question
(answer_sheet.py). The HTML is plain
styled HTML that needs no network: written answers are Markdown (markdown-it-py, raw HTML
shown as text) with their ``$...$`` math turned into MathML here (answers_page.markdown_html),
which browsers draw themselves. Everything the student wrote or the grader quotes back is
escaped, and a Content-Security-Policy forbids loading or running anything.

Both pages keep a place for the written questions' grades (written_grades.py): ``grade`` fills it from the
student's written-grades.json when ``grading-room --feedback`` has written one, and leaves it empty before.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Sequence

from ..atomic import write_atomically
from ..checks import report
from ..checks.verdict import PartVerdict
from ..errors import KitError
from ..escaping import html_text, markdown_code, markdown_code_block, markdown_text
from ..release.questions import Question
from .answer_sheet import answer_sheet, sheet_markdown
from .grade import SubmissionResult
from .written_grades import WRITTEN_END, WRITTEN_START, WrittenGrade, load_written, written_html, written_markdown


def write_feedback(result: SubmissionResult, folder: Path, show_hidden: bool = False,
                   questions: Sequence[Question] | None = None) -> None:
    """Write folder/feedback.md and folder/feedback.html for one graded submission.

    Like Gradescope's view before the due date, the pages list public cases in full and hidden
    cases by their counts; show_hidden puts the hidden cases' details in (once submissions have closed).
    questions: the assignment's written questions, shown beside the answers (None: not known).
    """
    try:
        written = load_written(folder)  # grades the grading room gave (a regrade keeps them: written_grades.py)
    except KitError as e:  # one damaged file must not stop a batch: the place stays empty until --feedback again
        print(f"warning: {e}; its feedback pages show no written grades", file=sys.stderr)
        written = []
    write_atomically(folder / "feedback.md", feedback_markdown(result, show_hidden, questions, written))
    write_atomically(folder / "feedback.html", feedback_html(result, show_hidden, questions, written))


def _hints(result: SubmissionResult, show_hidden: bool) -> list[tuple[str, str]]:
    return [(p.name, h) for p in result.parts for h in (p.hints if show_hidden else p.public_hints)]


def _cases(part: PartVerdict) -> str:
    return f"{part.passed}/{part.total}"


def _report(part: PartVerdict, show_hidden: bool) -> str:
    return "\n".join(report.part_report(part, show_hidden=show_hidden))


# --- Markdown -------------------------------------------------------------------------------

def feedback_markdown(result: SubmissionResult, show_hidden: bool = False,
                      questions: Sequence[Question] | None = None, written: Sequence[WrittenGrade] = ()) -> str:
    lines = [f"# Feedback on {markdown_code(result.path.name)}", "",
             f"**Score: {result.score:g} / {result.max_score:g}**", ""]
    if result.error:
        lines += [f"**This submission could not be graded:** {markdown_text(result.error)}", ""]
    lines += ["| part | score | cases passed |", "| --- | ---: | ---: |"]
    lines += [f"| `{p.name}` | {p.score:g} / {p.points:g} | {_cases(p)} |" for p in result.parts]
    lines += ["", WRITTEN_START, *written_markdown(written), WRITTEN_END, ""]
    if _hints(result, show_hidden):
        lines += ["## Hints", ""] + [f"- `{part}`: {markdown_text(h)}" for part, h in _hints(result, show_hidden)]
        lines.append("")
    if result.notes:
        lines += ["## Notes", ""] + [f"- {markdown_text(n)}" for n in result.notes] + [""]
    lines += ["## Each part", ""]
    for p in result.parts:
        lines += [f"### {p.name}: {p.score:g} / {p.points:g}", "",
                  markdown_code_block(_report(p, show_hidden), "text"), ""]
    if result.answers:
        lines += ["## Written answers", "", *sheet_markdown(answer_sheet(result.answers, questions), 3)]
    return "\n".join(lines)


# --- HTML -----------------------------------------------------------------------------------

_CSS = """
body { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
       color: #1f2328; background: #fff; max-width: 960px; margin: 2rem auto; padding: 0 1.25rem; }
h1 { font-size: 1.6rem; margin: 0 0 .25rem; }
h2 { font-size: 1.25rem; margin: 2rem 0 .6rem; padding-bottom: .25rem; border-bottom: 1px solid #d0d7de; }
h3 { font-size: 1.05rem; margin: 1.4rem 0 .4rem; }
code, pre { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", monospace; }
.score { font-size: 1.35rem; margin: .25rem 0 1rem; }
.score strong { font-size: 1.8rem; }
.error { background: #ffebe9; border: 1px solid #ff8182; border-radius: 6px; padding: .6rem .8rem; }
table { border-collapse: collapse; margin: .5rem 0; }
th, td { border: 1px solid #d0d7de; padding: .3rem .8rem; text-align: left; }
th { background: #f6f8fa; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.full td.mark { background: #dafbe1; }
tr.partial td.mark { background: #fff8c5; }
tr.none td.mark { background: #ffebe9; }
tfoot td { font-weight: 600; }
a { color: #0969da; text-decoration: none; }
a:hover { text-decoration: underline; }
pre { background: #f6f8fa; border: 1px solid #d0d7de; border-radius: 6px; padding: .75rem 1rem;
      font-size: .85rem; line-height: 1.45; white-space: pre-wrap; overflow-wrap: break-word; }
pre .line { display: block; padding-left: 6ch; text-indent: -6ch; }  /* a wrapped line hangs under its start */
pre .hint { color: #7d4e00; font-weight: 600; }
ul.hints li { margin: .3rem 0; }
.answer { border-left: 4px solid #d0d7de; padding: 0 1rem; margin: .5rem 0 1rem; }
.prompt { color: #59636e; } .where { color: #59636e; font-size: .85rem; margin: .2rem 0; }
.note { background: #fff8c5; border-radius: 6px; padding: .4rem .8rem; }
.answer h1, .answer h2, .answer h3 { font-size: 1rem; border: 0; }
ul.rubric { list-style: none; padding-left: 0; } ul.rubric .pts { display: inline-block; min-width: 4ch;
  font-variant-numeric: tabular-nums; font-weight: 600; }
.comment { white-space: pre-wrap; border-left: 4px solid #0969da; padding: .2rem .8rem; margin: .4rem 0; }
.ungraded { color: #59636e; font-style: italic; }
"""


def _status(part: PartVerdict) -> tuple[str, str]:
    if part.score >= part.points:
        return "full", "full marks"
    return ("partial", "partly") if part.score > 0 else ("none", "no marks")


def _report_block(output: str) -> str:
    """The part's report lines in a <pre>, one block span per line (hints highlighted)."""
    lines = []
    for line in output.splitlines():
        css = "line hint" if line.lstrip().startswith("hint:") else "line"
        lines.append(f'<span class="{css}">{html_text(line) or " "}</span>')
    return "<pre>" + "".join(lines) + "</pre>"


def _answers_html(answers: Sequence[tuple[int, str]], questions: Sequence[Question] | None) -> list[str]:
    from .answers_page import markdown_html as render  # math as MathML: drawn by the browser, nothing loaded
    sheet = answer_sheet(answers, questions)
    out = [f'<p class="note">{html_text(sheet.note)}</p>'] if sheet.note else []
    for entry in sheet.entries:
        body = render(entry.text) if entry.empty is None else f"<p><em>{html_text(entry.empty)}</em></p>"
        asked = f'<div class="prompt">\n{render(entry.question)}</div>\n' if entry.question else ""
        out.append(f'<h3>{html_text(entry.title)}</h3>\n{asked}<p class="where">{html_text(entry.where)}</p>\n'
                   f'<div class="answer">\n{body}</div>')
    return out


_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"  # the page loads and runs nothing


def feedback_html(result: SubmissionResult, show_hidden: bool = False,
                  questions: Sequence[Question] | None = None, written: Sequence[WrittenGrade] = ()) -> str:
    e = html_text
    name = e(result.path.name)
    body = [f"<h1>Feedback on <code>{name}</code></h1>",
            f'<p class="score">Score: <strong>{result.score:g}</strong> / {result.max_score:g}</p>']
    if result.error:
        body.append(f'<p class="error"><strong>This submission could not be graded:</strong> {e(result.error)}</p>')
    rows = []
    for p in result.parts:
        css, word = _status(p)
        rows.append(f'<tr class="{css}"><td><a href="#part-{e(p.name)}"><code>{e(p.name)}</code></a></td>'
                    f'<td class="num mark">{p.score:g} / {p.points:g}</td><td>{word}</td>'
                    f'<td class="num">{_cases(p)}</td></tr>')
    body += ["<h2>Scores</h2>", "<table>",
             "<thead><tr><th>part</th><th>score</th><th>result</th><th>cases passed</th></tr></thead>",
             "<tbody>", *rows, "</tbody>",
             f'<tfoot><tr><td>total</td><td class="num">{result.score:g} / {result.max_score:g}</td>'
             "<td></td><td></td></tr></tfoot>", "</table>", WRITTEN_START, *written_html(written), WRITTEN_END]
    if _hints(result, show_hidden):
        body += ["<h2>Hints</h2>", '<ul class="hints">']
        body += [f"<li><code>{e(part)}</code>: {e(h)}</li>" for part, h in _hints(result, show_hidden)]
        body.append("</ul>")
    if result.notes:
        body += ["<h2>Notes</h2>", "<ul>"] + [f"<li>{e(n)}</li>" for n in result.notes] + ["</ul>"]
    body.append("<h2>Each part</h2>")
    for p in result.parts:
        body += [f'<h3 id="part-{e(p.name)}"><code>{e(p.name)}</code>: {p.score:g} / {p.points:g}</h3>',
                 _report_block(_report(p, show_hidden))]
    if result.answers:
        body += ["<h2>Written answers</h2>", *_answers_html(result.answers, questions)]
    head = [
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta http-equiv="Content-Security-Policy" content="{e(_CSP)}">',
        f"<title>Feedback: {name} ({result.score:g} / {result.max_score:g})</title>",
        f"<style>{_CSS}</style>",
    ]
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n" + "\n".join(head) + "\n</head>\n<body>\n" +
            "\n".join(body) + "\n</body>\n</html>\n")
