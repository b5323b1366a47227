"""Written answers keyed by question id (issue 21): the source tags each answer cell answer:<id>, release refuses
a misspelt or unusable answer tag at its line, the grader matches a student's answers by id whatever they did to
the cells and shows each question's text from the source, and `gradebook --manual` takes only known questions."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest

from autograder import cli
from autograder.checks.taking import take_file
from autograder.errors import KitError
from autograder.escaping import AS_TEXT_NOTE
from autograder.gradebook.manual import read_manual
from autograder.grading.answers_page import answers_html
from autograder.grading.feedback import feedback_html, feedback_markdown
from autograder.grading.grade import SubmissionResult
from autograder.grading.results import answers_markdown
from autograder.assignment import load_assignment
from autograder.layout import KIT_LAYOUT, Layout
from autograder.release.pipeline import expected_outputs
from autograder.release.notebook_source import parse_notebook_source
from autograder.sourcefile import SourceFile, read_text
from conftest import ROOT, notebook_json

NOTEBOOK = "assignments/toy/notebook.py"
OLD_ANSWER = ('# %% [markdown] tags=["answer"]\n# **Question.** Why do we average the squared errors instead of '
              "summing them?\n#\n# *Your answer here.*\n")
# The toy source in the new scheme: two questions (lines 25 and 31), their answer cells' headers at 27 and 33.
NEW_ANSWERS = ('# %% [markdown]\n# **Question 1.** Why do we average the squared errors instead of summing them?\n\n'
               '# %% [markdown] tags=["answer:q1"]\n# *Your answer here.*\n\n'
               "# %% [markdown]\n# **Question 2.** What does $b$ add to <every> prediction?\n\n"
               '# %% [markdown] tags=["answer:q2"]\n# *Your answer here.*\n')


def use_ids(kit: Path, answers: str = NEW_ANSWERS) -> Path:
    path = kit / NOTEBOOK
    text = path.read_text()
    assert OLD_ANSWER in text
    path.write_text(text.replace(OLD_ANSWER, answers))
    return path


def generated(kit: Path) -> list[str]:
    return sorted(p.relative_to(kit).as_posix() for folder in ("starter_code", "notebooks", "dist")
                  for p in (kit / folder).rglob("*") if p.is_file())


def release_error(kit: Path, monkeypatch, capsys) -> str:
    """What `release toy` prints: it must exit 2, print one line and write nothing."""
    monkeypatch.chdir(kit)
    assert cli.main(["release", "toy"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert generated(kit) == []
    return err[len("error: "):].rstrip("\n")


# --- the source: release refuses an answer tag it would not collect ---------------------------------------

@pytest.mark.parametrize("tag", ["answers", "anwser", "Answer", "answer_q1"])
def test_is_a_misspelt_answer_tag_refused_by_release_at_its_line(toy_course, monkeypatch, capsys, tag):
    use_ids(toy_course, NEW_ANSWERS.replace('tags=["answer:q1"]', f'tags=["{tag}"]'))
    assert release_error(toy_course, monkeypatch, capsys) == (
        f"{NOTEBOOK}:27: cell 9: tag '{tag}' is not a kit tag - did you mean 'answer:q1'? (an answer cell is tagged "
        'answer:<question id>, e.g. # %% [markdown] tags=["answer:q1"]; a misspelt one would leave the student\'s '
        "answer uncollected)")


@pytest.mark.parametrize("old, new, message", [
    ('tags=["answer:q2"]', 'tags=["answer:q1"]',
     "33: question id 'q1' is used twice (also on line 27): each answer cell needs an id of its own"),
    ('tags=["answer:q2"]', 'tags=["answer"]',
     "33: this answer cell has a bare 'answer' tag but the notebook's other answer cells have question ids: tag it "
     "'answer:q2' (or another id of its own)"),
    ("# **Question 2.** What does", "# What does",
     "33: answer cell 'answer:q2' has no question cell before it: put the question in a Markdown cell right before "
     "it, starting '**Question 2.**'"),
    ("# **Question 2.**", "# **Question 3.**",
     "31: the question before answer cell 'answer:q2' is numbered 3, but it is question 2 of this notebook "
     "(counting answer cells): number it 2"),
    ('tags=["answer:q2"]', 'tags=["answer:Q2"]',
     "33: cell 11: tag 'answer:Q2' has no usable question id - an id is a lowercase letter, then up to 39 "
     "lowercase letters, digits or _ (did you mean 'answer:q2'?)"),
    ('tags=["answer:q2"]', "tags=[answer:q2]",
     '33: the cell\'s tags [answer:q2] are not a JSON list of strings (write them as tags=["answer:q1"])'),
])
def test_is_an_answer_cell_without_its_own_id_or_question_refused_at_its_line(toy_course, monkeypatch, capsys,
                                                                             old, new, message):
    use_ids(toy_course, NEW_ANSWERS.replace(old, new))
    assert release_error(toy_course, monkeypatch, capsys) == f"{NOTEBOOK}:{message}"


def test_is_a_question_without_an_answer_cell_refused_at_its_line(toy_course, monkeypatch, capsys):
    use_ids(toy_course, NEW_ANSWERS + "\n# %% [markdown]\n# **Question 3.** And why a bias at all?\n")
    assert release_error(toy_course, monkeypatch, capsys) == (
        f"{NOTEBOOK}:37: this cell asks a question ('**Question ...**') but the next cell is no answer cell: put a "
        'Markdown cell tagged "answer:<id>" right after it (an answer cell is tagged answer:<question id>, e.g. '
        '# %% [markdown] tags=["answer:q1"])')


def test_is_an_answer_tag_on_a_code_cell_refused(toy_course, monkeypatch, capsys):
    use_ids(toy_course, NEW_ANSWERS + '\n# %% tags=["answer:q3"]\nx = 1\n')
    assert release_error(toy_course, monkeypatch, capsys).startswith(
        f"{NOTEBOOK}:36: cell 12: tag 'answer:q3' is on a code cell, but an answer cell is a Markdown cell")


# --- each question's points in spec.toml's [[questions]] (issue 23) ------------------------------------------

SPEC = "assignments/toy/spec.toml"
Q2_POINTS = '\n[[questions]]\nid = "q2"\npoints = 3\n'  # the toy spec gives q1 2 points at lines 22-24


def add_to_spec(kit: Path, text: str) -> None:
    path = kit / SPEC
    path.write_text(path.read_text() + text)


def test_is_a_notebook_question_without_points_refused_at_spec_toml(toy_course, monkeypatch, capsys):
    use_ids(toy_course)  # q1 and q2; the spec gives q1 alone its points
    assert release_error(toy_course, monkeypatch, capsys) == (
        f"{SPEC}:24: spec.toml gives no points to the notebook's question q2 ({NOTEBOOK}:33): add one [[questions]] "
        'table for each, with its id and points, e.g. the lines [[questions]], id = "q2" and points = 2')


def test_is_a_spec_question_the_notebook_lacks_refused_with_the_notebooks_ids(toy_course, monkeypatch, capsys):
    use_ids(toy_course)
    add_to_spec(toy_course, Q2_POINTS.replace('"q2"', '"q22"'))
    assert release_error(toy_course, monkeypatch, capsys) == (
        f'{SPEC}:27: [[questions]] id = "q22" is not a question of {NOTEBOOK} - did you mean \'q2\'? (its questions: '
        "q1, q2): write the id of the question's answer tag (answer:<id>), or take the [[questions]] table out")


def test_does_an_older_notebook_take_its_points_by_position_ids(toy_course):
    """The toy source has one bare 'answer' cell: its question is q1, which the spec gives 2 points."""
    assignment = load_assignment(Layout(toy_course), "toy")
    assert [q.id for q in assignment.notebook.questions] == ["q1"]
    assert [(q.id, q.points) for q in assignment.spec.questions] == [("q1", 2.0)]
    assert assignment.spec.written_points == 2 and assignment.spec.total_points == 4  # grades.csv's max_score: parts
    (toy_course / SPEC).write_text((toy_course / SPEC).read_text().replace('id = "q1"', 'id = "q2"'))
    with pytest.raises(KitError) as info:
        expected_outputs(load_assignment(Layout(toy_course), "toy"), "o/r/blob/main")
    assert str(info.value).startswith(f'{SPEC}:23: [[questions]] id = "q2" is not a question of {NOTEBOOK} ')


def test_does_spec_toml_take_the_question_ids_the_notebook_can_have():
    """spec.py keeps its own copy of the id rule (reading a spec imports nothing of release/): the same rule."""
    from autograder import spec
    from autograder.release import questions
    assert spec._QUESTION_ID.pattern == questions.QUESTION_ID.pattern


QUESTIONS_TABLE = """# %% [markdown]
# A linear model fitted by hand, in order (4 points):
#
# | function | points |
# | --- | --- |
# | `predict(X, w, b)` | 2 |
# | `mse_loss(y_hat, y)` | 2 |
#
# The written questions, graded by hand (5 points):
#
# | question | points |
# | --- | --- |
# | Question 1 | 2 |
# | Question 2 | 3 |
"""


@pytest.mark.parametrize("old, new, expected", [
    ("(5 points)", "(4 points)",
     f"{NOTEBOOK}:9: the first cell says (4 points) for the written questions, but spec.toml's [[questions]] add up "
     "to 5 points: write (5 points)"),
    ("| Question 2 | 3 |", "| Question 2 | 2 |",
     f"{NOTEBOOK}:14: the table of written questions gives Question 2 (q2) 2 points, but spec.toml gives it 3 "
     f"({SPEC}:28): write 3 in the row, or change points there"),
    ("| Question 2 | 3 |", "| Question 3 | 3 |",
     f"{NOTEBOOK}:14: the table of written questions lists Question 3, but the notebook has 2 questions: take the row "
     "out or number it as the question is numbered"),
    ("# | Question 2 | 3 |\n", "",
     f"{NOTEBOOK}:13: the table of written questions has no row for question 2 (q2): add | Question 2 | 3 | in the "
     "notebook's order"),
])
def test_does_release_hold_the_written_questions_table_to_spec_toml(toy_course, old, new, expected):
    use_ids(toy_course)
    add_to_spec(toy_course, Q2_POINTS)
    path = toy_course / NOTEBOOK
    text = path.read_text()
    path.write_text(QUESTIONS_TABLE + text[text.index("\n# %%\n") + 1:])
    expected_outputs(load_assignment(Layout(toy_course), "toy"), "o/r/blob/main")  # in step: released
    path.write_text(path.read_text().replace(old, new, 1))
    with pytest.raises(KitError) as info:
        expected_outputs(load_assignment(Layout(toy_course), "toy"), "o/r/blob/main")
    assert str(info.value) == expected


def test_are_the_questions_found_with_their_text_and_ids():
    questions = questions_of("linear_regression")
    assert [(q.number, q.id) for q in questions] == [(1, "q1"), (2, "q2"), (3, "q3")]
    assert questions[0].text.startswith("The cost carries a factor $\\frac{1}{2}$. Does it change which\n")
    assert questions[2].text.endswith("rather than its validation cost?")
    for assignment in KIT_LAYOUT.assignment_ids():  # every course source is in the new scheme
        text = read_text(KIT_LAYOUT.notebook_source_file(assignment))
        assert 'tags=["answer"]' not in text and len(re.findall(r'tags=\["answer:q\d"\]', text)) >= 1


def test_does_the_released_notebook_carry_each_answer_cells_id():
    for assignment in KIT_LAYOUT.assignment_ids():
        cells = json.loads((ROOT / "notebooks" / f"{assignment}.ipynb").read_text())["cells"]
        tags = [c["metadata"].get("tags") for c in cells if c["metadata"].get("tags")]
        assert tags == [[f"answer:q{n}"] for n in range(1, len(tags) + 1)], assignment


def test_does_the_scaffold_tag_its_answer_cell_with_an_id():
    template = read_text(ROOT / "autograder" / "templates" / "new_assignment" / "notebook.py.tmpl")
    assert '# %% [markdown] tags=["answer:q1"]' in template and 'tags=["answer"]' not in template


# --- grading: answers matched by id, whatever the student did to the cells --------------------------------

def questions_of(assignment: str):
    path = KIT_LAYOUT.notebook_source_file(assignment)
    return parse_notebook_source(SourceFile.read(KIT_LAYOUT, path)).questions


def edited_notebook() -> bytes:
    """A student's linear_regression notebook: q2's cell moved first, q1's cell copied (two cells), q3's cell
    deleted, a cell tagged with an id the assignment lacks, and a question's text edited by the student."""
    return notebook_json(
        ("markdown", "**Question 2.** (the student rewrote this question)"),
        ("markdown", "It diverged.", ["answer:q2"]),
        ("code", "def f(x):\n    return x"),
        ("markdown", "First half of q1.", ["answer:q1"]),
        ("markdown", "Second half of q1.", ["answer:q1"]),
        ("markdown", "Stray <b>bold</b>.", ["answer:q9"]),
    ).encode()


def graded(answers_from: bytes) -> SubmissionResult:
    return SubmissionResult(Path("hw.ipynb"), [], answers=take_file(answers_from, ".ipynb").answers)


def test_are_answers_matched_by_id_on_the_page_whatever_the_cells_order():
    page = answers_html(graded(edited_notebook()), "1001", questions_of("linear_regression"))
    sections = page.split('<section class="question"')[1:]
    assert [re.search(r"<h2>(.*?)</h2>", s).group(1) for s in sections] == [
        "Question 1 (q1)", "Question 2 (q2)", "Question 3 (q3)",
        "Answer tagged &#x27;q9&#x27;, which is not a question of this assignment"]
    q1, q2, q3, stray = sections
    assert "answer cells 4 and 5" in q1 and q1.index("First half of q1.") < q1.index("Second half of q1.")
    assert "The cost carries a factor" in q1                  # the question's text, from the source ...
    assert "It diverged." in q2 and "the student rewrote" not in page  # ... never from the student's notebook
    assert "no answer cell" in q3 and "(no answer: the notebook has no answer cell for this question)" in q3
    assert "Why do we choose the polynomial degree" in q3
    assert "&lt;b&gt;bold&lt;/b&gt;" in stray and "<b>bold" not in stray
    assert "<mfrac>" in q1  # the question's math typeset as the answers' is


def test_are_answers_matched_by_id_in_answers_md_and_the_feedback():
    result, questions = graded(edited_notebook()), questions_of("linear_regression")
    md = answers_markdown(result, questions)
    headings = re.findall(r"^## (.*)$", md, flags=re.MULTILINE)
    assert headings[:3] == ["Question 1 (q1)", "Question 2 (q2)", "Question 3 (q3)"]
    q1 = md.split("## Question 1")[1].split("## Question 2")[0]
    assert "> The cost carries a factor $\\frac{1}{2}$." in q1
    assert "*answer cells 4 and 5:*\n\nFirst half of q1.\n\nSecond half of q1." in q1
    assert "*(no answer: the notebook has no answer cell for this question)*" in md.split("## Question 3")[1]
    feedback = feedback_markdown(result, questions=questions)
    assert "### Question 2 (q2)" in feedback and "It diverged." in feedback.split("### Question 2")[1]
    page = feedback_html(result, questions=questions)
    assert "<h3>Question 1 (q1)</h3>" in page and "Second half of q1." in page.split("<h3>Question 1 (q1)</h3>")[1]


def test_is_an_older_notebook_matched_by_position_saying_so():
    old = notebook_json(("markdown", "A one.", ["answer"]), ("markdown", "A two.", ["answer"]),
                        ("code", "def f(x):\n    return x")).encode()
    result, questions = graded(old), questions_of("linear_regression")
    page = answers_html(result, "1001", questions)
    assert re.findall(r"<h2>(.*?)</h2>", page) == ["Question 1 (q1)", "Question 2 (q2)", "Question 3 (q3)"]
    assert "matched to the questions by position" in page and "A two." in page.split("Question 2 (q2)")[1]
    assert "matched to the questions by position" in answers_markdown(result, questions)


def test_does_grading_write_the_questions_text_beside_the_answers(toy_course, monkeypatch):
    use_ids(toy_course)
    solution = read_text(toy_course / "solutions" / "toy.py")
    student = toy_course / "subs" / "ann.ipynb"
    student.parent.mkdir()
    student.write_text(notebook_json(("markdown", "My q2 answer.", ["answer:q2"]), ("code", solution),
                                     ("markdown", "My q1 answer.", ["answer:q1"])))
    monkeypatch.chdir(toy_course)
    assert cli.main(["grade", "toy", str(student), "--out", str(toy_course / "out"), "--quiet"]) == 0
    page = (toy_course / "out" / "ann" / "answers.html").read_text()
    assert re.findall(r"<h2>(.*?)</h2>", page) == ["Question 1 (q1)", "Question 2 (q2)"]
    assert page.index("Why do we average") < page.index("My q1 answer.") < page.index("What does")
    assert "add to &lt;every&gt; prediction" in page and "My q2 answer." in page.split("Question 2 (q2)")[1]
    md = (toy_course / "out" / "ann" / "answers.md").read_text()
    assert "## Question 1 (q1)\n\n> Why do we average the squared errors" in md
    assert AS_TEXT_NOTE in md.split("## Question 2")[1]  # a question holding raw HTML is quoted as text too


# --- gradebook --manual: only the assignment's questions ---------------------------------------------------

def manual(tmp_path: Path, rows: str) -> tuple[Path, dict]:
    path = tmp_path / "written.csv"
    path.write_text("student,question,points,max_points\n" + rows)
    return path, {"1001": None, "1002": None}


def test_does_manual_take_a_question_by_id_or_number(tmp_path):
    path, graded_rows = manual(tmp_path, "1001,q1,1,2\n1001,2,2,2\n1002,1,2,2\n1002,q2,1,2\n")
    scores = read_manual(KIT_LAYOUT, path, graded_rows, "linear_regression")
    assert {s: (m.points, m.max_points) for s, m in scores.items()} == {
        "1001": (Decimal(3), Decimal(4)), "1002": (Decimal(3), Decimal(4))}


@pytest.mark.parametrize("rows, line, message", [
    ("1001,q9,3,5\n", 2, "question 'q9' is not a question of 'linear_regression' (its question ids: q1, q2, q3 or "
                         "their numbers 1 to 3)"),
    ("1001,qq2,3,5\n", 2, "question 'qq2' is not a question of 'linear_regression' - did you mean 'q2'? (its question "
                          "ids: q1, q2, q3 or their numbers 1 to 3)"),
    ("1001,q1,1,2\n1001,Q4,3,5\n", 3, "question 'Q4' is not a question of 'linear_regression' (its question ids: q1, "
                                      "q2, q3 or their numbers 1 to 3)"),
    ("1001,4,3,5\n", 2, "question '4' is not a question of 'linear_regression' (its question ids: q1, q2, q3 or "
                        "their numbers 1 to 3)"),
    ("1001,q1,1,2\n1001,1,1,2\n", 3, "second row for student '1001' and question '1' (the first is on line 2)"),
])
def test_is_an_unknown_manual_question_refused_naming_the_known_ids(tmp_path, rows, line, message):
    path, graded_rows = manual(tmp_path, rows)
    with pytest.raises(KitError) as info:
        read_manual(KIT_LAYOUT, path, graded_rows, "linear_regression")
    assert str(info.value) == f"{path}:{line}: {message}"
