"""The grading room's JSON API, without HTTP: what each route answers, as plain data for server.py to send.

Students are named by their anonymous key (anonymity.py) in every request and answer; a name is given only when
the page asks for names (``names=1``). Answers are rendered here, not in the browser: Markdown through
grading/answers_page.markdown_html (a student's raw HTML shown as text, math as MathML), so the page puts
only our own HTML into the document. A list carries the first ``LIST_CHARS`` characters' rendering of each
answer (rendering 1 MB of Markdown with math takes seconds); the whole answer is rendered when one is asked for.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import KitError
from ..grading.answers_page import markdown_html
from .anonymity import Anonymity, student_key
from .store import Change, GradeState, RoomError, RoomStore, RubricItem, check_grader, parse_points

if TYPE_CHECKING:
    from ..assignment import Assignment
    from ..release.questions import Question
    from .answers import RoomAnswers, StudentAnswer

LIST_CHARS = 20_000   # of each answer's text rendered in a question's list
LIST_HTML = 60_000    # ... and at most this much HTML of it (math makes 30 times its TeX)
FULL_CACHED = 32      # whole renderings of long answers kept (each up to a few MB of HTML)
_NO_CAP = Decimal("Infinity")  # a question without points in the spec: the rubric's sum is not capped


class ApiError(Exception):
    """A request the room answers with an error: its HTTP status and one line (and more JSON for a 409)."""

    def __init__(self, status: int, message: str, extra: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.extra = dict(extra or {})


@dataclass(frozen=True)
class RoomSetup:
    """What the room needs of the assignment: its questions (their text) and their points from spec.toml."""

    assignment: str
    title: str
    questions: tuple[Question, ...]
    points: Mapping[str, Decimal]   # question id -> points; a question absent here has none in the spec

    @classmethod
    def of(cls, assignment: Assignment) -> RoomSetup:
        from ..release.notebook_source import assignment_questions
        questions = assignment_questions(assignment.layout, assignment.notebook, assignment.folder) or ()
        return cls(assignment.id, assignment.title, tuple(questions), assignment.spec.question_worth)


@dataclass(frozen=True)
class _Question:
    id: str
    number: int
    title: str
    html: str
    points: Decimal | None

    def json(self) -> dict[str, Any]:
        return {"id": self.id, "number": self.number, "title": self.title, "html": self.html,
                "points": number(self.points)}


def number(value: Decimal | None) -> int | float | None:
    """A Decimal as a JSON number (points are at most 4 decimals, well within a float's digits)."""
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


class Room:
    """One assignment's room: its answers, its store, and the renderings already made."""

    def __init__(self, setup: RoomSetup, answers: RoomAnswers, store: RoomStore) -> None:
        self.setup = setup
        self.answers = answers
        self.store = store
        self.secret = store.secret
        self.anonymity = Anonymity.build(self.secret, answers.students)
        self.questions = self._questions()
        self._prints = {(a.student, qid): a.fingerprint for qid, listed in answers.by_question.items() for a in listed}
        self._lock = threading.Lock()
        # (student, question) -> (rendering, characters of the answer it shows): the list's, the longest answers' whole
        self._listed: dict[tuple[str, str], tuple[str, int]] = {}
        self._whole: OrderedDict[tuple[str, str], tuple[str, int]] = OrderedDict()

    def _questions(self) -> dict[str, _Question]:
        found = {}
        for q in self.setup.questions:
            found[q.id] = _Question(q.id, q.number, q.title, markdown_html(q.text),
                                    self.setup.points.get(q.id))
        for qid, answers in self.answers.by_question.items():  # answered questions the notebook no longer has
            if qid not in found:
                title = answers[0].title if answers else qid
                found[qid] = _Question(qid, len(found) + 1, title, "", self.setup.points.get(qid))
        return found

    def warm(self) -> None:
        """Render every answer as the lists show it, so that a question's first list is quick (200 answers with
        math take seconds to render cold, a tenth of that when made)."""
        for answers in self.answers.by_question.values():
            for answer in answers:
                self._html(answer, whole=False)

    # GET /api/room

    def room(self, grader: str | None = None) -> dict[str, Any]:
        """The room's outline; grader: the name a grader's own link records changes under (None: typed)."""
        points = [q.points for q in self.questions.values() if q.points is not None]
        known = len(points) == len(self.questions)  # else the total is not known before grading
        return {"assignment": self.setup.assignment, "title": self.setup.title,
                "questions": [q.json() for q in self.questions.values()], "students": len(self.answers.students),
                "written_points": number(sum(points, Decimal(0))) if known else None, "grader": grader}

    # GET /api/questions/<qid>

    def question(self, qid: str, names: bool) -> dict[str, Any]:
        question = self._question(qid)
        rubric = self.store.rubric(qid)
        states = self.store.states(qid)
        place = {student: n for n, student in enumerate(self.anonymity.order)}
        listed = sorted(self.answers.by_question.get(qid, ()), key=lambda a: place.get(a.student, len(place)))
        answers = [self._answer(a, question, rubric, states.get(a.student), names, whole=False) for a in listed]
        return {"question": question.json(), "rubric": [item_json(i) for i in rubric], "answers": answers}

    # GET /api/questions/<qid>/answers/<key>

    def answer(self, qid: str, key: str, names: bool) -> dict[str, Any]:
        question, answer = self._question(qid), self._student_answer(qid, key)
        found = self._answer(answer, question, self.store.rubric(qid), self.store.state(answer.student, qid),
                             names, whole=True)
        found["history"] = [self.change_json(c) for c in self.store.history(answer.student, qid)]
        return found

    # GET /api/questions/<qid>/answers/<key>/history

    def history(self, qid: str, key: str) -> dict[str, Any]:
        """The answer's trail and state, without its text: what the page loads as a card is focused (the whole
        answer's rendering is only sent on Show all)."""
        question, answer = self._question(qid), self._student_answer(qid, key)
        state = self.store.state(answer.student, qid)
        return {"history": [self.change_json(c) for c in self.store.history(answer.student, qid)],
                "state": self.state_json(state, self.store.rubric(qid), question)}

    # POST /api/questions/<qid>/answers/<key>

    def change(self, qid: str, key: str, body: Mapping[str, Any]) -> dict[str, Any]:
        question, answer = self._question(qid), self._student_answer(qid, key)
        known = {"grader", "version", "item", "applied", "comment", "override", "keep"}
        _no_unknown(body, known)
        grader, version = check_grader(body.get("grader")), _version(body.get("version"))
        kinds = [k for k in ("item", "comment", "override", "keep") if k in body]
        if len(kinds) != 1:
            raise ApiError(400, 'say one change: "item" (with "applied"), "comment", "override" or "keep"')
        student, store = answer.student, self.store
        fingerprint = answer.fingerprint  # the text each change is made on
        if "keep" in body:
            if body["keep"] is not True or "applied" in body:
                raise ApiError(400, '"keep": true keeps the grade of an answer that changed since it was graded')
            state = store.keep_grade(student, qid, grader, version, fingerprint)
            return self.state_json(state, store.rubric(qid), question)
        if "applied" in body and "item" not in body:
            raise ApiError(400, '"applied" goes with "item" only')
        if "item" in body:
            item, applied = body["item"], body.get("applied")
            if isinstance(item, bool) or not isinstance(item, int):
                raise ApiError(400, f'"item" is a rubric item\'s id (a whole number), not {item!r}')
            if not isinstance(applied, bool):
                raise ApiError(400, '"applied" must be true or false')
            state = store.apply_item(student, qid, item, applied, grader, version, fingerprint)
        elif "comment" in body:
            if not isinstance(body["comment"], str):
                raise ApiError(400, '"comment" must be text')
            state = store.set_comment(student, qid, body["comment"], grader, version, fingerprint)
        else:
            value = None if body["override"] is None else parse_points(body["override"], "an override")
            if value is not None and question.points is not None and value > question.points:
                raise ApiError(400, f"an override of {number(value)} is more than question {qid}'s "
                                    f"{number(question.points)} points")
            state = store.set_override(student, qid, value, grader, version, fingerprint)
        return self.state_json(state, store.rubric(qid), question)

    # POST /api/questions/<qid>/rubric

    def add_item(self, qid: str, body: Mapping[str, Any]) -> dict[str, Any]:
        self._question(qid)
        _no_unknown(body, {"grader", "points", "description"})
        for needed in ("points", "description"):
            if needed not in body:
                raise ApiError(400, f'a new rubric item needs "{needed}"')
        points = parse_points(body["points"], "a rubric item's points", negative=True)
        return item_json(self.store.add_item(qid, points, body["description"], check_grader(body.get("grader"))))

    # POST /api/rubric/<id>

    def edit_item(self, item_id: int, body: Mapping[str, Any]) -> dict[str, Any]:
        _no_unknown(body, {"grader", "points", "description", "deleted"})
        grader = check_grader(body.get("grader"))
        if not {"points", "description", "deleted"} & set(body):
            raise ApiError(400, 'say what changes: "points", "description" or "deleted"')
        deleted = body.get("deleted")
        if deleted is not None and not isinstance(deleted, bool):
            raise ApiError(400, '"deleted" must be true or false')
        points = (parse_points(body["points"], "a rubric item's points", negative=True)
                  if body.get("points") is not None else None)
        return item_json(self.store.edit_item(item_id, grader, points=points, description=body.get("description"),
                                              deleted=deleted))

    # GET /api/changes?since=SEQ

    def changes(self, since: int) -> dict[str, Any]:
        latest, changes = self.store.changes_since(since)
        return {"seq": latest, "changes": [self.change_json(c) for c in changes]}

    # pieces

    def _question(self, qid: str) -> _Question:
        question = self.questions.get(qid)
        if question is None:
            raise ApiError(404, f"there is no question {qid!r} in this room")
        return question

    def _student_answer(self, qid: str, key: str) -> StudentAnswer:
        student = self.anonymity.student.get(key)
        answer = next((a for a in self.answers.by_question.get(qid, ()) if a.student == student), None)
        if student is None or answer is None:
            raise ApiError(404, f"there is no answer {key!r} to question {qid}")
        return answer

    def _answer(self, answer: StudentAnswer, question: _Question, rubric: Sequence[RubricItem],
                state: GradeState | None, names: bool, whole: bool) -> dict[str, Any]:
        student = answer.student
        state = state or GradeState(student, question.id, (), "", None, 0, None, None)
        html, shown = self._html(answer, whole)
        return {"key": self.anonymity.key[student], "label": self.anonymity.label[student],
                "name": student if names else None, "where": answer.where, "empty": answer.empty,
                "html": html, "truncated": shown < len(answer.text), "chars": len(answer.text),
                "written": answer.written, "state": self.state_json(state, rubric, question)}

    def _html(self, answer: StudentAnswer, whole: bool) -> tuple[str, int]:
        """The answer rendered, and how many of its characters that is: for a list, a beginning whose rendering
        stays within LIST_HTML (20,000 characters of $x$ make 650 KB of MathML: a few such answers made every
        key in the page slow); else all of it. Each made once."""
        if answer.empty is not None and not answer.text:
            return "", len(answer.text)
        at = (answer.student, answer.question or "")
        with self._lock:
            made = self._listed.get(at)
            if whole and (made is None or made[1] < len(answer.text)):  # the list's is not all of it
                made = self._whole.get(at)
        if made is not None:
            return made
        made = (markdown_html(answer.text), len(answer.text)) if whole else _list_rendering(answer.text)  # slow: no lock
        with self._lock:
            if whole and made[1] > 0 and (at not in self._listed or self._listed[at][1] < made[1]):
                self._whole[at] = made
                while len(self._whole) > FULL_CACHED:
                    self._whole.popitem(last=False)
            else:
                self._listed[at] = made
        return made

    def state_json(self, state: GradeState, rubric: Sequence[RubricItem], question: _Question) -> dict[str, Any]:
        """The answer's grade for the page; "stale" when it was given to another text of the answer (a regraded
        resubmission): not counted as graded until a grader changes it or keeps it."""
        score = state.score(rubric, question.points if question.points is not None else _NO_CAP)
        stale = not state.counts_for(self._prints.get((state.student, state.question)))
        return {"items": list(state.items), "comment": state.comment, "override": number(state.override),
                "score": number(score), "graded": score is not None and not stale, "stale": stale,
                "version": state.version, "updated_by": state.updated_by, "updated_at": state.updated_at}

    def change_json(self, change: Change) -> dict[str, Any]:
        key = None if change.student is None else student_key(self.secret, change.student)
        return {"seq": change.seq, "at": change.at, "grader": change.grader, "question": change.question,
                "key": key, "item": change.item, "field": change.field, "before": change.before,
                "after": change.after}


def _list_rendering(text: str) -> tuple[str, int]:
    """The rendering of the longest beginning of ``text`` (up to LIST_CHARS characters) within LIST_HTML
    characters of HTML, and its length: each try shortens by the ratio the last one overshot."""
    shown = min(len(text), LIST_CHARS)
    html = markdown_html(text[:shown])
    while len(html) > LIST_HTML and shown > 200:
        shown = max(200, int(shown * LIST_HTML / len(html) * 0.9))
        html = markdown_html(text[:shown])
    return html, shown


def item_json(item: RubricItem) -> dict[str, Any]:
    return {"id": item.id, "position": item.position, "points": number(item.points), "description": item.description}


def _version(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ApiError(400, f'"version" is the answer\'s version as the page last saw it (a whole number), '
                            f"not {value!r}")
    return value


def _no_unknown(body: Mapping[str, Any], known: set[str]) -> None:
    unknown = sorted(set(body) - known)
    if unknown:
        raise ApiError(400, f"unknown field(s) {', '.join(map(repr, unknown))}; known: {', '.join(sorted(known))}")


def open_room(setup: RoomSetup, results_dir: Path) -> Room:
    """The room of ``setup``'s assignment over RESULTS_DIR: its answers read, its store opened (created)."""
    from .answers import load_answers
    from .store import open_room as open_store
    results_dir = Path(results_dir)
    if not results_dir.is_dir():
        raise KitError(f"no such folder: {results_dir} (give the --out folder of 'grade')")
    answers = load_answers(results_dir, setup.questions)
    store = open_store(results_dir, setup.assignment)
    try:
        return Room(setup, answers, store)
    except BaseException:
        store.close()
        raise

