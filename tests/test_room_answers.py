"""Issue 23: `grade` writes OUT/<student>/answers.json for every graded submission (the answers.md sheet as data),
and the grading room reads them back by question (autograder/room/answers.py)."""

from __future__ import annotations

import json
import sys
import subprocess
from pathlib import Path

import pytest

from autograder import cli
from autograder.errors import KitError
from autograder.grading.answer_sheet import ANSWERS_JSON, NO_ANSWER
from autograder.release.notebook_source import parse_notebook_source
from autograder.room.answers import NOT_IN_FILE, StudentAnswer, load_answers
from autograder.sourcefile import SourceFile, read_text
from autograder.layout import Layout
from conftest import ROOT, notebook_json
from test_answer_questions import use_ids


def grade_two(kit: Path, monkeypatch) -> Path:
    """The toy course with questions q1 and q2, and two submissions graded into kit/out: zed answers both (q2's
    cell first, q1's with HTML in it) and has a cell tagged with an unknown id; amy's notebook has no answer cell."""
    use_ids(kit)
    solution = read_text(kit / "solutions" / "toy.py")
    subs = kit / "subs"
    subs.mkdir()
    (subs / "zed.ipynb").write_text(notebook_json(
        ("markdown", "Zed on q2.", ["answer:q2"]), ("code", solution),
        ("markdown", "Zed on <b>q1</b>, $x^2$.", ["answer:q1"]), ("markdown", "Stray.", ["answer:q9"])))
    (subs / "amy.ipynb").write_text(notebook_json(("code", solution)))
    monkeypatch.chdir(kit)
    assert cli.main(["grade", "toy", str(subs), "--out", str(kit / "out"), "--quiet"]) == 0
    return kit / "out"


def questions(kit: Path):
    layout = Layout(kit)
    return parse_notebook_source(SourceFile.read(layout, layout.notebook_source_file("toy"))).questions


def test_does_grade_write_answers_json_for_every_submission_and_the_room_read_it(toy_course, monkeypatch):
    out = grade_two(toy_course, monkeypatch)
    zed = json.loads((out / "zed" / "answers.json").read_text())
    assert zed["format"] == 1 and zed["student"] == "zed" and zed["submission"] == "zed.ipynb" and zed["note"] is None
    assert [(a["question"], a["title"], a["cells"]) for a in zed["answers"]] == [
        ("q1", "Question 1 (q1)", [3]), ("q2", "Question 2 (q2)", [1]),
        (None, "Answer tagged 'q9', which is not a question of this assignment", [4])]
    assert zed["answers"][0]["text"] == "Zed on <b>q1</b>, $x^2$." and zed["answers"][0]["empty"] is None
    amy = json.loads((out / "amy" / "answers.json").read_text())  # no answer cell, still listed
    assert [(a["question"], a["where"], a["text"], a["empty"]) for a in amy["answers"]] == [
        ("q1", "no answer cell", "", NO_ANSWER), ("q2", "no answer cell", "", NO_ANSWER)]

    room = load_answers(out, questions(toy_course))
    assert room.students == ("amy", "zed") and room.missing == ()
    assert list(room.by_question) == ["q1", "q2"]  # q9 is no question of the assignment: kept out
    assert room.by_question["q1"] == (
        StudentAnswer("amy", "q1", "Question 1 (q1)", "no answer cell", "", NO_ANSWER),
        StudentAnswer("zed", "q1", "Question 1 (q1)", "answer cell 3", "Zed on <b>q1</b>, $x^2$.", None))
    assert [a.text for a in room.by_question["q2"]] == ["", "Zed on q2."]


def test_are_folders_graded_before_answers_json_listed_as_missing(toy_course, monkeypatch):
    out = grade_two(toy_course, monkeypatch)
    (out / "amy" / "answers.json").unlink()      # as grade left it before issue 23
    (out / "notes").mkdir()                      # a folder of the TA's own: neither results nor answers
    room = load_answers(out, questions(toy_course))
    assert room.students == ("zed",) and room.missing == ("amy",)
    (out / "zed" / "answers.json").unlink()
    with pytest.raises(KitError) as info:
        load_answers(out, questions(toy_course))
    assert str(info.value) == (f"no answers.json in any folder of {out} (2 folder(s) were graded before grade wrote "
                               f"answers.json: grade them again): run 'grade ASSIGNMENT SUBMISSIONS --out {out}' first "
                               f"(it writes {out}/<student>/answers.json)")


def test_does_a_question_the_file_lacks_get_an_empty_answer_saying_so(toy_course, monkeypatch):
    out = grade_two(toy_course, monkeypatch)
    path = out / "zed" / "answers.json"
    data = json.loads(path.read_text())
    data["answers"] = [a for a in data["answers"] if a["question"] != "q2"]  # graded before q2 was added
    path.write_text(json.dumps(data))
    (zed_q2,) = [a for a in load_answers(out, questions(toy_course)).by_question["q2"] if a.student == "zed"]
    assert zed_q2.empty == NOT_IN_FILE and zed_q2.text == ""


@pytest.mark.parametrize("text, says", [
    ("{", "cannot read answers.json (JSONDecodeError: "),
    (b"{\"a\": \"\xff\"}", "cannot read answers.json (UnicodeDecodeError: "),
    ('{"format": 2, "answers": []}', 'answers.json is not in the form grade writes (not an object with "format": 1'),
    ('[1]', 'answers.json is not in the form grade writes (not an object'),
    ('{"format": 1, "answers": [{"question": 1, "title": "t", "where": "w", "text": "x", "empty": null}]}',
     "answers.json is not in the form grade writes (answers[0] is not an object"),
    ('{"format": 1, "answers": [{"question": "q1", "title": "t", "where": "w", "text": 5, "empty": null}]}',
     "answers.json is not in the form grade writes (answers[0] is not an object"),
    ('{"format": 1, "answers": [{"question": "q1", "title": "t", "where": "w", "text": "", "empty": null}, '
     '{"question": "q1", "title": "t", "where": "w", "text": "", "empty": null}]}',
     "answers.json is not in the form grade writes (answers[1] answers question 'q1' a second time)"),
])
def test_is_a_malformed_answers_json_a_kit_error_naming_it(tmp_path, text, says):
    path = tmp_path / "ann" / "answers.json"
    path.parent.mkdir()
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    with pytest.raises(KitError) as info:
        load_answers(tmp_path, ())
    message = str(info.value)
    assert message.startswith(f"{path}: {says}") and "\n" not in message, message


def test_does_reading_answers_import_no_torch():
    """The room starts without torch (seconds on a TA's laptop): reading answers.json needs none."""
    code = "import sys, autograder.room.answers, autograder.spec; print('torch' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_does_a_submission_the_grader_failed_on_leave_no_answers_json(tmp_path):
    """Its answers were never read: an answers.json saying "no answer cell" would show a student who answered as
    one who did not; without one the room names the folder as one to grade again."""
    from autograder.grading.grade import SubmissionResult
    from autograder.grading.results import write_submission

    folder = tmp_path / "alice"
    write_submission(SubmissionResult(Path("alice.ipynb"), [], answers=[(3, "My answer.")]), folder)
    assert (folder / ANSWERS_JSON).is_file()
    write_submission(SubmissionResult(Path("alice.ipynb"), [], error="grader failure: x", grader_failed=True), folder)
    assert not (folder / ANSWERS_JSON).exists() and (folder / "results.json").is_file()
    (tmp_path / "bob").mkdir()
    write_submission(SubmissionResult(Path("bob.py"), []), tmp_path / "bob")
    assert load_answers(tmp_path, ()).missing == ("alice",)
