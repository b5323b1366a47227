"""The grading room's exports (issue 23): the gradebook reads the room's scores directly (read-only, every answer
graded, the right assignment's room), --feedback writes each student's grades into their feedback pages (rebuilt,
never appended; TA text escaped), and --pdf prints each student's answers page to a PDF, a page per question."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest

from autograder import cli
from autograder.course import load_course
from autograder.errors import KitError
from autograder.gradebook import GradebookInputs, build_gradebook
from autograder.grading.answers_page import write_answers_page
from autograder.grading.feedback import write_feedback
from autograder.grading.written_grades import WRITTEN_END, WRITTEN_FILE, WRITTEN_START
from autograder.grading.grade import SubmissionResult
from autograder.layout import KIT_LAYOUT
from autograder.room import pdf
from autograder.room.feedback import write_written_feedback
from autograder.room.store import DB_NAME, RoomStore, open_room
from conftest import ROOT
from host_needs import cannot_run

A1 = "linear_regression"   # its spec.toml: q1 2 points, q2 2, q3 3
DUE = dt.datetime.fromisoformat("2027-02-05T23:59:00-05:00")
COURSE = load_course(KIT_LAYOUT)
GRADES = ("submission,score,max_score,predict,squared_error_cost,cost_gradients,gradient_descent,fit_direct,"
          "polynomial_features,status\n"
          "1001,17,17,2,2,4,4,3,2,graded\nbob.byrne,10,17,2,2,4,2,0,0,graded\n1004,10,17,2,2,4,2,0,0,graded\n")
TIMES = "".join(f"{s},{A1},2027-02-05T20:00:00-05:00\n" for s in ("1001", "bob.byrne", "1004"))
STUDENTS = ("1001", "1004", "bob.byrne")


def grade(room: RoomStore, student: str, question: str, *items: int, comment: str = "",
          override: Decimal | None = None) -> None:
    version = room.state(student, question).version
    for item in items:
        version = room.apply_item(student, question, item, True, "ana", version).version
    if comment:
        version = room.set_comment(student, question, comment, "ana", version).version
    if override is not None:
        room.set_override(student, question, override, "ana", version)


@pytest.fixture
def results(tmp_path) -> Path:
    """A results folder with a room of linear_regression in which every answer but 1004's q3 is graded."""
    folder = tmp_path / "results"
    folder.mkdir()
    room = open_room(folder, A1)
    full = {q: room.add_item(q, Decimal(p), "correct", "ana").id for q, p in (("q1", 2), ("q2", 2), ("q3", 3))}
    half = room.add_item("q1", Decimal(1), "half of it", "ana").id
    zero = {q: room.add_item(q, Decimal(0), "no answer", "ana").id for q in ("q2", "q3")}
    for q in full:
        grade(room, "1001", q, full[q])
    grade(room, "bob.byrne", "q1", half)
    grade(room, "bob.byrne", "q2", zero["q2"])
    grade(room, "bob.byrne", "q3", override=Decimal("2.5"))
    grade(room, "1004", "q1", full["q1"], half)        # 3, held to the question's 2 points
    grade(room, "1004", "q2", zero["q2"])
    room.close()
    return folder


def finish(folder: Path) -> None:
    """Grade the one answer the fixture leaves ungraded."""
    room = open_room(folder, A1)
    grade(room, "1004", "q3", override=Decimal(1))
    room.close()


def gradebook(tmp_path: Path, manual: Path) -> list[str]:
    (tmp_path / "grades.csv").write_text(GRADES)
    (tmp_path / "times.csv").write_text("student,assignment,submitted_at\n" + TIMES)
    summary = build_gradebook(COURSE, GradebookInputs({A1: tmp_path / "grades.csv"}, tmp_path / "out" / "gb.csv",
                                                      tmp_path / "times.csv", manual={A1: manual}, dues={A1: DUE}))
    return summary.gradebook.read_text().splitlines()[1:]


# --- the gradebook reads the room -------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["", DB_NAME])
def test_does_the_gradebook_add_the_rooms_scores(tmp_path, results, name):
    finish(results)
    # 1001: (17 + 7) / (17 + 7); 1004: (10 + 2 + 0 + 1) / 24; bob: (10 + 1 + 0 + 2.5) / 24
    assert gradebook(tmp_path, results / name if name else results) == [
        "1001,100.00,0,no", "1004,54.17,0,no", "bob.byrne,56.25,0,no"]


def test_is_an_ungraded_answer_refused_counting_and_naming_them(tmp_path, results):
    room = open_room(results, A1)
    room.add_item("q3", Decimal(1), "unused", "ana")
    for student in ("1001", "bob.byrne"):   # touched (a comment) but no item applied: still not graded
        grade(room, student, "q2", comment="see me")
    room.close()
    with pytest.raises(KitError) as info:
        gradebook(tmp_path, results)
    assert str(info.value) == (f"{results / DB_NAME}: 1 written answer(s) of 'linear_regression' not graded yet: "
                               "1004 q3 (apply a rubric item or set a score in the grading room; 0 if nothing was "
                               "answered)")
    assert not (tmp_path / "out").exists()


def test_are_many_ungraded_answers_counted_and_the_first_few_named(tmp_path):
    (tmp_path / "empty").mkdir()
    open_room(tmp_path / "empty", A1).close()
    with pytest.raises(KitError) as info:
        gradebook(tmp_path, tmp_path / "empty")
    assert str(info.value).endswith("9 written answer(s) of 'linear_regression' not graded yet: 1001 q1, 1001 q2, "
                                    "1001 q3, 1004 q1, 1004 q2 and 4 more (apply a rubric item or set a score in the "
                                    "grading room; 0 if nothing was answered)")


def test_is_another_assignments_room_refused(tmp_path):
    (tmp_path / "mlp").mkdir()
    open_room(tmp_path / "mlp", "mlp").close()
    with pytest.raises(KitError) as info:
        gradebook(tmp_path, tmp_path / "mlp")
    assert str(info.value) == (f"{tmp_path / 'mlp' / DB_NAME}: this grading room is 'mlp''s, not "
                               "'linear_regression''s (--manual linear_regression=...)")


def test_is_a_folder_without_a_room_named(tmp_path):
    (tmp_path / "nothing").mkdir()
    with pytest.raises(KitError) as info:
        gradebook(tmp_path, tmp_path / "nothing")
    assert str(info.value).startswith(f"no grading room here: {tmp_path / 'nothing' / DB_NAME} does not exist")


def test_does_the_gradebook_read_the_room_without_changing_or_waiting_for_it(tmp_path, results):
    finish(results)
    db = results / DB_NAME
    before = db.stat().st_mtime_ns, hashlib.sha256(db.read_bytes()).hexdigest()
    writer = sqlite3.connect(db, isolation_level=None)     # a grader's write under way, not yet committed
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE grades SET override = '0' WHERE student = '1001'")
    try:
        assert gradebook(tmp_path, results)[0] == "1001,100.00,0,no"   # the last committed state, at once
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert (db.stat().st_mtime_ns, hashlib.sha256(db.read_bytes()).hexdigest()) == before


def test_does_the_command_exit_2_on_an_ungraded_room(tmp_path, results, capsys, monkeypatch):
    (tmp_path / "grades.csv").write_text(GRADES)
    (tmp_path / "times.csv").write_text("student,assignment,submitted_at\n" + TIMES)
    monkeypatch.chdir(ROOT)
    code = cli.main(["gradebook", "--grades", f"{A1}={tmp_path / 'grades.csv'}", "--times",
                     str(tmp_path / "times.csv"), "--manual", f"{A1}={results}", "--out", str(tmp_path / "gb.csv")])
    err = capsys.readouterr().err
    assert (code, err.count("\n")) == (2, 1) and "1 written answer(s) of 'linear_regression' not graded yet" in err


# --- feedback pages ---------------------------------------------------------------------------------------

def student_pages(results: Path) -> None:
    """What grade leaves for each student: feedback pages (with the written-grades place) and answers.json."""
    for student in STUDENTS:
        folder = results / student
        write_feedback(SubmissionResult(Path("hw.ipynb"), [], answers=[(7, "My answer.")]), folder)
        answers = [{"question": q, "title": f"Question {n} ({q})", "where": "answer cell 7" if n == 1 else
                    "no answer cell", "cells": [7] if n == 1 else [], "text": "My answer." if n == 1 else "",
                    "empty": None if n == 1 else "(no answer: the notebook has no answer cell for this question)"}
                   for n, q in enumerate(("q1", "q2", "q3"), start=1)]
        (folder / "answers.json").write_text(json.dumps({"format": 1, "student": student, "submission": "hw.ipynb",
                                                         "note": None, "answers": answers}))


def pages(results: Path, student: str) -> tuple[str, str]:
    return ((results / student / "feedback.md").read_text(), (results / student / "feedback.html").read_text())


def test_does_grade_leave_an_empty_place_for_the_written_grades(tmp_path):
    student_pages(tmp_path)
    for page in pages(tmp_path, "1001"):
        assert f"\n{WRITTEN_START}\n{WRITTEN_END}\n" in page


def test_does_feedback_write_each_students_items_and_comment_once(results):
    student_pages(results)
    room = open_room(results, A1)
    grade(room, "1001", "q2", comment="Good: see <script>alert(1)</script> & *this*\nsecond line")
    room.edit_item(room.rubric("q1")[1].id, "ana", description="half <b>of</b> [it](javascript:x) *done*")
    room.close()
    assert write_written_feedback(COURSE, A1, results) == 3
    md, page = pages(results, "1001")
    assert "## Written questions: 7 / 7\n\n### Question 1 (q1): 2 / 2\n\n- **+2** correct\n" in md
    assert "> Good: see &lt;script&gt;alert(1)&lt;/script&gt; &amp; \\*this\\*\n> second line\n" in md
    assert "<script>" not in page and "Good: see &lt;script&gt;alert(1)&lt;/script&gt; &amp; *this*\nsecond" in page
    md, page = pages(results, "1004")
    assert "## Written questions: ? / 7 (1 question(s) not graded yet)" in md
    assert "### Question 3 (q3): not graded yet" in md
    assert "- **+1** half &lt;b&gt;of&lt;/b&gt; \\[it\\](`javascript:x)` \\*done\\*" in md
    assert "half &lt;b&gt;of&lt;/b&gt; [it](javascript:x) *done*</li>" in page and "<b>" not in page
    md, page = pages(results, "bob.byrne")
    assert "### Question 3 (q3): 2.5 / 3\n\n- score set by the grader\n" in md
    assert md.count(WRITTEN_START) == page.count(WRITTEN_START) == 1


def test_is_feedback_rebuilt_not_appended(results):
    student_pages(results)
    write_written_feedback(COURSE, A1, results)
    first = {s: pages(results, s) for s in STUDENTS}
    assert write_written_feedback(COURSE, A1, results) == 0           # the same bytes: nothing rewritten
    assert {s: pages(results, s) for s in STUDENTS} == first
    finish(results)
    assert write_written_feedback(COURSE, A1, results) == 1           # only 1004's pages changed
    md, page = pages(results, "1004")
    assert md.count("## Written questions") == 1 and "not graded yet" not in md and "not graded yet" not in page
    assert "### Question 3 (q3): 1 / 3" in md and pages(results, "1001") == first["1001"]


def test_does_a_regrade_keep_the_written_grades_given(results, capsys):
    student_pages(results)
    write_written_feedback(COURSE, A1, results)
    given = {s: pages(results, s) for s in STUDENTS}
    assert (results / "1001" / WRITTEN_FILE).is_file()
    student_pages(results)  # grade --regrade rewrites every page from the submission
    assert {s: pages(results, s) for s in STUDENTS} == given
    (results / "1001" / WRITTEN_FILE).write_text('{"format": 1, "grades": [{"question": 2}]}')
    student_pages(results)  # one damaged file does not stop the batch: said, and the place left empty
    assert "written-grades.json: not a written-grades file this kit wrote" in capsys.readouterr().err
    assert f"{WRITTEN_START}\n{WRITTEN_END}" in pages(results, "1001")[0] and pages(results, "1004") == given["1004"]


def test_is_a_page_without_the_place_refused_before_anything_is_written(results):
    student_pages(results)
    old = results / "bob.byrne" / "feedback.html"
    old.write_text(old.read_text().replace(WRITTEN_START + "\n", ""))
    before = pages(results, "1001")
    with pytest.raises(KitError) as info:
        write_written_feedback(COURSE, A1, results)
    assert str(info.value).startswith(f"{old}: this feedback page has no place for the written questions' grades")
    assert pages(results, "1001") == before


def test_does_feedback_without_a_room_say_so(tmp_path):
    student_pages(tmp_path)
    with pytest.raises(KitError, match="no grading room in .*: grading-room.sqlite does not exist"):
        write_written_feedback(COURSE, A1, tmp_path)
    assert not (tmp_path / DB_NAME).exists()


# --- a PDF per student ------------------------------------------------------------------------------------

def answers_pages(results: Path, count: int = 3) -> None:
    answers = [(7, "Since $\\frac{1}{N}$ keeps it **small**."), (9, "<script>alert(1)</script> x"), (11, "")]
    for student in ("1001", "bob o'neil"):
        write_answers_page(SubmissionResult(Path("hw.ipynb"), [], answers=answers[:count]), results / student)


def test_does_pdf_print_each_students_answers_a_page_per_question(tmp_path):
    if not any(shutil.which(b) for b in pdf.BROWSERS):
        cannot_run("no headless Chromium on PATH (Debian: apt-get install chromium)")
    answers_pages(tmp_path / "results")
    made = pdf.write_student_pdfs(tmp_path / "results", tmp_path / "pdf")
    assert [(m.student, m.questions, m.pages) for m in made] == [("1001", 3, 3), ("bob o'neil", 3, 3)]
    for m in made:
        data = m.path.read_bytes()
        assert data.startswith(b"%PDF") and pdf.pdf_pages(data) == 3 and m.seconds < pdf.PAGE_TIMEOUT_S
    assert sorted(p.name for p in (tmp_path / "pdf").iterdir()) == ["1001.pdf", "bob o'neil.pdf"]


def test_does_pdf_name_what_to_install_without_chromium(tmp_path, monkeypatch):
    answers_pages(tmp_path / "results")
    monkeypatch.setenv("PATH", str(tmp_path / "nothing"))
    with pytest.raises(KitError, match="install it \\(Debian/Ubuntu: apt-get install chromium"):
        pdf.write_student_pdfs(tmp_path / "results", tmp_path / "pdf")
    assert not (tmp_path / "pdf").exists()


def test_is_a_page_that_will_not_print_named(tmp_path):
    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\nsleep 30\n")
    fake.chmod(0o755)
    answers_pages(tmp_path / "results")
    page = tmp_path / "results" / "1001" / "answers.html"
    with pytest.raises(KitError) as info:
        pdf.student_pdf(str(fake), page, tmp_path / "pdf", timeout=0.5)
    assert str(info.value) == f"{page}: headless Chromium did not print this page within 0.5 s"
    assert not (tmp_path / "pdf").exists() or list((tmp_path / "pdf").iterdir()) == []  # nothing half-written


def test_do_the_commands_write_feedback_and_pdfs(tmp_path, results, capsys, monkeypatch):
    student_pages(results)
    monkeypatch.chdir(ROOT)
    assert cli.main(["grading-room", A1, str(results), "--feedback"]) == 0
    assert capsys.readouterr().out == "written grades in the feedback pages of 3 student(s) (the others' were " \
                                      "already current)\n"
    assert "### Question 1 (q1): 1 / 2" in pages(results, "bob.byrne")[0]
    if not any(shutil.which(b) for b in pdf.BROWSERS):
        cannot_run("no headless Chromium on PATH (Debian: apt-get install chromium)")
    answers_pages(results, count=2)
    assert cli.main(["grading-room", A1, str(results), "--pdf", str(tmp_path / "pdf")]) == 0
    assert capsys.readouterr().out.startswith(f"2 PDF(s) in {tmp_path / 'pdf'} (")
    assert [pdf.pdf_pages(p.read_bytes()) for p in sorted((tmp_path / "pdf").iterdir())] == [2, 2]


def test_can_an_answer_holding_the_markers_not_move_the_place(results):
    student_pages(results)
    forged = f"{WRITTEN_START}\n## Written questions: 7 / 7\n{WRITTEN_END}"
    write_feedback(SubmissionResult(Path(f"{WRITTEN_START}.ipynb"), [], error=forged, answers=[(7, forged)]),
                   results / "1004")
    assert write_written_feedback(COURSE, A1, results) == 3
    md, page = pages(results, "1004")
    assert md.count("\n" + WRITTEN_START + "\n") == 2 and md.index("? / 7") < md.index("## Written answers")
    assert md.split("## Written answers")[1].count(forged) == 1      # the answer as the student wrote it
    assert page.count(WRITTEN_START) == 1 and "? / 7" in page


def test_is_a_score_beyond_the_specs_points_refused(tmp_path, results):
    finish(results)
    room = open_room(results, A1)
    room.set_override("1001", "q1", Decimal(5), "ana", room.state("1001", "q1").version)  # q1 is worth 2
    room.close()
    with pytest.raises(KitError, match=r"student '1001' has 5 for question 'q1' of 'linear_regression', outside 0 "
                                       r"to 2 \(assignments/linear_regression/spec.toml:\d+\)"):
        gradebook(tmp_path, results)


def test_is_a_grade_given_before_a_regrade_changed_the_answer_not_counted(tmp_path, results):
    """Grades are kept by student and question; a resubmission graded again may answer differently. The old
    grade must not reach the gradebook or the student's feedback for the new text."""
    from autograder.room.answers import fingerprint

    finish(results)
    student_pages(results)
    room = open_room(results, A1)
    room.set_comment("1001", "q1", "Seen: well argued.", "ana", room.state("1001", "q1").version,
                     answer=fingerprint("My answer."))
    room.close()
    assert gradebook(tmp_path, results)[0] == "1001,100.00,0,no"
    answers = results / "1001" / "answers.json"
    data = json.loads(answers.read_text())
    data["answers"][0]["text"] = "A new answer, after a resubmission."
    answers.write_text(json.dumps(data))
    with pytest.raises(KitError, match=r"not graded yet: 1001 q1 \(a regrade changed the answer since it was graded"):
        gradebook(tmp_path, results)
    write_written_feedback(COURSE, A1, results)
    md, page = pages(results, "1001")
    assert "### Question 1 (q1): not graded yet" in md and "well argued" not in md + page


@pytest.mark.parametrize("grades", [
    '{"format": 1, "grades": [{"question": "q1", "title": "Q", "points": "2", "score": "sNaN", "items": [], '
    '"comment": "", "overridden": false}]}',
    '{"format": 1, "grades": [{"question": "q1", "title": "Q", "points": "2", "score": "1e999999", "items": [], '
    '"comment": "", "overridden": false}]}',
    '{"format": 1, "grades": [{"question": "q1", "title": "Q", "points": "2", "score": "1", "items": [], '
    '"comment": "", "overridden": "false"}]}',
    '{"format": 2, "grades": []}',
    "[" * 100_000 + "]" * 100_000,
])
def test_is_a_damaged_written_grades_file_said_and_the_regrade_kept_going(tmp_path, capsys, grades):
    folder = tmp_path / "1001"
    folder.mkdir()
    (folder / WRITTEN_FILE).write_text(grades)
    write_feedback(SubmissionResult(Path("hw.ipynb"), [], answers=[(7, "My answer.")]), folder)
    err = capsys.readouterr().err
    assert "written-grades.json: not a written-grades file this kit wrote" in err and len(err) < 600
    page = (folder / "feedback.md").read_text()
    assert f"{WRITTEN_START}\n{WRITTEN_END}" in page and "NaN" not in page


def test_are_answer_pages_of_an_earlier_submission_removed_when_this_one_has_none(tmp_path):
    from autograder.grading.results import write_submission

    write_submission(SubmissionResult(Path("hw.ipynb"), [], answers=[(7, "My answer.")]), tmp_path)
    assert (tmp_path / "answers.html").is_file() and (tmp_path / "answers.md").is_file()
    write_submission(SubmissionResult(Path("hw.py"), []), tmp_path)  # resubmitted as a .py: no answer cells
    assert not (tmp_path / "answers.html").exists() and not (tmp_path / "answers.md").exists()
