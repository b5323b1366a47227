"""Issue 21: an answer cell left as released (its placeholder, "*Your answer here.*") is no answer on every page
that shows answers; and the questions where notebook.py is not (the Gradescope zip's questions.json)."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest

from autograder.checks.taking import take_file
from autograder.errors import KitError
from autograder.escaping import html_text, markdown_text
from autograder.grading.answer_sheet import EMPTY_ANSWER, PLACEHOLDER_ANSWER, answer_sheet
from autograder.grading.answers_page import answers_html
from autograder.grading.feedback import feedback_html, feedback_markdown
from autograder.grading.grade import SubmissionResult
from autograder.grading.results import answers_markdown
from autograder.layout import KIT_LAYOUT
from autograder.release.notebook_source import assignment_questions, parse_notebook_source
from autograder.release.questions import QUESTIONS_FILE, Question, questions_json, read_questions_json
from autograder.sourcefile import SourceFile
from conftest import ROOT, notebook_json

TOY_SOURCE = ROOT / "tests" / "fixtures" / "release" / "assignments" / "toy" / "notebook.py"


def questions_of(path: Path) -> tuple[Question, ...]:
    return parse_notebook_source(SourceFile.read(KIT_LAYOUT, path)).questions


LR = questions_of(KIT_LAYOUT.notebook_source_file("linear_regression"))


def graded(*cells) -> SubmissionResult:
    """The answers taken from a notebook of ``cells`` (and a code cell after them: a notebook needs code)."""
    source = notebook_json(*cells, ("code", "def f(x):\n    return x")).encode()
    return SubmissionResult(Path("hw.ipynb"), [], answers=take_file(source, ".ipynb").answers)


def pages(result: SubmissionResult, questions) -> dict[str, str]:
    """Every page that shows the answers, each cut into its questions' sections (title -> text)."""
    def cut(text: str, heading: str) -> dict[str, str]:
        parts = re.split(heading, text)
        return {parts[i]: parts[i + 1] for i in range(1, len(parts) - 1, 2)}
    return {
        "answers.md": cut(answers_markdown(result, questions), r"(?m)^## (.*)$"),
        "answers.html": cut(answers_html(result, "1001", questions), r"<h2>(.*?)</h2>"),
        "feedback.md": cut(feedback_markdown(result, questions=questions), r"(?m)^### (.*)$"),
        "feedback.html": cut(feedback_html(result, questions=questions), r"<h3>(.*?)</h3>"),
    }


def test_does_the_source_give_each_question_its_cells_placeholder():
    assert [q.placeholder for q in LR] == ["*Your answer here.*"] * 3
    (old,) = questions_of(TOY_SOURCE)  # an older source: the question is in the answer cell, placeholder and all
    assert old.placeholder == ("**Question.** Why do we average the squared errors instead of summing them?\n\n"
                               "*Your answer here.*")


def test_is_an_untouched_answer_cell_no_answer_on_every_page():
    result = graded(("markdown", "  *Your answer here.*\n", ["answer:q1"]),        # as released, spaces aside
                    ("markdown", "*Your\nanswer   here.*", ["answer:q2"]),          # whitespace moved
                    ("markdown", "*Your answer here.* It diverged: the steps grew.", ["answer:q3"]))
    for page, sections in pages(result, LR).items():
        q1, q2, q3 = (sections[f"Question {n} (q{n})"] for n in (1, 2, 3))
        said = (markdown_text if page.endswith(".md") else html_text)(PLACEHOLDER_ANSWER)
        assert said in q1 and said in q2 and "Your answer here" not in q1 + q2, page
        assert "It diverged: the steps grew." in q3 and said not in q3, page  # an edited cell is an answer
    assert answer_sheet(result.answers, LR).entries[0].where == "answer cell 1"  # the cell is there, no answer in it


def test_does_a_copied_placeholder_cell_leave_the_written_answer_alone():
    result = graded(("markdown", "*Your answer here.*", ["answer:q1"]), ("markdown", "Only this.", ["answer:q1"]))
    (q1, *_) = answer_sheet(result.answers, LR).entries
    assert q1.text == "Only this." and q1.cells == (1, 2) and q1.empty is None


def test_is_the_sources_own_placeholder_no_answer_and_an_empty_cell_still_said_as_empty():
    own = (replace(LR[0], placeholder="*Two sentences, please.*"), *LR[1:])
    result = graded(("markdown", "*Two sentences,\n  please.*", ["answer:q1"]), ("markdown", "", ["answer:q2"]),
                    ("markdown", "*Your answer here.*", ["answer:q3"]))
    assert [e.empty for e in answer_sheet(result.answers, own).entries] == [PLACEHOLDER_ANSWER, EMPTY_ANSWER,
                                                                             PLACEHOLDER_ANSWER]
    # Without the questions (nothing says what the source's placeholder is), the usual one still counts.
    assert [e.empty for e in answer_sheet(result.answers, None).entries] == [None, EMPTY_ANSWER, PLACEHOLDER_ANSWER]


def test_is_an_older_cell_holding_its_question_and_placeholder_no_answer():
    """A bare-'answer' release put the question in the answer cell: left as released, it answers nothing."""
    questions = questions_of(TOY_SOURCE)
    as_released = graded(("markdown", "**Question.** Why do we average the squared errors\ninstead of summing "
                                      "them?\n\n*Your answer here.*", ["answer"]))
    (entry,) = answer_sheet(as_released.answers, questions).entries
    assert entry.title == "Question 1 (q1)" and entry.empty == PLACEHOLDER_ANSWER
    answered = graded(("markdown", "**Question.** Why do we average the squared errors instead of summing them?\n\n"
                                   "So the cost does not grow with N.", ["answer"]))
    (entry,) = answer_sheet(answered.answers, questions).entries
    assert entry.empty is None and "So the cost does not grow with N." in entry.text


def test_does_the_released_notebook_as_handed_out_answer_nothing():
    for assignment in KIT_LAYOUT.assignment_ids():
        released = (ROOT / "notebooks" / f"{assignment}.ipynb").read_bytes()
        result = SubmissionResult(Path("hw.ipynb"), [], answers=take_file(released, ".ipynb").answers)
        questions = questions_of(KIT_LAYOUT.notebook_source_file(assignment))
        entries = answer_sheet(result.answers, questions).entries
        assert entries and [e.empty for e in entries] == [PLACEHOLDER_ANSWER] * len(questions), assignment


# --- questions.json: the questions without notebook.py ------------------------------------------------------

def test_does_questions_json_give_back_the_sources_questions(tmp_path):
    (tmp_path / QUESTIONS_FILE).write_text(questions_json(LR))
    assert assignment_questions(KIT_LAYOUT, None, tmp_path) == tuple(replace(q, line=0) for q in LR)
    assert questions_json(read_questions_json(KIT_LAYOUT, tmp_path / QUESTIONS_FILE)) == questions_json(LR)  # stable bytes
    notebook = parse_notebook_source(
        SourceFile.read(KIT_LAYOUT, KIT_LAYOUT.notebook_source_file("linear_regression")))
    assert assignment_questions(KIT_LAYOUT, notebook, tmp_path) is notebook.questions  # notebook.py first, where it is
    assert assignment_questions(KIT_LAYOUT, None, tmp_path / "elsewhere") is None     # neither: questions named by id alone


@pytest.mark.parametrize("text, says", [
    ("{", "cannot read the assignment's questions (JSONDecodeError: "),
    ('{"questions": [{"number": 1, "id": "q1"}]}', "cannot read the assignment's questions (KeyError: 'text')"),
    ('{"questions": [{"number": 2, "id": "q1", "text": "", "placeholder": ""}]}',
     "question 1 is not in the form the build writes"),
    ('{"questions": [{"number": 1, "id": "Q 1", "text": "", "placeholder": ""}]}',
     "question 1 is not in the form the build writes"),
])
def test_is_a_broken_questions_json_a_kit_error_naming_it(tmp_path, text, says):
    (tmp_path / QUESTIONS_FILE).write_text(text)
    with pytest.raises(KitError) as info:
        assignment_questions(KIT_LAYOUT, None, tmp_path)
    assert str(info.value).startswith(f"{tmp_path / QUESTIONS_FILE}: {says}")
    assert "rebuild the Gradescope zip" in str(info.value)


def test_does_questions_json_hold_nothing_but_the_questions():
    saved = json.loads(questions_json(LR))
    assert list(saved) == ["questions"]
    assert [sorted(q) for q in saved["questions"]] == [["id", "number", "placeholder", "text"]] * 3
