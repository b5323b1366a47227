"""Writers for what grading produces: results.json (Gradescope's format), answers.md, answers.json, grades.csv.

answers.json holds the student's written answers as data, one entry a question (answer_sheet.Sheet, as answers.md
shows them), for the grading room (room/answers.py), which reads it for every student of a results folder.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Sequence

from ..atomic import write_atomically
from ..checks import report, rules
from ..checks.verdict import PartVerdict, Status
from ..escaping import csv_text, for_terminal, markdown_text
from ..release.questions import Question
from .answer_sheet import ANSWERS_JSON, answer_sheet, sheet_json, sheet_markdown
from .grade import SubmissionResult
from .scores import ScoreRow

MAX_OUTPUT_CHARS = 20_000  # per part: results.json stays far below 1 MB
HIDDEN_DETAILS_SUFFIX = " (hidden case details)"  # the zero-point test with a part's hidden-case lines
HIDDEN_CASES_SUFFIX = " (hidden cases)"  # with the feedback budget spent: the hidden cases' share, shown once published
WITHHELD_VISIBILITY = "after_published"  # Gradescope shows the test once the instructor publishes the grades
WITHHELD_LINE = "  hidden cases: results withheld for this submission (the top of the page says why and until when)"


def results_json(result: SubmissionResult, hidden_details: bool = False, withheld: str | None = None) -> dict:
    """The Gradescope results.json object.

    One scored test per graded part, named after the function, numbered in the assignment's
    order and visible at once (so the student's total shows before the due date): its score,
    its public cases' details and one line of counts for its hidden cases. With hidden_details
    (a run after the due date, or ``grade --details``), each part with failed hidden cases also
    gets a visible zero-point test ``<function> (hidden case details)`` numbered ``N.1``. Which
    lines are hidden comes from each case's ``hidden`` field (report.py), never from wording.

    With ``withheld`` (the daily feedback budget is spent: disclosure.py, that line for the student),
    nothing shown gives the hidden cases' counts away: each part's visible test carries only its
    public cases' share of the points, and a second test ``<function> (hidden cases)`` numbered
    ``N.1`` carries the rest, visible once the grades are published. The total is unchanged.
    """
    if withheld is not None:
        return _withheld_json(result, withheld)
    summary = [f"{markdown_text(result.path.name)}: {result.score:g} / {result.max_score:g}"]
    if result.error:
        summary.append(f"This submission could not be graded: {markdown_text(result.error)}")
    summary += [f"note: {markdown_text(n)}" for n in result.notes[:50]]  # the student's own words, escaped
    tests = []
    for number, p in enumerate(result.parts, start=1):
        tests.append({
            "name": p.name,
            "number": str(number),
            "score": p.score,
            "max_score": p.points,
            "status": "passed" if p.full_marks else "failed",
            "output": for_terminal("\n".join(report.part_report(p)))[:MAX_OUTPUT_CHARS],  # text: shown as is
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
                "output": for_terminal("\n".join(hidden))[:MAX_OUTPUT_CHARS],
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


def _withheld_json(result: SubmissionResult, withheld: str) -> dict:
    """results.json for a submission past the daily feedback budget: the hidden cases' share of each part
    in a test of its own, shown once the grades are published; the total of what is shown, not the score."""
    tests = []
    for number, p in enumerate(result.parts, start=1):
        if not p.hidden:
            tests.append(_test(p.name, str(number), p.score, p.points, p.full_marks, report.part_report(p)))
            continue
        public = _public_view(p)
        score, points = _public_share(public)
        public_ok = public.problem is None and all(c.passed for c in p.public)
        tests.append(_test(p.name, str(number), score, points, public_ok, _public_report(public, score, points)))
        hidden_ok = p.problem is None and all(c.passed for c in p.hidden)
        tests.append(_test(p.name + HIDDEN_CASES_SUFFIX, f"{number}.1", round(p.score - score, 2),
                           round(p.points - points, 2), hidden_ok, report.part_report(p), WITHHELD_VISIBILITY))
    shown = [t for t in tests if t["visibility"] == "visible"]
    held = round(result.max_score - sum(t["max_score"] for t in shown), 2)
    score, points = (round(sum(t[key] for t in shown), 2) for key in ("score", "max_score"))
    summary = [f"{markdown_text(result.path.name)}: {score:g} / {points:g} "
               f"shown; the other {held:g} points, of the hidden cases, are scored and recorded but not shown"
               if held else f"{markdown_text(result.path.name)}: {result.score:g} / {result.max_score:g}", withheld]
    if result.error:
        summary.append(f"This submission could not be graded: {markdown_text(result.error)}")
    summary += [f"note: {markdown_text(n)}" for n in result.notes[:50]]
    # No execution_time: code that runs longer on some hidden inputs would tell them through it.
    return {
        "score": result.score,
        "output": "\n\n".join(summary),
        "output_format": "md",
        "tests": tests,
    }


def _public_view(part: PartVerdict) -> PartVerdict:
    """The part as its public cases alone judge it: a banned call seen only in a hidden case is not said, nor
    does it take the public cases' share to 0 (one bit of the hidden inputs a submission, past the budget)."""
    if part.status is not Status.RULE_BROKEN or part.problem is None or rules.HIDDEN_USE not in part.problem:
        return part
    problem = rules.without_hidden_use(part.problem)
    if problem is not None:
        return replace(part, problem=problem)
    score = round(part.points * sum(c.passed for c in part.public) / len(part.cases), 2)
    return replace(part, problem=None, status=None, score=score)


def _public_report(part, score: float, points: float) -> list[str]:
    """report.part_report with nothing of the hidden cases but that they ran: the public cases' share of the
    score, their counts and their failures."""
    public = part.public
    counts = f"   ({sum(c.passed for c in public)}/{len(public)} public cases passed)" if public else ""
    lines = [f"{part.name}   {score:g} / {points:g}{counts}"] + ([f"  {part.problem}"] if part.problem else [])
    failed = report.part_report(replace(part, cases=public, problem=None), scored=False, show_hidden=True)[1:]
    return lines + failed + [WITHHELD_LINE]


def _public_share(part) -> tuple[float, float]:
    """(score, max_score) of a part's public cases: the part's points times their share of its cases, as
    score_part counts (nothing when the part earns nothing)."""
    total = len(part.cases)
    points = round(part.points * len(part.public) / total, 2)
    score = round(part.points * sum(c.passed for c in part.public) / total, 2)
    return (min(score, part.score) if part.score > 0 else 0.0), points


def _test(name: str, number: str, score: float, max_score: float, passed: bool, lines: list[str],
          visibility: str = "visible") -> dict:
    return {"name": name, "number": number, "score": score, "max_score": max_score,
            "status": "passed" if passed else "failed", "output": for_terminal("\n".join(lines))[:MAX_OUTPUT_CHARS],
            "output_format": "text", "visibility": visibility}


def answers_markdown(result: SubmissionResult, questions: Sequence[Question] | None = None) -> str:
    """answers.md: a section a question, its text from the assignment's source (questions; None when not known)
    and the student's answer matched by the question id of its cell (answer_sheet.py)."""
    lines = [f"# Written answers: {markdown_text(result.path.name)}", ""]
    return "\n".join(lines + sheet_markdown(answer_sheet(result.answers, questions), 2))


def answers_json(result: SubmissionResult, student: str, questions: Sequence[Question] | None = None) -> dict:
    """answers.json's object (answer_sheet.sheet_json): the entries of answers.md's sheet. Every question gets an
    entry, so a submission without answer cells lists each as unanswered."""
    return sheet_json(answer_sheet(result.answers, questions), student, result.path.name)


def write_submission(result: SubmissionResult, folder: Path, hidden_details: bool = False,
                     questions: Sequence[Question] | None = None) -> None:
    """results.json, feedback pages and written answers; hidden-case details only when asked (once
    submissions have closed: disclosure.py). questions: the assignment's written questions (their text
    beside the answers), None where its notebook source is not at hand."""
    write_atomically(folder / "results.json", json.dumps(results_json(result, hidden_details), indent=2) + "\n")
    if result.grader_failed:  # its answers were never read: no file, so the room says "grade it again", not "no answer"
        (folder / ANSWERS_JSON).unlink(missing_ok=True)
    else:  # every graded submission, answered or not: the grading room lists each student
        # ASCII: a student's lone surrogate (valid in notebook JSON) cannot be UTF-8 encoded
        write_atomically(folder / ANSWERS_JSON,
                         json.dumps(answers_json(result, folder.name, questions), indent=1) + "\n")
    if result.answers:
        write_atomically(folder / "answers.md", answers_markdown(result, questions))
        from .answers_page import write_answers_page  # answers.html: one printable page per question
        write_answers_page(result, folder, questions)
    else:  # pages of an earlier submission (or try) must not stand for this one's: --pdf would print them
        for page in ("answers.md", "answers.html"):
            (folder / page).unlink(missing_ok=True)
    from .feedback import write_feedback  # feedback.md and feedback.html, the pages for the student
    write_feedback(result, folder, show_hidden=hidden_details, questions=questions)


def grades_csv(rows: list[ScoreRow], part_names: list[str]) -> str:
    def row(r: ScoreRow) -> list[str]:
        scores = {p.name: p.score for p in r.parts}
        return [r.name, f"{r.score:g}", f"{r.max_score:g}", *[f"{scores.get(n, 0):g}" for n in part_names],
                "not graded: " + r.error if r.error else "graded"]
    return csv_text([["submission", "score", "max_score", *part_names, "status"],
                     *(row(r) for r in sorted(rows, key=lambda x: x.name))])


def write_grades(rows: list[ScoreRow], part_names: list[str], path: Path) -> None:
    write_atomically(path, grades_csv(rows, part_names))


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
