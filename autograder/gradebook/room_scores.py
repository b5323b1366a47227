"""Written answers' scores straight from a grading room: ``gradebook --manual mlp=out/mlp`` (the results folder
holding grading-room.sqlite, or the .sqlite itself), in place of a manual-scores CSV typed by hand.

Each question's worth is its ``points`` in spec.toml's [[questions]], so the total is known before grading.
Every student of the grades file needs a score for every question: one ungraded answer refuses the whole
input (counted, the first few named), as a CSV with a missing row is refused.

The database is opened read-only (SQLite's ``mode=ro``) and read in one transaction: the gradebook never
takes a write lock, creates a file or changes a byte of a room that TAs may be grading in right now (WAL
lets a reader see the last committed state while they write), and its scores are one consistent snapshot.
"""

from __future__ import annotations

import sqlite3
import urllib.parse
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path

from ..errors import KitError
from ..layout import Layout
from ..grading.written_grades import points_text
from ..room.answers import answer_fingerprints
from ..room.store import DB_NAME, RoomScores, RoomStore
from ..spec import load_spec

SHOWN_UNGRADED = 5  # how many ungraded answers the refusal names


def is_room(path: Path) -> bool:
    """Does --manual name a grading room (a folder, or a .sqlite file) rather than a manual-scores CSV?"""
    return path.is_dir() or path.suffix in (".sqlite", ".sqlite3", ".db")


def room_file(path: Path) -> Path:
    """The room's database: ``path`` itself, or the grading-room.sqlite in the results folder ``path``."""
    db = path / DB_NAME if path.is_dir() else path
    if not db.is_file():
        raise KitError(f"no grading room here: {db} does not exist (grade the written answers with "
                       "'course-kit grading-room ASSIGNMENT RESULTS_DIR' first, or give a manual-scores CSV)")
    return db


def read_room_scores(layout: Layout, path: Path, graded: Mapping[str, object],
                     assignment: str) -> dict[str, tuple[Decimal, Decimal]]:
    """Student -> (their written answers' points, what the questions are worth), for every student in ``graded``;
    KitError for another assignment's room, a question spec.toml gives no points, or any answer not graded."""
    db = room_file(path)
    spec = load_spec(layout, assignment)
    if not spec.questions:
        raise KitError(f"--manual {assignment}={path}: {spec.shown('spec.toml')} gives no [[questions]] points, so "
                       "the room's scores have nothing to count against; add id and points for each written question")
    worth = spec.question_worth
    room = _snapshot(db, assignment, worth)
    scores, stale = room.by_student, room.stale
    strangers = sorted(set(scores) - set(graded))
    if strangers:
        raise KitError(f"student {strangers[0]!r} is graded in this room but has no row in the grades file of "
                       f"{assignment!r}", path=db)
    missing = [(s, q) for s in sorted(graded) for q in worth if scores.get(s, {}).get(q) is None]
    if missing:
        named = ", ".join(f"{s} {q}" + (" (a regrade changed the answer since it was graded: keep or change its "
                                         "grade)" if (s, q) in stale else "") for s, q in missing[:SHOWN_UNGRADED])
        more = f" and {len(missing) - SHOWN_UNGRADED} more" if len(missing) > SHOWN_UNGRADED else ""
        raise KitError(f"{len(missing)} written answer(s) of {assignment!r} not graded yet: {named}{more} "
                       "(apply a rubric item or set a score in the grading room; 0 if nothing was answered)", path=db)
    total = sum(worth.values(), Decimal(0))
    out = {}
    for student in graded:
        got = scores[student]
        for q, top in worth.items():
            score = got[q]
            if score is not None and not 0 <= score <= top:  # an override beyond what spec.toml now says
                raise KitError(f"student {student!r} has {points_text(score)} for question {q!r} of {assignment!r}, "
                               f"outside 0 to {points_text(top)} ({spec.question_where(q)})", path=db)
        out[student] = (sum((v for v in got.values() if v is not None), Decimal(0)), total)
    return out


def _snapshot(db: Path, assignment: str, worth: Mapping[str, Decimal]) -> RoomScores:
    """The room's scores, read from one consistent state of it without writing to it; a grade given to another
    text of the answer (before a regrade) is None, and named in ``stale``."""
    uri = f"file:{urllib.parse.quote(str(db.resolve()))}?mode=ro"
    try:
        connection = sqlite3.connect(uri, uri=True, timeout=30, isolation_level=None, check_same_thread=False)
    except sqlite3.Error as e:
        raise KitError(f"cannot read the grading room's database: {e}", path=db) from None
    store = RoomStore(connection, db)
    try:
        connection.execute("BEGIN")  # a read transaction: every query below sees the same committed state
        meta = dict(connection.execute("SELECT key, value FROM meta WHERE key = 'assignment'").fetchall())
        if meta.get("assignment") != assignment:
            raise KitError(f"this grading room is {meta.get('assignment')!r}'s, not {assignment!r}'s "
                           f"(--manual {assignment}=...)", path=db)
        scores = store.scores(worth, answer_fingerprints(db.parent))
        connection.execute("COMMIT")
        return scores
    except sqlite3.Error as e:
        raise KitError(f"cannot read the grading room's database: {e}", path=db) from None
    finally:
        store.close()
