"""A student's written answers matched to the assignment's questions: what answers.html, answers.md and
the feedback page show, one entry a question.

A released notebook's answer cells carry their question's id in a tag (``answer:q1``, checks/taking.py),
which Jupyter and Colab keep when a cell is moved or copied; so an answer is matched by its id, whatever the
student did to the cells: two cells for one question (a copied cell) are joined in order, a question
without a cell is said to be unanswered, and a cell tagged with an id the assignment does not have comes
after the questions, said as such. A notebook of an older release (bare ``answer`` tags) is matched by
position, and the pages say so. The question's text always comes from the assignment's notebook source
(release/questions.py; in the Gradescope zip, the questions.json the build writes from it), never from the
student's notebook, which they may have edited; where the grader has neither, the questions are named by
id alone. A cell still holding what the released notebook put there (its source cell's placeholder, or the
usual "*Your answer here.*", whitespace aside) is no answer: a student who never wrote one is told so.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Sequence

from ..escaping import markdown_answer, markdown_text
from ..release.questions import QUESTION_ID, Question

ANSWERS_JSON = "answers.json"  # a Sheet as data beside answers.md (sheet_json), which the grading room reads
ANSWERS_FORMAT = 1  # answers.json's "format": room/answers.py refuses another
NO_ANSWER = "(no answer: the notebook has no answer cell for this question)"
EMPTY_ANSWER = "(no answer written)"
PLACEHOLDER_ANSWER = "(no answer written: the answer cell still holds the notebook's placeholder)"
PLACEHOLDER = "*Your answer here.*"  # what a released answer cell holds (the scaffold's and the courses')
BY_POSITION = ("These answer cells carry no question ids (a notebook of an older release), so they are matched "
               "to the questions by position: an answer cell added or deleted moves every later answer.")
NO_QUESTIONS = "The assignment's notebook source is not here, so the questions are named without their text."


@dataclass(frozen=True)
class Entry:
    """One question and what the student wrote for it (or an answer cell that answers no question)."""

    title: str                # "Question 1 (q1)", or what the cell is when it answers no known question
    anchor: str               # for an HTML id: "q-q1", "cell-7"
    question: str             # the question's text (the source's Markdown); '' when not known
    cells: tuple[int, ...]    # the student's answer cells for it, in order; () when there is none
    text: str                 # their text, each stripped, joined with a blank line (placeholders left out)
    untouched: bool = False   # a cell of it still holds the released placeholder
    question_id: str | None = None  # the assignment's question it answers ("q1"); None when no known one
    written: int | None = None      # characters the student wrote in its cells when grade cut them; None: whole

    @property
    def where(self) -> str:
        """'answer cell 7', 'answer cells 7 and 9' or 'no answer cell'."""
        if not self.cells:
            return "no answer cell"
        if len(self.cells) == 1:
            return f"answer cell {self.cells[0]}"
        return f"answer cells {', '.join(map(str, self.cells[:-1]))} and {self.cells[-1]}"

    @property
    def empty(self) -> str | None:
        """What to show instead of the answer when there is none; None when there is one."""
        if not self.cells:
            return NO_ANSWER
        return None if self.text else PLACEHOLDER_ANSWER if self.untouched else EMPTY_ANSWER


@dataclass(frozen=True)
class Sheet:
    entries: tuple[Entry, ...]
    note: str | None  # how the answers were matched, when it is not by id with every question's text


def _question_of(answer: object) -> str | None:
    return getattr(answer, "question", None)  # taking.Answer; a bare (cell, text) pair has none


def _words(text: str) -> str:
    return " ".join(text.split())


def _placeholder(text: str, question: Question | None) -> bool:
    """Whether an answer cell's text is what the released notebook put there, whitespace aside."""
    words = _words(text)
    return bool(words) and words in (_words(PLACEHOLDER), _words(question.placeholder if question else ""))


def _entry(title: str, anchor: str, question: Question | None, found: list[tuple[int, str]]) -> Entry:
    """The entry of ``found`` ((cell, text) answering ``question``, None when not a known one): their texts
    stripped and joined, an untouched placeholder left out."""
    kept = [text.strip() for _, text in found if text.strip() and not _placeholder(text, question)]
    untouched = any(_placeholder(text, question) for _, text in found)
    return Entry(title, anchor, question.text if question else "", tuple(c for c, _ in found), "\n\n".join(kept),
                 untouched, question.id if question else None)


def answer_sheet(answers: Sequence[tuple[int, str]], questions: Sequence[Question] | None) -> Sheet:
    """The entries for ``answers`` (taking.Answer, or (cell, text) pairs: by position) given the assignment's
    ``questions`` (None when they are not known)."""
    return _with_cuts(_matched(answers, questions), answers)


def _with_cuts(sheet: Sheet, answers: Sequence[tuple[int, str]]) -> Sheet:
    """The entries whose cells grade cut (taking.Answer.written beyond the text kept) with what was written."""
    written = {int(a[0]): int(getattr(a, "written", len(str(a[1])))) for a in answers}
    kept = {int(a[0]): len(str(a[1])) for a in answers}
    entries = tuple(replace(e, written=sum(written[c] for c in e.cells))
                    if any(written.get(c, 0) > kept.get(c, 0) for c in e.cells) else e for e in sheet.entries)
    return replace(sheet, entries=entries)


def _matched(answers: Sequence[tuple[int, str]], questions: Sequence[Question] | None) -> Sheet:
    pairs = [(int(a[0]), str(a[1])) for a in answers]
    ids = [_question_of(a) for a in answers]
    if not any(ids):
        return _by_position(pairs, questions)
    known = list(questions) if questions is not None else []
    by_id: dict[str, list[tuple[int, str]]] = {}
    for pair, qid in zip(pairs, ids):
        if qid:
            by_id.setdefault(qid, []).append(pair)
    entries = []
    for q in known:
        entries.append(_entry(q.title, f"q-{q.id}", q, by_id.pop(q.id, [])))
    for qid, found in by_id.items():  # ids the assignment does not have (or questions not known)
        # Unknown questions are named by the tag alone: "Question <id>" only for what could be an id, so a tag
        # such as 'answer:2 (q2)' cannot title itself as the page titles question 2.
        title = (f"Question {qid}" if questions is None and QUESTION_ID.match(qid) else
                 f"Answer tagged {qid!r}, which is not a question id" if questions is None else
                 f"Answer tagged {qid!r}, which is not a question of this assignment")
        entries.append(_entry(title, f"q-{qid}", None, found))
    for pair, qid in zip(pairs, ids):
        if not qid:  # a cell tagged 'answer' alone among cells with ids (added by hand)
            entries.append(_entry(f"Answer cell {pair[0]} (tagged without a question id)", f"cell-{pair[0]}", None,
                                  [pair]))
    return Sheet(tuple(entries), NO_QUESTIONS if questions is None else None)


def _by_position(pairs: list[tuple[int, str]], questions: Sequence[Question] | None) -> Sheet:
    known = list(questions) if questions is not None else []
    entries = []
    for i, (cell, text) in enumerate(pairs):
        if i < len(known):
            q = known[i]
            entries.append(_entry(q.title, f"q-{q.id}", q, [(cell, text)]))
        elif questions is None:
            entries.append(_entry(f"Question {i + 1}", f"q{i + 1}", None, [(cell, text)]))
        else:
            entries.append(_entry(f"Answer cell {cell} (more answer cells than questions)", f"cell-{cell}", None,
                                  [(cell, text)]))
    for q in known[len(pairs):]:
        entries.append(Entry(q.title, f"q-{q.id}", q.text, (), "", question_id=q.id))
    note = BY_POSITION if pairs else None
    if questions is None:
        note = " ".join(n for n in (note, NO_QUESTIONS) if n)
    return Sheet(tuple(entries), note or None)


def sheet_json(sheet: Sheet, student: str, submission: str) -> dict:
    """answers.json's object: each entry with its question's id (None for an answer cell that answers no known
    question), what the student wrote (placeholders left out) and, when nothing, why."""
    return {"format": ANSWERS_FORMAT, "student": student, "submission": submission, "note": sheet.note,
            "answers": [{"question": e.question_id, "title": e.title, "where": e.where, "cells": list(e.cells),
                         "text": e.text, "empty": e.empty, "written": e.written} for e in sheet.entries]}


def sheet_markdown(sheet: Sheet, level: int) -> list[str]:
    """The entries as Markdown lines (answers.md, feedback.md), each headed at ``level``: the question's text
    quoted, then the answer as written (markdown_answer: as a code block when it holds anything live)."""
    lines = [f"*{markdown_text(sheet.note)}*", ""] if sheet.note else []
    for entry in sheet.entries:
        lines += [f"{'#' * level} {markdown_text(entry.title)}", ""]
        if entry.question:
            lines += ["\n".join(f"> {line}".rstrip() for line in markdown_answer(entry.question).splitlines()), ""]
        answer = markdown_answer(entry.text) if entry.empty is None else f"*{markdown_text(entry.empty)}*"
        lines += [f"*{markdown_text(entry.where)}:*", "", answer, ""]
    return lines
