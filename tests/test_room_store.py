"""The grading room's store: scores from rubric items, the override, versions between graders, the trail,
and a change that is whole or absent when the process dies mid-way."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path

import pytest

from autograder.errors import KitError
from autograder.room.store import DB_NAME, RoomError, RoomScores, RoomStore, Stale, open_room, parse_points

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def room(tmp_path):
    store = open_room(tmp_path, "linear_regression")
    yield store
    store.close()


def test_is_the_score_the_applied_items_sum_held_within_the_questions_points(room):
    full = room.add_item("q1", Decimal(2), "correct and explained", "ana")
    sign = room.add_item("q1", Decimal("-0.5"), "sign error", "ana")
    bonus = room.add_item("q1", Decimal(1), "extra insight", "ana")
    state = room.state("alice", "q1")
    assert state.version == 0 and state.score(room.rubric("q1"), Decimal(2)) is None  # ungraded
    state = room.apply_item("alice", "q1", full.id, True, "ana", 0)
    state = room.apply_item("alice", "q1", sign.id, True, "ana", state.version)
    assert state.score(room.rubric("q1"), Decimal(2)) == Decimal("1.5")
    state = room.apply_item("alice", "q1", bonus.id, True, "ana", state.version)
    assert state.score(room.rubric("q1"), Decimal(2)) == Decimal(2)  # capped by the question's points
    only_sign = room.apply_item("bob", "q1", sign.id, True, "ana", 0)
    assert only_sign.score(room.rubric("q1"), Decimal(2)) == 0  # never below 0
    state = room.set_override("alice", "q1", Decimal("0.25"), "ben", state.version)
    assert state.score(room.rubric("q1"), Decimal(2)) == Decimal("0.25")
    state = room.set_override("alice", "q1", None, "ben", state.version)
    assert state.score(room.rubric("q1"), Decimal(2)) == Decimal(2)
    assert room.scores({"q1": Decimal(2), "q2": Decimal(3)}).by_student == {"alice": {"q1": Decimal(2)},
                                                                            "bob": {"q1": Decimal(0)}}


def test_is_a_change_to_an_answer_someone_changed_since_refused_with_what_it_is_now(room):
    item = room.add_item("q1", Decimal(1), "right", "ana")
    seen = room.state("alice", "q1")
    room.set_comment("alice", "q1", "ana's comment", "ana", seen.version)
    with pytest.raises(Stale) as stale:
        room.apply_item("alice", "q1", item.id, True, "ben", seen.version)
    assert stale.value.state.comment == "ana's comment" and stale.value.state.updated_by == "ana"
    assert room.state("alice", "q1").items == ()


def test_does_the_trail_say_who_when_before_and_after_for_each_change_and_the_rubric_edits(room):
    item = room.add_item("q2", Decimal(1), "uses the chain rule", "ana")
    other = room.add_item("q2", Decimal(1), "never applied here", "ana")
    state = room.apply_item("carol", "q2", item.id, True, "ana", 0)
    state = room.set_comment("carol", "q2", "good", "ben", state.version)
    state = room.set_comment("carol", "q2", "good, but say why", "ana", state.version)
    room.edit_item(item.id, "ben", points=Decimal("1.5"))
    room.edit_item(other.id, "ben", points=Decimal(3))
    trail = room.history("carol", "q2")
    assert [(c.grader, c.field, c.before, c.after) for c in trail] == [
        ("ana", "rubric item 1", "", "+1 uses the chain rule"),
        ("ana", "rubric item 1 (+1 uses the chain rule)", "not applied", "applied"),
        ("ben", "comment", "", "good"),
        ("ana", "comment", "good", "good, but say why"),
        ("ben", "rubric item 1", "+1 uses the chain rule", "+1.5 uses the chain rule"),
    ]
    assert all(c.at.endswith("+00:00") for c in trail)
    assert room.state("carol", "q2").score(room.rubric("q2"), Decimal(2)) == Decimal("1.5")


def test_does_deleting_an_item_renumber_the_rest_and_drop_it_from_scores(room):
    a = room.add_item("q1", Decimal(1), "a", "ana")
    b = room.add_item("q1", Decimal(1), "b", "ana")
    state = room.apply_item("alice", "q1", a.id, True, "ana", 0)
    state = room.apply_item("alice", "q1", b.id, True, "ana", state.version)
    room.edit_item(a.id, "ana", deleted=True)
    assert [(i.position, i.description) for i in room.rubric("q1")] == [(1, "b")]
    assert room.state("alice", "q1").items == (b.id,)
    with pytest.raises(RoomError):
        room.edit_item(a.id, "ana", points=Decimal(2))


@pytest.mark.parametrize("value", ["abc", "nan", "inf", float("inf"), True, None, "1e9", -1])
def test_are_bad_points_refused_in_words(value):
    with pytest.raises(RoomError, match="points"):
        parse_points(value, "points")


def test_are_a_missing_grader_and_a_bad_description_refused(room):
    with pytest.raises(RoomError, match="grader"):
        room.add_item("q1", Decimal(1), "x", "  ")
    with pytest.raises(RoomError, match="description"):
        room.add_item("q1", Decimal(1), "", "ana")


def test_is_another_assignments_room_refused(tmp_path):
    open_room(tmp_path, "mlp").close()
    with pytest.raises(KitError, match="'mlp'"):
        open_room(tmp_path, "linear_regression")
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / DB_NAME).write_bytes(b"not a database, just text" * 100)
    with pytest.raises(KitError, match="cannot open"):
        open_room(tmp_path / "x", "mlp")


def test_is_the_database_in_wal_mode_and_readable_while_another_process_writes(room, tmp_path):
    assert room._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    item = room.add_item("q1", Decimal(1), "right", "ana")
    writer = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {str(ROOT)!r})
        from pathlib import Path
        from autograder.room.store import open_room
        room = open_room(Path({str(tmp_path)!r}), "linear_regression")
        with room._write() as c:  # hold the write lock a while
            c.execute("INSERT INTO applied VALUES ('zed', 'q1', {item.id})")
            print("locked", flush=True)
            time.sleep(1.5)
            c.execute("INSERT INTO grades (student, question, version) VALUES ('zed', 'q1', 1)")
        """)], stdout=subprocess.PIPE, text=True)
    assert writer.stdout.readline().strip() == "locked"
    reader = sqlite3.connect(f"file:{tmp_path / DB_NAME}?mode=ro", uri=True, timeout=0.2)
    assert reader.execute("SELECT COUNT(*) FROM rubric").fetchone()[0] == 1  # read during the other's write
    assert writer.wait(30) == 0
    assert room.state("zed", "q1").items == (item.id,)


@pytest.mark.parametrize("die_after_commit", [False, True])
def test_is_a_change_whole_or_absent_when_the_process_is_killed(tmp_path, die_after_commit):
    open_room(tmp_path, "linear_regression").close()
    child = subprocess.run([sys.executable, "-c", textwrap.dedent(f"""
        import os, signal, sys
        sys.path.insert(0, {str(ROOT)!r})
        from decimal import Decimal
        from pathlib import Path
        from autograder.room import store
        room = store.open_room(Path({str(tmp_path)!r}), "linear_regression")
        item = room.add_item("q1", Decimal(1), "right", "ana")
        if not {die_after_commit}:
            real = store.RoomStore._audit
            def die(*args, **kwargs):  # the change is written, its audit row not yet: killed mid-transaction
                os.kill(os.getpid(), signal.SIGKILL)
            store.RoomStore._audit = staticmethod(die)
        room.apply_item("alice", "q1", item.id, True, "ana", 0)
        os.kill(os.getpid(), signal.SIGKILL)
        """)])
    assert child.returncode == -signal.SIGKILL
    room = open_room(tmp_path, "linear_regression")
    assert room._db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    state = room.state("alice", "q1")
    trail = room.history("alice", "q1")
    if die_after_commit:
        assert state.items and state.version == 1 and trail[-1].after == "applied"
    else:
        assert state.items == () and state.version == 0 and [c.field for c in trail] == []
    room.close()


def test_does_a_change_that_changes_nothing_leave_the_answer_gradeable(room):
    """A first change that changes nothing (an empty comment, no override, an item not applied) once made a
    version-0 row that every later change collided with."""
    item = room.add_item("q1", Decimal(1), "right", "ana")
    assert room.set_comment("alice", "q1", "", "ana", 0).version == 0
    assert room.set_override("alice", "q1", None, "ana", 0).version == 0
    assert room.apply_item("alice", "q1", item.id, False, "ana", 0).version == 0
    assert room.states("q1") == {} and room.history("alice", "q1") == []
    state = room.set_comment("alice", "q1", "hello", "ana", 0)
    state = room.set_override("alice", "q1", Decimal(1), "ana", state.version)
    assert room.apply_item("alice", "q1", item.id, True, "ana", state.version).version == 3


@pytest.mark.parametrize("value, says", [
    (1e308, "outside"), ("1e999999999999999999", "outside"), ("-1e999999999999999999", "outside"),
    ("0.00001", "more than 4 decimal places"), ("1e-99999999999", "more than 4 decimal places")])
def test_are_huge_and_tiny_points_refused_not_overflowed_or_rounded(value, says):
    with pytest.raises(RoomError, match=says) as info:
        parse_points(value, "points", negative=True)
    assert len(str(info.value)) < 200


def test_are_points_kept_exactly(room):
    assert parse_points("0.0001", "points") == Decimal("0.0001") and parse_points("2.50", "points") == Decimal("2.5")


def test_is_a_lone_surrogate_in_a_comment_refused_and_nothing_written(room):
    with pytest.raises(RoomError, match="surrogate"):
        room.set_comment("alice", "q1", "\ud800 x", "ana", 0)
    assert room.state("alice", "q1").version == 0


@pytest.mark.parametrize("column, value", [("points", "abc"), ("points", "NaN"), ("points", "1e999999")])
def test_is_a_database_changed_by_something_else_said_in_one_short_line(room, column, value):
    item = room.add_item("q1", Decimal(1), "right", "ana")
    room.apply_item("alice", "q1", item.id, True, "ana", 0)
    room._db.execute(f"UPDATE rubric SET {column} = ?", (value,))
    with pytest.raises(KitError, match="which this kit never writes") as info:
        room.scores({"q1": Decimal(2)})
    assert len(str(info.value)) < 300


def test_is_a_grade_given_to_another_text_of_the_answer_not_counted_until_kept(room):
    """A regraded resubmission with a new answer keeps its student and question: the grade given to the old text
    must not pass for the new one's (the gradebook, the feedback), until a grader changes or keeps it."""
    item = room.add_item("q1", Decimal(2), "right", "ana")
    state = room.apply_item("alice", "q1", item.id, True, "ana", 0, answer="old")
    assert state.counts_for("old") and not state.counts_for("new") and state.counts_for(None)
    assert room.scores({"q1": Decimal(2)}, {("alice", "q1"): "old"}) == RoomScores({"alice": {"q1": Decimal(2)}},
                                                                                  frozenset())
    assert room.scores({"q1": Decimal(2)}, {("alice", "q1"): "new"}) == RoomScores({"alice": {"q1": None}},
                                                                                  frozenset({("alice", "q1")}))
    kept = room.keep_grade("alice", "q1", "ben", state.version, "new")
    assert kept.counts_for("new") and kept.items == (item.id,) and kept.version == state.version + 1
    assert room.history("alice", "q1")[-1].field == "grade kept for the changed answer"
    assert room.keep_grade("alice", "q1", "ben", kept.version, "new") == kept  # nothing to keep: no change
    assert room.set_comment("alice", "q1", "ok", "ana", kept.version).answer == "new"  # None: left as it was
