"""The grading room's state: rubric items, each answer's grade, and the audit trail, in one SQLite file.

The file (RESULTS_DIR/grading-room.sqlite) sits beside the results it grades, so it travels with them.
It is in WAL mode: several TAs' rooms (one process each, on one machine) read while one writes, and a
gradebook can read it while grading goes on. Each change is one ``BEGIN IMMEDIATE`` transaction holding
the change and its audit row (who, when, before, after), so a server stopped mid-change leaves the
change whole or not at all; synchronous=FULL makes a change the grader saw confirmed survive a power cut.

Two graders on one answer: each change names the answer's version the grader last saw, and a change to an
answer someone else changed since is refused (``Stale``, carrying what the answer now is), never merged
silently. Rubric items belong to a question; editing an item's points changes the score of every answer
it is applied to, and that edit is in the trail of each of those answers.
"""

from __future__ import annotations

import datetime as dt
import math
import secrets
import sqlite3
import threading
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from ..errors import KitError
from ..grading.written_grades import points_text

DB_NAME = "grading-room.sqlite"
SCHEMA_VERSION = "1"
MAX_POINTS = Decimal(1_000_000)
DECIMALS = 4  # points are kept exactly to this many places: 0.00001 is refused, never rounded to 0
MAX_DESCRIPTION = 500
MAX_COMMENT = 20_000
MAX_GRADER = 60

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS rubric (
    id INTEGER PRIMARY KEY, question TEXT NOT NULL, position INTEGER NOT NULL, points TEXT NOT NULL,
    description TEXT NOT NULL, deleted INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS grades (
    student TEXT NOT NULL, question TEXT NOT NULL, comment TEXT NOT NULL DEFAULT '', override TEXT,
    version INTEGER NOT NULL, updated_by TEXT, updated_at TEXT, answer TEXT, PRIMARY KEY (student, question));
CREATE TABLE IF NOT EXISTS applied (
    student TEXT NOT NULL, question TEXT NOT NULL, item INTEGER NOT NULL REFERENCES rubric(id),
    PRIMARY KEY (student, question, item));
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, grader TEXT NOT NULL, student TEXT,
    question TEXT NOT NULL, item INTEGER, field TEXT NOT NULL, before TEXT NOT NULL, after TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS audit_answer ON audit (question, student);
"""


class RoomError(KitError):
    """A change the room refuses (a bad number, an unknown item): the server answers it as a 400 or 404."""

    def __init__(self, message: str, *, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class RubricItem:
    id: int
    question: str
    position: int        # 1-based among the question's items: the key that applies it
    points: Decimal      # negative for a deduction
    description: str

    @property
    def shown(self) -> str:
        """'+1.5 correct sign' as the trail and the feedback name it."""
        return f"{points_text(self.points, sign=True)} {self.description}"


@dataclass(frozen=True)
class GradeState:
    student: str
    question: str
    items: tuple[int, ...]     # applied rubric items (ids), deleted ones left out
    comment: str
    override: Decimal | None
    version: int               # 0: never touched
    updated_by: str | None
    updated_at: str | None
    answer: str | None = None  # the fingerprint of the answer as it was when last changed (room/answers.py)

    def counts_for(self, answer: str | None) -> bool:
        """Whether this grade was given to the answer whose fingerprint this is. A regraded resubmission with a
        new answer makes it False: that grade is not counted until a grader changes or keeps it."""
        return self.answer is None or answer is None or self.answer == answer

    def score(self, rubric: Sequence[RubricItem], points: Decimal) -> Decimal | None:
        """The override when set; else None while no item is applied (ungraded); else the applied items' sum
        held within 0..points."""
        if self.override is not None:
            return self.override
        if not self.items:
            return None
        applied = set(self.items)
        total = sum((i.points for i in rubric if i.id in applied), Decimal(0))
        return min(max(total, Decimal(0)), points)


@dataclass(frozen=True)
class Change:
    seq: int
    at: str                 # ISO 8601, UTC, seconds
    grader: str
    student: str | None     # None: a rubric item's own change
    question: str
    item: int | None
    field: str              # "rubric item 2 (+1 correct sign)", "comment", "override", "rubric item 2"
    before: str
    after: str


@dataclass(frozen=True)
class RoomScores:
    by_student: dict[str, dict[str, Decimal | None]]  # student -> question id -> score; None: not graded yet
    stale: frozenset[tuple[str, str]]                  # (student, question) graded for another text of the answer


class Stale(Exception):
    """The answer changed since the version the grader saw; ``state`` is what it is now."""

    def __init__(self, state: GradeState) -> None:
        super().__init__(f"changed by {state.updated_by} at {state.updated_at}")
        self.state = state


def parse_points(value: object, what: str, *, negative: bool = False) -> Decimal:
    """A finite number of points within the room's bounds (a JSON number or its text), else RoomError."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise RoomError(f"{what} must be a number, not {value!r}")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise RoomError(f"{what} must be a number, not {value!r}") from None
    if not number.is_finite() or (isinstance(value, float) and not math.isfinite(value)):
        raise RoomError(f"{what} must be a finite number, not {value!r}")
    shown = str(value)[:40]  # 1e999999999 is refused as it is written, not printed in full
    # adjusted() first: comparing or rounding a number with a huge exponent overflows Decimal's context.
    if number != 0 and (number.adjusted() > MAX_POINTS.adjusted() or abs(number) > MAX_POINTS
                        or (number < 0 and not negative)):
        bounds = f"-{MAX_POINTS} to {MAX_POINTS}" if negative else f"0 to {MAX_POINTS}"
        raise RoomError(f"{what} {shown} is outside {bounds}")
    if number != number.quantize(Decimal(1).scaleb(-DECIMALS)):  # huge ones are refused above: no overflow
        raise RoomError(f"{what} {shown} has more than {DECIMALS} decimal places")
    return number.normalize() if number != 0 else Decimal(0)


def check_grader(grader: object) -> str:
    """The grader's name as the trail records it: 1-60 printable characters, at least one a letter or digit, in
    NFC (so "Adá" typed with a combining accent is the same name as with a composed one)."""
    if not isinstance(grader, str) or not grader.strip():
        raise RoomError("say who you are: the grader's name is missing")
    name = unicodedata.normalize("NFC", grader.strip())
    if len(name) > MAX_GRADER or not name.isprintable() or not any(c.isalnum() for c in name):
        raise RoomError(f"a grader's name is 1 to {MAX_GRADER} printable characters, at least one a letter or "
                        "digit")
    return name


def same_grader(a: str, b: str) -> bool:
    """Whether two names are one grader's as people read them: case and compatibility forms aside ("ADA", "Ada",
    "Ａｄａ")."""
    return unicodedata.normalize("NFKC", a).casefold() == unicodedata.normalize("NFKC", b).casefold()


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


class RoomStore:
    """One connection to a room's database, shared by a server's threads (a lock serialises them; other
    processes are serialised by SQLite's own locks)."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self._db = connection
        self.path = path
        self._lock = threading.Lock()

    @classmethod
    def open(cls, path: Path, assignment: str) -> "RoomStore":
        """The room of ``assignment`` at ``path``, created when absent; KitError for another assignment's."""
        try:
            db = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            db.execute("PRAGMA foreign_keys=ON")
            db.executescript(_SCHEMA)
            store = cls(db, path)
            with store._write() as c:
                meta = dict(c.execute("SELECT key, value FROM meta").fetchall())
                if not meta:
                    c.executemany("INSERT INTO meta VALUES (?, ?)", [
                        ("assignment", assignment), ("schema", SCHEMA_VERSION), ("secret", secrets.token_hex(32))])
                    meta = {"assignment": assignment, "schema": SCHEMA_VERSION}
        except sqlite3.DatabaseError as e:
            raise KitError(f"cannot open the grading room's database: {e}", path=path) from None
        if meta.get("assignment") != assignment:
            store.close()
            raise KitError(f"this grading room is {meta.get('assignment')!r}'s, not {assignment!r}'s", path=path)
        if meta.get("schema") != SCHEMA_VERSION:
            store.close()
            raise KitError(f"this grading room was written by another version of the kit (schema "
                           f"{meta.get('schema')!r}, this kit reads {SCHEMA_VERSION!r})", path=path)
        return store

    def close(self) -> None:
        self._db.close()

    @property
    def secret(self) -> bytes:
        """The room's own random key (anonymous labels are derived from it, so they differ between rooms)."""
        row = self._db.execute("SELECT value FROM meta WHERE key = 'secret'").fetchone()
        return bytes.fromhex(row[0])

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One transaction, taking SQLite's write lock at once (so a version read inside it stays true)."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # rubric

    def rubric(self, question: str) -> list[RubricItem]:
        with self._lock:
            return self._rubric(self._db, question)

    @staticmethod
    def _rubric(c: sqlite3.Connection, question: str) -> list[RubricItem]:
        rows = c.execute("SELECT id, question, position, points, description FROM rubric "
                         "WHERE question = ? AND deleted = 0 ORDER BY position", (question,)).fetchall()
        return [RubricItem(r[0], r[1], r[2], _stored(r[3], f"rubric item {r[0]}'s points"), r[4]) for r in rows]

    def add_item(self, question: str, points: Decimal, description: str, grader: str) -> RubricItem:
        grader, description = check_grader(grader), _description(description)
        with self._write() as c:
            position = len(self._rubric(c, question)) + 1
            cursor = c.execute("INSERT INTO rubric (question, position, points, description) VALUES (?, ?, ?, ?)",
                               (question, position, points_text(points), description))
            item = RubricItem(int(cursor.lastrowid or 0), question, position, points, description)
            self._audit(c, grader, None, question, item.id, f"rubric item {position}", "", item.shown)
        return item

    def edit_item(self, item_id: int, grader: str, *, points: Decimal | None = None, description: str | None = None,
                  deleted: bool | None = None) -> RubricItem:
        grader = check_grader(grader)
        with self._write() as c:
            row = c.execute("SELECT question, position, points, description FROM rubric WHERE id = ? AND deleted = 0",
                            (item_id,)).fetchone()
            if row is None:
                raise RoomError(f"there is no rubric item {item_id}", status=404)
            before = RubricItem(item_id, row[0], row[1], _stored(row[2], f"rubric item {item_id}'s points"), row[3])
            after = RubricItem(item_id, before.question, before.position,
                               before.points if points is None else points,
                               before.description if description is None else _description(description))
            if deleted:
                c.execute("UPDATE rubric SET deleted = 1, position = 0 WHERE id = ?", (item_id,))
                for n, other in enumerate((i for i in self._rubric(c, before.question)), start=1):
                    c.execute("UPDATE rubric SET position = ? WHERE id = ?", (n, other.id))
                self._audit(c, grader, None, before.question, item_id, f"rubric item {before.position}",
                            before.shown, "deleted")
                return before
            c.execute("UPDATE rubric SET points = ?, description = ? WHERE id = ?",
                      (points_text(after.points), after.description, item_id))
            if after != before:
                self._audit(c, grader, None, before.question, item_id, f"rubric item {before.position}",
                            before.shown, after.shown)
        return after

    # grades

    def state(self, student: str, question: str) -> GradeState:
        with self._lock:
            return self._state(self._db, student, question)

    @staticmethod
    def _state(c: sqlite3.Connection, student: str, question: str) -> GradeState:
        row = c.execute("SELECT comment, override, version, updated_by, updated_at, answer FROM grades "
                        "WHERE student = ? AND question = ?", (student, question)).fetchone()
        items = tuple(r[0] for r in c.execute(
            "SELECT a.item FROM applied a JOIN rubric r ON r.id = a.item WHERE a.student = ? AND a.question = ? "
            "AND r.deleted = 0 ORDER BY r.position", (student, question)))
        if row is None:
            return GradeState(student, question, items, "", None, 0, None, None)
        override = None if row[1] is None else _stored(row[1], f"the override of {student!r} on {question}")
        return GradeState(student, question, items, row[0], override, row[2], row[3], row[4], row[5])

    def states(self, question: str) -> dict[str, GradeState]:
        """Every touched answer of the question; an absent student has never been graded (GradeState version 0)."""
        with self._lock:
            students = [r[0] for r in self._db.execute("SELECT student FROM grades WHERE question = ?", (question,))]
            return {s: self._state(self._db, s, question) for s in students}

    def apply_item(self, student: str, question: str, item_id: int, applied: bool, grader: str,
                   version: int, answer: str | None = None) -> GradeState:
        """Each change takes the ``answer``'s fingerprint it was made on (None: leave the one recorded)."""
        grader = check_grader(grader)
        with self._write() as c:
            current = self._current(c, student, question, version)
            item = next((i for i in self._rubric(c, question) if i.id == item_id), None)
            if item is None:
                raise RoomError(f"question {question} has no rubric item {item_id}", status=404)
            if (item_id in current.items) == applied:
                return current
            if applied:
                c.execute("INSERT INTO applied VALUES (?, ?, ?)", (student, question, item_id))
            else:
                c.execute("DELETE FROM applied WHERE student = ? AND question = ? AND item = ?",
                          (student, question, item_id))
            on_off = ("not applied", "applied") if applied else ("applied", "not applied")
            return self._changed(c, current, grader, item_id, f"rubric item {item.position} ({item.shown})", *on_off,
                                 answer=answer)

    def set_comment(self, student: str, question: str, text: str, grader: str, version: int,
                    answer: str | None = None) -> GradeState:
        grader = check_grader(grader)
        if not isinstance(text, str) or len(text) > MAX_COMMENT:
            raise RoomError(f"a comment is text of at most {MAX_COMMENT} characters")
        if not _encodable(text):
            raise RoomError("a comment cannot hold a lone surrogate (\\ud800-\\udfff): it is not text UTF-8 can store")
        with self._write() as c:
            current = self._current(c, student, question, version)
            if text == current.comment:
                return current
            self._row(c, current)
            c.execute("UPDATE grades SET comment = ? WHERE student = ? AND question = ?", (text, student, question))
            return self._changed(c, current, grader, None, "comment", current.comment, text, answer=answer)

    def set_override(self, student: str, question: str, value: Decimal | None, grader: str,
                     version: int, answer: str | None = None) -> GradeState:
        grader = check_grader(grader)
        with self._write() as c:
            current = self._current(c, student, question, version)
            if value == current.override:
                return current
            self._row(c, current)
            c.execute("UPDATE grades SET override = ? WHERE student = ? AND question = ?",
                      (None if value is None else points_text(value), student, question))
            shown = ["none" if v is None else points_text(v) for v in (current.override, value)]
            return self._changed(c, current, grader, None, "override", *shown, answer=answer)

    def keep_grade(self, student: str, question: str, grader: str, version: int, answer: str) -> GradeState:
        """A grader has read the answer's new text (a regraded resubmission) and keeps its grade as it is."""
        grader = check_grader(grader)
        with self._write() as c:
            current = self._current(c, student, question, version)
            if current.counts_for(answer):
                return current
            return self._changed(c, current, grader, None, "grade kept for the changed answer", "answer changed",
                                 "kept", answer=answer)

    def _current(self, c: sqlite3.Connection, student: str, question: str, version: int) -> GradeState:
        """The answer's state inside a write; Stale when it is not the version the grader saw."""
        current = self._state(c, student, question)
        if current.version != version:
            raise Stale(current)
        return current

    @staticmethod
    def _row(c: sqlite3.Connection, current: GradeState) -> None:
        """The answer's grades row, made by its first real change (a change that changes nothing makes none)."""
        c.execute("INSERT OR IGNORE INTO grades (student, question, version) VALUES (?, ?, 0)",
                  (current.student, current.question))

    def _changed(self, c: sqlite3.Connection, before: GradeState, grader: str, item: int | None, field: str,
                 old: str, new: str, *, answer: str | None) -> GradeState:
        self._row(c, before)
        at = _now()
        c.execute("UPDATE grades SET version = version + 1, updated_by = ?, updated_at = ?, "
                  "answer = COALESCE(?, answer) WHERE student = ? AND question = ?",
                  (grader, at, answer, before.student, before.question))
        self._audit(c, grader, before.student, before.question, item, field, old, new, at)
        return self._state(c, before.student, before.question)

    @staticmethod
    def _audit(c: sqlite3.Connection, grader: str, student: str | None, question: str, item: int | None, field: str,
               before: str, after: str, at: str | None = None) -> None:
        c.execute("INSERT INTO audit (at, grader, student, question, item, field, before, after) "
                  "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (at or _now(), grader, student, question, item, field, before, after))

    # the trail

    def history(self, student: str, question: str) -> list[Change]:
        """The answer's changes, oldest first, with the edits of rubric items ever applied to it."""
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, at, grader, student, question, item, field, before, after FROM audit "
                "WHERE question = ? AND (student = ? OR (student IS NULL AND item IN "
                "(SELECT item FROM audit WHERE question = ? AND student = ? AND item IS NOT NULL))) ORDER BY seq",
                (question, student, question, student)).fetchall()
        return [Change(*r) for r in rows]

    def changes_since(self, seq: int, limit: int = 1000) -> tuple[int, list[Change]]:
        """(the latest change's seq, the changes after ``seq``: at most ``limit``, oldest first)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, at, grader, student, question, item, field, before, after FROM audit "
                "WHERE seq > ? ORDER BY seq LIMIT ?", (seq, limit)).fetchall()
            latest = self._db.execute("SELECT COALESCE(MAX(seq), 0) FROM audit").fetchone()[0]
        changes = [Change(*r) for r in rows]
        return (changes[-1].seq if len(changes) == limit else latest), changes

    def scores(self, points: Mapping[str, Decimal], answers: Mapping[tuple[str, str], str] | None = None
               ) -> RoomScores:
        """The score of every touched answer of the questions (None: not graded yet); with ``answers``
        ((student, question) -> the answer's fingerprint now), a grade given to another text of the answer
        (before a regrade) is None too, and named in ``stale``."""
        out: dict[str, dict[str, Decimal | None]] = {}
        stale: set[tuple[str, str]] = set()
        for question, worth in points.items():
            rubric = self.rubric(question)
            for student, state in self.states(question).items():
                score = state.score(rubric, worth)
                if score is not None and not state.counts_for((answers or {}).get((student, question))):
                    stale.add((student, question))
                    score = None
                out.setdefault(student, {})[question] = score
        return RoomScores(out, frozenset(stale))


def _stored(value: object, what: str) -> Decimal:
    """A number of points as the database holds it; KitError when something else wrote it there."""
    try:
        return parse_points(value, what, negative=True)
    except RoomError as e:
        raise KitError(f"{DB_NAME} holds {what} = {str(value)[:40]!r}, which this kit never writes ({e}): the "
                       "database was changed by something else") from None


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _description(text: object) -> str:
    if not isinstance(text, str) or not text.strip():
        raise RoomError("a rubric item needs a description (what it is for)")
    if len(text.strip()) > MAX_DESCRIPTION or not text.strip().isprintable():
        raise RoomError(f"a rubric item's description is one line of at most {MAX_DESCRIPTION} characters")
    return text.strip()


def open_room(results_dir: Path, assignment: str) -> RoomStore:
    """The room beside a results folder (RESULTS_DIR/grading-room.sqlite)."""
    return RoomStore.open(Path(results_dir) / DB_NAME, assignment)
