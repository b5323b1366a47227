"""The written questions of a notebook source, found from its cells' tags, and the tag checks.

In assignments/<id>/notebook.py a question is a Markdown cell holding ``**Question N.** text``
(``**QN.**`` and an unnumbered ``**Question.**`` too), and the cell right after it,
``# %% [markdown] tags=["answer:q1"]``, is where the student writes. The id after ``answer:``
names the question for good: the released cell carries the tag, Jupyter and Colab keep it
when a student moves or copies the cell, and the grader matches answers by it
(grading/answer_sheet.py), takes the question's text from here (never from the student's
notebook) and ``gradebook --manual`` checks its question column against the ids.

Each question's points are spec.toml's ([[questions]] with its id and points): ``release`` refuses, at
spec.toml's line, a [[questions]] id the notebook has no answer cell for and a notebook question that
spec.toml gives no points (``check_question_points``), so every written question's points are known
before grading.

Refused, each with its notebook.py line: a tag that looks like a misspelt answer tag
(``answers``, ``anwser``, ``Answer``, ``answer_q1``), an answer tag on a cell that is not
Markdown, an id that is not a lowercase word (``q1``, ``bias_term``), an id used twice, a
bare ``answer`` tag where other answer cells have ids, and an id whose question cell cannot
be found or whose number is not its place. A source whose answer cells all have the bare
``answer`` tag (an older one) is still released: its questions get the ids q1, q2, ... and
students' answers are matched to them by position.

The Gradescope zip carries no notebook.py (it holds solution-free but student-facing code): the build
writes the questions into the zip's ``assignments/<id>/questions.json`` instead (``questions_json``: each
question's number, id, text and its answer cell's placeholder, nothing else), and grading reads them from
there when notebook.py is absent (release/notebook_source.py's ``assignment_questions``), so Gradescope's
pages name them as local grading does.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from ..checks.taking import ANSWER_PREFIX, ANSWER_TAG, MAX_QUESTION_ID, is_answer_cell
from ..errors import KitError
from ..layout import Layout
from ..tomlfile import did_you_mean
from .directives import SourceCell

if TYPE_CHECKING:
    from ..spec import AssignmentSpec

QUESTION_ID = re.compile(rf"[a-z][a-z0-9_]{{0,{MAX_QUESTION_ID - 1}}}\Z")  # not a number: --manual takes 1 for q1
_TAGS = re.compile(r"\btags\s*=\s*(\[[^\]]*\])")
# **Question 3.**, **Q3.**, **Question 3:**, **Question.**; its number, when it has one, is its place.
_MARKER = re.compile(r"\*\*(?:Question|Q)[ \t]*(\d+)?[ \t]*[.:]?\*\*[ \t]*")
_WORD = re.compile(r"[A-Za-z]+")
QUESTIONS_FILE = "questions.json"  # beside spec.toml in the Gradescope zip, in place of notebook.py
_SAVED = ("number", "id", "text", "placeholder")  # what questions.json keeps of a Question (no line: no source)
TAG_USAGE = 'an answer cell is tagged answer:<question id>, e.g. # %% [markdown] tags=["answer:q1"]'


@dataclass(frozen=True)
class Question:
    number: int  # 1-based: its place among the notebook's answer cells
    id: str      # the id its answer cell's tag names (answer:q1 -> q1); q<number> in an older source
    text: str    # the question as the source writes it (Markdown), its "**Question N.**" left out
    line: int    # its answer cell's '# %%' line in the notebook source (0 when read from questions.json)
    placeholder: str = ""  # its answer cell's text in the source ("*Your answer here.*"): left as is, no answer

    @property
    def title(self) -> str:
        """'Question 1 (q1)': how every page, the room and the feedback head it."""
        return f"Question {self.number} ({self.id})"


def header_tags(header: str, *, path: str, line: int) -> tuple[str, ...] | None:
    """The tags a '# %%' line gives its cell (jupytext's ``tags=[...]``, JSON), None when it has no tags=;
    KitError when unreadable."""
    match = _TAGS.search(header)
    if match is None:
        return None
    try:
        tags = json.loads(match.group(1))
    except ValueError:
        tags = None
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise KitError(f"the cell's tags {match.group(1)} are not a JSON list of strings "
                       '(write them as tags=["answer:q1"])', path=path, line=line)
    return tuple(tags)


def _answer_like(tag: str) -> bool:
    """A tag that is no answer tag but looks like one misspelt: 'answers', 'anwser', 'Answer', 'answer_q1'."""
    found = _WORD.match(tag) or _WORD.search(tag)
    word = found.group(0).lower() if found is not None else ""
    return word.startswith(ANSWER_TAG) or bool(difflib.get_close_matches(word, [ANSWER_TAG], n=1, cutoff=0.75))


def _suggested_id(tag: str, number: int) -> str:
    """What the author probably meant as an id: the tag's own ('answer_q2' -> q2) or q<number>."""
    rest = re.sub(r"^[A-Za-z]+[^A-Za-z0-9]*", "", tag, count=1).lower()
    return rest if QUESTION_ID.match(rest) else f"q{number}"


def check_tags(cell: SourceCell, number: int, answers_before: int, *, path: str) -> None:
    """KitError at the cell's '# %%' line for a misspelt answer tag, an answer tag on a cell that is not
    Markdown and an 'answer:' tag whose id is not a lowercase word. number: the cell's place in the source;
    answers_before: how many answer cells come before it (to suggest an id)."""
    for tag in cell.tags:
        if tag == ANSWER_TAG or tag.startswith(ANSWER_PREFIX):
            if cell.kind != "markdown":
                raise KitError(f"cell {number}: tag {tag!r} is on a {cell.kind} cell, but an answer cell is a Markdown "
                               f"cell ({TAG_USAGE})", path=path, line=cell.header)
            given = tag[len(ANSWER_PREFIX):]
            if tag != ANSWER_TAG and not QUESTION_ID.match(given):
                raise KitError(f"cell {number}: tag {tag!r} has no usable question id - an id is a lowercase letter, "
                               f"then up to {MAX_QUESTION_ID - 1} lowercase letters, digits or _ (did you mean "
                               f"'{ANSWER_PREFIX}{_suggested_id(given or 'q', answers_before + 1)}'?)",
                               path=path, line=cell.header)
        elif _answer_like(tag):
            meant = ANSWER_PREFIX + _suggested_id(tag, answers_before + 1)
            raise KitError(f"cell {number}: tag {tag!r} is not a kit tag - did you mean {meant!r}? ({TAG_USAGE}; "
                           "a misspelt one would leave the student's answer uncollected)", path=path, line=cell.header)


def _answer_id(cell: SourceCell) -> str | None:
    return next((t[len(ANSWER_PREFIX):] for t in cell.tags if t.startswith(ANSWER_PREFIX)), None)


def markdown_text(cell_source: str) -> str:
    """A percent-format Markdown cell's text: each line's '# ' comment prefix taken off (as jupytext does)."""
    lines = []
    for line in cell_source.splitlines():
        stripped = line.rstrip()
        lines.append(stripped[2:] if stripped.startswith("# ") else "" if stripped == "#" else stripped)
    return "\n".join(lines).strip()


def _asked(cell: SourceCell | None) -> tuple[int | None, str] | None:
    """(its number or None, the question's text) of the last '**Question N.**' in a Markdown cell; None if none."""
    if cell is None or cell.kind != "markdown":
        return None
    text = markdown_text(cell.source)
    found = list(_MARKER.finditer(text))
    if not found:
        return None
    last = found[-1]
    return (int(last.group(1)) if last.group(1) else None), text[last.end():].strip()


def find_questions(cells: Sequence[SourceCell], *, path: str) -> tuple[Question, ...]:
    """The questions of a notebook source in order (its tags already checked by check_tags); KitError at the
    answer cell's line for a duplicate id, a bare 'answer' tag among ids, and a question that cannot be found."""
    answers = [(i, c) for i, c in enumerate(cells) if is_answer_cell(list(c.tags))]
    with_ids = any(_answer_id(c) is not None for _, c in answers)
    questions: list[Question] = []
    seen: dict[str, int] = {}
    for number, (index, cell) in enumerate(answers, start=1):
        given = _answer_id(cell)
        before = cells[index - 1] if index > 0 else None
        asked = _asked(before)
        if given is None and with_ids:
            raise KitError(f"this answer cell has a bare {ANSWER_TAG!r} tag but the notebook's other answer cells have "
                           f"question ids: tag it '{ANSWER_PREFIX}q{number}' (or another id of its own)",
                           path=path, line=cell.header)
        if given is None:  # an older source: positions, and its question's text where it can be found
            own = _asked(cell)
            questions.append(Question(number, f"q{number}", asked[1] if asked else own[1] if own else "", cell.header,
                                      markdown_text(cell.source)))
            continue
        if given in seen:
            raise KitError(f"question id {given!r} is used twice (also on line {seen[given]}): each answer cell needs "
                           "an id of its own", path=path, line=cell.header)
        seen[given] = cell.header
        if asked is None:
            raise KitError(f"answer cell '{ANSWER_PREFIX}{given}' has no question cell before it: put the question "
                           f"in a Markdown cell right before it, starting '**Question {number}.**'",
                           path=path, line=cell.header)
        if asked[0] is not None and asked[0] != number:
            raise KitError(f"the question before answer cell '{ANSWER_PREFIX}{given}' is numbered {asked[0]}, but it "
                           f"is question {number} of this notebook (counting answer cells): number it {number}",
                           path=path, line=before.line if before else cell.header)
        questions.append(Question(number, given, asked[1], cell.header, markdown_text(cell.source)))
    _refuse_unanswerable(cells, path=path)
    return tuple(questions)


def _refuse_unanswerable(cells: Sequence[SourceCell], *, path: str) -> None:
    """KitError at a question cell that no answer cell follows: the student would have nowhere to write, and
    whatever they wrote elsewhere would never be collected."""
    for index, cell in enumerate(cells):
        if is_answer_cell(list(cell.tags)) or _asked(cell) is None:
            continue
        after = cells[index + 1] if index + 1 < len(cells) else None
        if after is None or not is_answer_cell(list(after.tags)):
            raise KitError("this cell asks a question ('**Question ...**') but the next cell is no answer cell: put a "
                           f'Markdown cell tagged "{ANSWER_PREFIX}<id>" right after it ({TAG_USAGE})',
                           path=path, line=cell.line)


def check_question_points(spec: "AssignmentSpec", questions: Sequence[Question], notebook_shown: str) -> None:
    """KitError at spec.toml's line for a [[questions]] id that ``questions`` (the notebook's) lacks, and for
    notebook questions that spec.toml gives no points (saying the [[questions]] tables to add)."""
    ids = [q.id for q in questions]
    spec_file = spec.shown("spec.toml")
    for given in spec.questions:
        if given.id not in ids:
            known = ", ".join(ids) or "none"
            raise KitError(f"[[questions]] id = \"{given.id}\" is not a question of {notebook_shown}"
                           f"{did_you_mean(given.id, ids)} (its questions: {known}): write the id of the question's "
                           f"answer tag (answer:<id>), or take the [[questions]] table out", path=spec_file,
                           line=spec.question_line(given.id, "id"))
    missing = [q for q in questions if spec.question(q.id) is None]
    if missing:
        where = ", ".join(f"{q.id} ({notebook_shown}:{q.line})" if q.line else q.id for q in missing)
        last = spec.questions[-1].id if spec.questions else None
        raise KitError(f"spec.toml gives no points to the notebook's question{'s' if len(missing) > 1 else ''} "
                       f"{where}: add one [[questions]] table for each, with its id and points, e.g. the lines "
                       f"[[questions]], id = \"{missing[0].id}\" and points = 2",
                       path=spec_file, line=spec.question_line(last) if last else None)


# --- questions.json: the questions where notebook.py is not (the Gradescope zip) -------------------------

def questions_json(questions: Sequence[Question]) -> str:
    """questions.json's text for ``questions``: the same bytes for the same questions (the zip rebuilds
    byte for byte), and only what the grader's pages show, never a line of the notebook's code."""
    saved = [{key: getattr(q, key) for key in _SAVED} for q in questions]
    return json.dumps({"questions": saved}, indent=1, ensure_ascii=False) + "\n"


def read_questions_json(layout: Layout, path: Path) -> tuple[Question, ...]:
    """The questions a questions.json holds; KitError naming the file when it is not what the build writes."""
    shown = layout.shown(path)
    try:
        items = json.loads(path.read_text(encoding="utf-8"))["questions"]
        questions = tuple(Question(item["number"], item["id"], item["text"], 0, item["placeholder"])
                          for item in items)
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, RecursionError) as e:
        raise KitError(f"cannot read the assignment's questions ({type(e).__name__}: {e}): rebuild the Gradescope "
                       "zip, which writes this file", path=shown) from None
    for place, q in enumerate(questions, start=1):
        if (type(q.number) is not int or q.number != place or not isinstance(q.id, str) or not QUESTION_ID.match(q.id)
                or not isinstance(q.text, str) or not isinstance(q.placeholder, str)):
            raise KitError(f"question {place} is not in the form the build writes (number {place}, a question id, "
                           "its text and placeholder as strings): rebuild the Gradescope zip", path=shown)
        if q.id in [earlier.id for earlier in questions[:place - 1]]:
            raise KitError(f"question {place} has the id {q.id!r} of an earlier question: rebuild the Gradescope zip",
                           path=shown)
    return questions

