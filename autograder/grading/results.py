"""Writers for what grading produces: results.json (Gradescope's format), answers.md, grades.csv."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

from ..checks import report
from .grade import SubmissionResult
from .scores import ScoreRow

MAX_OUTPUT_CHARS = 20_000  # per part: results.json stays far below 1 MB
HIDDEN_DETAILS_SUFFIX = " (hidden case details)"  # the zero-point test with a part's hidden-case lines


def results_json(result: SubmissionResult, hidden_details: bool = False) -> dict:
    """The Gradescope results.json object.

    One scored test per graded part, named after the function, numbered in the assignment's
    order and visible at once (so the student's total shows before the due date): its score,
    its public cases' details and one line of counts for its hidden cases. With hidden_details
    (a run after the due date, or ``grade --details``), each part with failed hidden cases also
    gets a visible zero-point test ``<function> (hidden case details)`` numbered ``N.1``. Which
    lines are hidden comes from each case's ``hidden`` field (report.py), never from wording.
    """
    summary = [f"{result.path.name}: {result.score:g} / {result.max_score:g}"]
    if result.error:
        summary.append(f"This submission could not be graded: {result.error}")
    summary += [f"note: {markdown_line(n)}" for n in result.notes[:50]]  # the student's own words, escaped
    tests = []
    for number, p in enumerate(result.parts, start=1):
        tests.append({
            "name": p.name,
            "number": str(number),
            "score": p.score,
            "max_score": p.points,
            "status": "passed" if p.full_marks else "failed",
            "output": "\n".join(report.part_report(p))[:MAX_OUTPUT_CHARS],
            "output_format": "text",
            "visibility": "visible",
        })
        hidden = report.hidden_details(p) if hidden_details else None
        if hidden is not None:
            tests.append({
                "name": p.name + HIDDEN_DETAILS_SUFFIX,
                "number": f"{number}.1",
                "score": 0.0,
                "max_score": 0.0,
                "status": "failed",
                "output": "\n".join(hidden)[:MAX_OUTPUT_CHARS],
                "output_format": "text",
                "visibility": "visible",
            })
    return {
        "score": result.score,
        "execution_time": round(result.elapsed, 3),
        "output": "\n\n".join(summary),  # Markdown: one paragraph a line
        "output_format": "md",
        "tests": tests,
    }


def markdown_line(text: str) -> str:
    """A line of the top-level output as Markdown that shows it as written."""
    from .feedback import markdown_escape
    return markdown_escape(text)


def answers_markdown(result: SubmissionResult) -> str:
    lines = [f"# Written answers: {result.path.name}", ""]
    for cell, text in result.answers:
        lines += [f"## Answer cell {cell}", "", text.strip() or "*(empty)*", ""]
    return "\n".join(lines)


def _atomic_write(path: Path, text: str) -> None:
    """Write via a temporary file and rename, so a crash never leaves half a results file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_submission(result: SubmissionResult, folder: Path, hidden_details: bool = False) -> None:
    """results.json, feedback pages and written answers; hidden-case details only when asked (after the due date)."""
    _atomic_write(folder / "results.json", json.dumps(results_json(result, hidden_details), indent=2) + "\n")
    if result.answers:
        _atomic_write(folder / "answers.md", answers_markdown(result))
        from .answers_page import write_answers_page  # answers.html: one printable page per question
        write_answers_page(result, folder)
    from .feedback import write_feedback  # feedback.md and feedback.html, the pages for the student
    write_feedback(result, folder, show_hidden=hidden_details)


def grades_csv(rows: list[ScoreRow], part_names: list[str]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["submission", "score", "max_score", *part_names, "status"])
    for r in sorted(rows, key=lambda x: x.name):
        scores = {p.name: p.score for p in r.parts}
        writer.writerow([r.name, f"{r.score:g}", f"{r.max_score:g}", *[f"{scores.get(n, 0):g}" for n in part_names],
                         "not graded: " + r.error if r.error else "graded"])
    return buffer.getvalue()


def write_grades(rows: list[ScoreRow], part_names: list[str], path: Path) -> None:
    _atomic_write(path, grades_csv(rows, part_names))


def score_table(rows: list[ScoreRow], part_names: list[str]) -> str:
    """A plain-text table: one row per submission, one column per part."""
    width = max([len("submission")] + [len(r.name) for r in rows])
    cols = [max(len(n), 6) for n in part_names]
    head = f"{'submission':<{width}}  {'total':>11}  " + "  ".join(f"{n:>{w}}" for n, w in zip(part_names, cols))
    lines = [head, "-" * len(head)]
    for r in sorted(rows, key=lambda x: x.name):
        scores = {p.name: p for p in r.parts}
        cells = [f"{scores[n].score:g}/{scores[n].points:g}" if n in scores else "-" for n in part_names]
        total = f"{r.score:g}/{r.max_score:g}"
        lines.append(f"{r.name:<{width}}  {total:>11}  " + "  ".join(f"{c:>{w}}" for c, w in zip(cells, cols)))
    return "\n".join(lines)
