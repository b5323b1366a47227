"""The written answers the grading room shows: RESULTS_DIR/<student>/answers.json, which ``grade`` writes for
every graded submission (grading/results.py), read for every student folder of a results folder.

Each student is a folder's name, in sorted order; each known question gets one answer per student, in that order
(a student whose answers.json has no entry for it, graded before the question existed, gets an empty one saying
so), and an answer to a question the assignment does not know is left out. A folder with results.json but no
answers.json was graded before answers.json existed: it is listed in ``missing``, for the room to say "grade
again". A malformed answers.json is a KitError naming the file, never a traceback.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from ..errors import KitError
from ..grading.answer_sheet import ANSWERS_FORMAT, ANSWERS_JSON  # not grading.results: that imports torch
from ..release.questions import Question

NOT_IN_FILE = "(no entry for this question in answers.json: grade this submission again to collect it)"


@dataclass(frozen=True)
class StudentAnswer:
    student: str            # the results folder's name
    question: str | None    # the question's id; None for an answer cell that answers no known question
    title: str              # "Question 1 (q1)"
    where: str              # "answer cell 7", "no answer cell"
    text: str               # the student's Markdown, placeholders left out ('' when none)
    empty: str | None       # why there is no answer; None when there is one
    written: int | None = None  # characters the student wrote when grade kept fewer (taking.MAX_ANSWER_CHARS)

    @property
    def fingerprint(self) -> str:
        """What a grade is given to (store.GradeState.answer): a regrade that changes the text changes it."""
        return fingerprint(self.text)


def fingerprint(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def answer_fingerprints(results_dir: Path) -> dict[tuple[str, str], str]:
    """(student, question id) -> the fingerprint of that answer in RESULTS_DIR/<student>/answers.json now, for every
    answer a file holds ({} when the folder holds none: a room's database copied elsewhere)."""
    found: dict[tuple[str, str], str] = {}
    for path in sorted(Path(results_dir).glob(f"*/{ANSWERS_JSON}")):
        for answer in _read(path, path.parent.name):
            if answer.question is not None:
                found[answer.student, answer.question] = answer.fingerprint
    return found


@dataclass(frozen=True)
class RoomAnswers:
    students: tuple[str, ...]                             # sorted by name
    by_question: dict[str, tuple[StudentAnswer, ...]]     # every known question id -> one per student, in order
    missing: tuple[str, ...] = ()  # folders with results.json but no answers.json (graded before it existed)


def load_answers(results_dir: Path, questions: Sequence[Question]) -> RoomAnswers:
    """Every student's answers under ``results_dir``; KitError naming the file for a malformed answers.json, and
    when no folder holds one."""
    results_dir = Path(results_dir)
    if not results_dir.is_dir():
        raise KitError(f"no such folder: {results_dir} (give the --out folder of 'grade')")
    folders = sorted(p for p in results_dir.iterdir() if p.is_dir() and not p.name.startswith("."))
    read: dict[str, list[StudentAnswer]] = {}
    missing: list[str] = []
    for folder in folders:
        path = folder / ANSWERS_JSON
        if path.is_file():
            read[folder.name] = _read(path, folder.name)
        elif (folder / "results.json").is_file():
            missing.append(folder.name)
    if not read:
        again = (f" ({len(missing)} folder(s) were graded before grade wrote answers.json: grade them again)"
                 if missing else "")
        raise KitError(f"no {ANSWERS_JSON} in any folder of {results_dir}{again}: run 'grade ASSIGNMENT SUBMISSIONS "
                       f"--out {results_dir}' first (it writes {results_dir}/<student>/{ANSWERS_JSON})")
    students = tuple(read)  # folders are sorted, so these are too
    by_question: dict[str, tuple[StudentAnswer, ...]] = {}
    for q in questions:
        by_question[q.id] = tuple(
            next((a for a in read[s] if a.question == q.id), None)
            or StudentAnswer(s, q.id, q.title, "no answer cell", "", NOT_IN_FILE)
            for s in students)
    return RoomAnswers(students, by_question, tuple(missing))


def _read(path: Path, student: str) -> list[StudentAnswer]:
    """The answers of one answers.json; KitError naming it when it is not what grade writes."""
    try:
        data = json.loads(path.read_bytes())
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as e:
        raise KitError(f"cannot read {ANSWERS_JSON} ({type(e).__name__}: {e}): grade this submission again",
                       path=str(path)) from None
    if not isinstance(data, dict) or data.get("format") != ANSWERS_FORMAT or not isinstance(data.get("answers"), list):
        raise _malformed(path, f'not an object with "format": {ANSWERS_FORMAT} and a list of "answers"')
    answers: list[StudentAnswer] = []
    for i, item in enumerate(data["answers"]):
        answer = _answer(item, student)
        if answer is None:
            raise _malformed(path, f"answers[{i}] is not an object with the question (an id or null), title, where, "
                                   "text and empty (text or null)")
        if answer.question is not None and any(a.question == answer.question for a in answers):
            raise _malformed(path, f"answers[{i}] answers question {answer.question!r} a second time")
        answers.append(answer)
    return answers


def _answer(item: Any, student: str) -> StudentAnswer | None:
    """The StudentAnswer of one entry of "answers"; None when an entry is not in the form grade writes."""
    if not isinstance(item, dict):
        return None
    question, empty, written = item.get("question"), item.get("empty"), item.get("written")
    fields = [item.get(key) for key in ("title", "where", "text")]
    if (not (question is None or isinstance(question, str)) or not (empty is None or isinstance(empty, str))
            or not (written is None or (type(written) is int and written >= 0))
            or not all(isinstance(f, str) for f in fields)):
        return None
    title, where, text = (str(f) for f in fields)
    return StudentAnswer(student, question, title, where, text, empty, written)


def _malformed(path: Path, what: str) -> KitError:
    return KitError(f"{ANSWERS_JSON} is not in the form grade writes ({what}): grade this submission again",
                    path=str(path))
