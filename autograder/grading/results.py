"""Writers for what grading produces: results.json (Gradescope's format), answers.md, grades.csv."""

from __future__ import annotations

import csv
import io
import json
import os
import re
from pathlib import Path

from .grade import SubmissionResult

MAX_OUTPUT_CHARS = 20_000  # per part: results.json stays far below 1 MB
HIDDEN_DETAILS_SUFFIX = " (hidden case details)"  # the zero-point test with a part's hidden-case lines
_HIDDEN_TAG = "  hidden case "
_COUNTS = re.compile(r"\((\d+)/(\d+) cases passed\)$")
_MORE = re.compile(r"^  \.\.\. and (\d+) more failed case\(s\)$")


def results_json(result: SubmissionResult) -> dict:
    """The Gradescope results.json object.

    One scored test per graded part, named after the function and visible at once: its score,
    its public cases' details and a one-line summary of its hidden cases. A part with failed
    hidden cases also gets a zero-point test named ``<function> (hidden case details)``,
    which Gradescope shows only after the due date.
    """
    summary = [f"{result.path.name}: {result.score:g} / {result.max_score:g}"]
    if result.error:
        summary.append(f"This submission could not be graded: {result.error}")
    summary += [f"note: {n}" for n in result.notes[:50]]
    tests = []
    for p in result.parts:
        visible, hidden = split_hidden_details(p.output, p.hidden_passed, p.hidden_total)
        tests.append({
            "name": p.name,
            "score": p.score,
            "max_score": p.max_score,
            "status": "passed" if p.score >= p.max_score else "failed",
            "output": visible[:MAX_OUTPUT_CHARS],
            "visibility": "visible",
        })
        if hidden is not None:
            tests.append({
                "name": p.name + HIDDEN_DETAILS_SUFFIX,
                "score": 0.0,
                "max_score": 0.0,
                "status": "failed",
                "output": hidden[:MAX_OUTPUT_CHARS],
                "visibility": "after_due_date",
            })
    return {
        "score": result.score,
        "execution_time": round(result.elapsed, 3),
        "output": "\n".join(summary),
        "tests": tests,
    }


def split_hidden_details(report: str, hidden_passed: int | None = None,
                         hidden_total: int | None = None) -> tuple[str, str | None]:
    """(the part's report with its hidden cases summarised in one line, their details or None).

    The report lists failed cases public first, then hidden (the order the grader runs them),
    each as a '  case ...' or '  hidden case ...' line followed by its continuation and hint
    lines, at most a few of them and then '  ... and N more failed case(s)'. Everything from
    the first hidden case on is hidden: a student's error message that forges a '  case' line
    inside a hidden case's block stays with the hidden details. A report without case counts
    (a missing function, an unreadable submission) is returned as it is.
    """
    header, *lines = report.split("\n")
    if not _COUNTS.search(header):
        return report, None
    visible, hidden = _split_hidden_lines(header, lines)
    if hidden_total:  # exact counts, when the grader gave them, replace the summary line
        done = "all passed" if hidden_passed == hidden_total else f"{hidden_passed}/{hidden_total} passed"
        later = "; details after the due date" if hidden_passed != hidden_total else ""
        visible = "\n".join(visible.split("\n")[:-1] + [f"  hidden cases: {done}{later}"])
    return visible, hidden


def _split_hidden_lines(header: str, lines: list[str]) -> tuple[str, str | None]:
    more = 0
    if lines and (match := _MORE.match(lines[-1])):
        more = int(match.group(1))
        lines = lines[:-1]
    first = next((i for i, line in enumerate(lines) if line.startswith(_HIDDEN_TAG)), len(lines))
    visible, hidden = lines[:first], lines[first:]
    if not hidden and not more:
        return "\n".join([header, *visible, "  hidden cases: all passed"]), None
    if not hidden:  # the list stopped within the public cases: the rest may be public or hidden
        return "\n".join([header, *visible, f"  hidden cases: up to {more} failed; details after the due date"]), None
    # Failures not listed come after a listed hidden one, so they are hidden too.
    failed = sum(line.startswith(_HIDDEN_TAG) for line in hidden) + more
    visible.append(f"  hidden cases: {failed} failed; details after the due date")
    if more:
        hidden.append(f"  ... and {more} more failed case(s)")
    name = header.split()[0]
    return "\n".join([header, *visible]), "\n".join([f"{name}: failed hidden cases", *hidden])


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


def write_submission(result: SubmissionResult, folder: Path) -> None:
    _atomic_write(folder / "results.json", json.dumps(results_json(result), indent=2) + "\n")
    if result.answers:
        _atomic_write(folder / "answers.md", answers_markdown(result))
        from .answers_page import write_answers_page  # answers.html: one printable page per question
        write_answers_page(result, folder)
    from .feedback import write_feedback  # feedback.md and feedback.html, the pages for the student
    write_feedback(result, folder)


def grades_csv(rows: list[tuple[str, SubmissionResult]], part_names: list[str]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["submission", "score", "max_score", *part_names, "status"])
    for stem, r in sorted(rows, key=lambda x: x[0]):
        scores = {p.name: p.score for p in r.parts}
        writer.writerow([stem, f"{r.score:g}", f"{r.max_score:g}", *[f"{scores.get(n, 0):g}" for n in part_names],
                         "not graded: " + r.error if r.error else "graded"])
    return buffer.getvalue()


def write_grades(rows: list[tuple[str, SubmissionResult]], part_names: list[str], path: Path) -> None:
    _atomic_write(path, grades_csv(rows, part_names))


def score_table(rows: list[tuple[str, SubmissionResult]], part_names: list[str]) -> str:
    """A plain-text table: one row per submission, one column per part."""
    width = max([len("submission")] + [len(stem) for stem, _ in rows])
    cols = [max(len(n), 6) for n in part_names]
    head = f"{'submission':<{width}}  {'total':>11}  " + "  ".join(f"{n:>{w}}" for n, w in zip(part_names, cols))
    lines = [head, "-" * len(head)]
    for stem, r in sorted(rows, key=lambda x: x[0]):
        scores = {p.name: p for p in r.parts}
        cells = [f"{scores[n].score:g}/{scores[n].max_score:g}" if n in scores else "-" for n in part_names]
        total = f"{r.score:g}/{r.max_score:g}"
        lines.append(f"{stem:<{width}}  {total:>11}  " + "  ".join(f"{c:>{w}}" for c, w in zip(cells, cols)))
    return "\n".join(lines)
