"""What ``similarity`` writes: similarity.csv (every pair) and similarity.html (ranked, side by side).

The page is one self-contained file: inline CSS, no script, no fonts or images from anywhere,
and a Content-Security-Policy that forbids loading anything, so it opens the same offline.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..escaping import csv_text, html_text
from .detect import Pair

CSV_COLUMNS = ("submission_a", "submission_b", "score", "share_a", "share_b")
SHOWN_PAIRS = 20   # pairs shown side by side; the table and the CSV list every pair


def percent(value: float) -> str:
    return f"{100 * value:.1f}"


def similarity_csv(pairs: Sequence[Pair]) -> str:
    """A header row, then one row per pair, most similar first; scores are percentages."""
    return csv_text([CSV_COLUMNS, *([p.a.name, p.b.name, percent(p.score), percent(p.share_a), percent(p.share_b)]
                                    for p in pairs)])


def _marked(source: str, ranges: Sequence[tuple[int, int]]) -> str:
    """source as HTML with the matched character ranges in <mark>."""
    out, at = [], 0
    for start, end in sorted(ranges):
        start = max(start, at)
        if end <= start:
            continue
        out += [html_text(source[at:start]), "<mark>", html_text(source[start:end]), "</mark>"]
        at = end
    out.append(html_text(source[at:]))
    return "".join(out)


def _who(code) -> str:
    tag = ' <span class="ref">earlier term</span>' if code.reference else ""
    return f"<code>{html_text(code.name)}</code>{tag}"


def similarity_html(assignment: str, pairs: Sequence[Pair], *, submissions: int, references: int,
                    notes: Sequence[str]) -> str:
    e = html_text
    shown = [p for p in pairs[:SHOWN_PAIRS] if p.score > 0]
    rows = []
    for rank, p in enumerate(pairs, start=1):
        link = f'<a href="#pair-{rank}">{rank}</a>' if p in shown else str(rank)
        rows.append(f'<tr><td class="num">{link}</td><td>{_who(p.a)}</td><td>{_who(p.b)}</td>'
                    f'<td class="num score">{percent(p.score)}%</td>'
                    f'<td class="num">{percent(p.share_a)}%</td><td class="num">{percent(p.share_b)}%</td></tr>')
    body = [f"<h1>Similarity: <code>{e(assignment)}</code></h1>",
            f"<p>{submissions} submission(s) of this term"
            + (f" and {references} of earlier terms" if references else "")
            + f", {len(pairs)} pair(s) compared. The code compared is what the grader takes (a notebook's "
            "imports and definitions), with the starter code removed; names, comments, layout and the "
            "order of functions do not count. A share is the part of a submission's own code that also "
            "appears in the other; the score is the larger share. A high score is a reason to look, "
            "not a verdict.</p>"]
    if notes:
        body += ["<h2>Left out</h2>", "<ul>", *(f"<li>{e(n)}</li>" for n in notes), "</ul>"]
    body += ["<h2>Pairs, most similar first</h2>", "<table>",
             "<thead><tr><th>#</th><th>submission A</th><th>submission B</th><th>score</th>"
             "<th>share of A</th><th>share of B</th></tr></thead>", "<tbody>", *rows, "</tbody>", "</table>"]
    for rank, p in enumerate(pairs, start=1):
        if p not in shown:
            continue
        body += [f'<section class="pair" id="pair-{rank}">',
                 f"<h2>{rank}. {_who(p.a)} and {_who(p.b)}: {percent(p.score)}%</h2>",
                 '<div class="sides">',
                 f'<div><h3>{_who(p.a)} <span class="share">{percent(p.share_a)}% matched</span></h3>'
                 f"<pre>{_marked(p.a.source, p.slices_a)}</pre></div>",
                 f'<div><h3>{_who(p.b)} <span class="share">{percent(p.share_b)}% matched</span></h3>'
                 f"<pre>{_marked(p.b.source, p.slices_b)}</pre></div>",
                 "</div>", "</section>"]
    if len(shown) < len([p for p in pairs if p.score > 0]):
        body.append(f"<p>Only the {len(shown)} most similar pairs are shown side by side; "
                    "similarity.csv lists every pair.</p>")
    head = ['<meta charset="utf-8">', '<meta name="viewport" content="width=device-width, initial-scale=1">',
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">",
            f"<title>Similarity: {e(assignment)}</title>", f"<style>{_CSS}</style>"]
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n" + "\n".join(head) + "\n</head>\n<body>\n"
            + "\n".join(body) + "\n</body>\n</html>\n")


_CSS = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto; max-width: 1400px;
       padding: 0 1.5em; color: #1d232a; }
h1 { font-size: 1.6em; margin-bottom: .3em; } h2 { font-size: 1.2em; margin-top: 1.6em; }
h3 { font-size: 1em; margin: .4em 0; }
table { border-collapse: collapse; } th, td { padding: .3em .8em; border-bottom: 1px solid #dde2e7; text-align: left; }
th { background: #f2f4f7; } .num { text-align: right; font-variant-numeric: tabular-nums; }
.score { font-weight: 600; }
.ref { font-size: .8em; background: #e8eef9; color: #2b4a85; padding: .05em .45em; border-radius: .7em; }
.share { font-weight: normal; color: #5a6570; }
.sides { display: grid; grid-template-columns: 1fr 1fr; gap: 1em; }
.sides > div { min-width: 0; }
pre { background: #f7f8fa; border: 1px solid #dde2e7; padding: .7em; overflow-x: auto; font-size: 12.5px;
      line-height: 1.4; margin: 0; }
mark { background: #ffd9a8; color: inherit; }
section.pair { border-top: 2px solid #dde2e7; margin-top: 1.5em; }
@media print { section.pair { break-before: page; } pre { white-space: pre-wrap; } }
"""
