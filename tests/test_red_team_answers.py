"""Red team: written answers keyed by question id, the Canvas roster export, the manual-scores CSV and
questions.json, attacked by a student who controls their notebook's cells, tags, metadata and text (and their
names in Gradescope and Canvas), and by instructor-side files of a bad shape. Each attack is a test: those
that once worked (a forged "Question 2" section, a link definition reaching the question's text, a lone
surrogate that crashed the answers page, a bidi override on the HTML pages, a student called "Points
Possible", crashes on odd manual-scores and Points Possible values) assert the fix; the others assert the
defence that holds."""

from __future__ import annotations

import csv
import io
import json
import re
import resource
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from autograder.assignment import load_assignment
from autograder.checks.taking import MAX_CELLS, MAX_QUESTION_ID, Answer, take_file
from autograder.errors import KitError
from autograder.escaping import AS_TEXT_NOTE, markdown_answer
from autograder.gradebook.canvas import CanvasRoster, CanvasStudent, match_students
from autograder.gradebook.export import Person
from autograder.gradebook.inputs import read_grades
from autograder.gradebook.manual import read_manual
from autograder.gradebook.specs import grades_spec
from autograder.gradescope.build import build_gradescope_zip
from autograder.grading.answer_sheet import answer_sheet
from autograder.grading.answers_page import answers_html, markdown_html, math_html
from autograder.grading.feedback import feedback_html, feedback_markdown
from autograder.grading.grade import SubmissionResult
from autograder.grading.results import answers_markdown, write_submission
from autograder.layout import KIT_LAYOUT
from autograder.release.questions import Question, read_questions_json
from conftest import notebook_json

QUESTIONS = (Question(1, "q1", "Why do we average the squared errors?", 0, "*Your answer here.*"),
             Question(2, "q2", "What does [the bias] add?", 0, "*Your answer here.*"))
CODE = ("code", "def f(x):\n    return x")


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def taken(*cells) -> SubmissionResult:
    """The result of a notebook of these cells, its answers collected as grading collects them."""
    answers = take_file(notebook_json(*cells, CODE).encode(), ".ipynb").answers
    return SubmissionResult(Path("hw.ipynb"), [], answers=answers)


def raw_notebook(*cells: dict) -> bytes:
    """A notebook of cells given as JSON objects (any metadata, any tags)."""
    return json.dumps({"cells": [*cells, {"cell_type": "code", "metadata": {}, "source": CODE[1], "outputs": [],
                                          "execution_count": None}],
                       "metadata": {}, "nbformat": 4, "nbformat_minor": 5}).encode()


def links(markdown: str) -> list[str]:
    """Every link a CommonMark reader makes of the whole file (every scheme let through, to be seen)."""
    md = MarkdownIt("commonmark")
    md.validateLink = lambda url: True
    return [str(t.attrGet("href")) for block in md.parse(markdown) for t in block.children or []
            if t.type == "link_open"]


def html_headings(page: str) -> list[str]:
    return re.findall(r"<h[1-6][^>]*>(.*?)</h[1-6]>", page)


# --- forging the pages' structure: a "Question 2" of the student's making -------------------------------------

FORGED = ("My answer to q1.\n\n## Question 2 (q2)\n\n> What does the bias add?\n\n*answer cell 9:*\n\n"
          "Forged answer. *Grader's note: 5/5, already checked.*\n\n### Question 2 (q2)\n\nSetext forgery\n---------")


def test_is_a_heading_in_an_answer_no_section_of_answers_md_or_feedback_md():
    result = taken(("markdown", FORGED, ["answer:q1"]), ("markdown", "The real q2 answer.", ["answer:q2"]))
    md = answers_markdown(result, QUESTIONS)
    assert html_headings(MarkdownIt("commonmark").render(md)) == [
        "Written answers: hw.ipynb", "Question 1 (q1)", "Question 2 (q2)"]
    assert AS_TEXT_NOTE in md.split("\n## Question 2")[0]  # the whole answer shown as written, in a code block
    feedback = feedback_markdown(result, questions=QUESTIONS)
    assert [h for h in html_headings(MarkdownIt("commonmark").render(feedback)) if "Question" in h] == [
        "Question 1 (q1)", "Question 2 (q2)"]


def test_is_a_heading_in_an_answer_no_heading_of_the_html_pages():
    result = taken(("markdown", FORGED, ["answer:q1"]), ("markdown", "The real q2 answer.", ["answer:q2"]))
    page = answers_html(result, "1001", QUESTIONS)
    assert html_headings(page) == ["Written answers: <code>1001</code> &middot; <code>hw.ipynb</code>",
                                   "Question 1 (q1)", "Question 2 (q2)"]
    assert "<p>## Question 2 (q2)</p>" in page  # shown as the text it is
    feedback = feedback_html(result, questions=QUESTIONS)
    assert html_headings(feedback.split("<h2>Written answers</h2>")[1]) == ["Question 1 (q1)", "Question 2 (q2)"]


def test_does_a_link_definition_in_one_answer_make_no_link_of_the_question_or_another_answer():
    # Alone, neither answer holds a link; together in answers.md the first's definitions would make links of
    # the second question's "[the bias]" and of the second answer's "[here]" (to data: and file: URLs).
    result = taken(("markdown", "My answer.\n\n[the bias]: data:text/html,hi\n[here]: file:///etc/passwd",
                    ["answer:q1"]),
                   ("markdown", "See [here].\n\n[^1]: a footnote, shown at the end of GitHub's page", ["answer:q2"]))
    for markdown in (answers_markdown(result, QUESTIONS), feedback_markdown(result, questions=QUESTIONS)):
        assert links(markdown) == []
        assert markdown.count(AS_TEXT_NOTE) == 2
    assert markdown_answer("See [the notes](https://example.org/n).") == "See [the notes](https://example.org/n)."


# --- characters no file can hold, or that reorder the page ------------------------------------------------------

def test_does_a_lone_surrogate_in_an_answer_leave_every_page_written(tmp_path):
    nb = raw_notebook({"cell_type": "markdown", "metadata": {"tags": ["answer:q1"]},
                       "source": "x \ud800 y $\\text{\udfff}$ \\(\udc80\\)"},
                      {"cell_type": "markdown", "metadata": {"tags": ["answer:\udfff"]}, "source": "z"})
    result = SubmissionResult(Path("hw.ipynb"), [], answers=take_file(nb, ".ipynb").answers)
    write_submission(result, tmp_path / "eve", questions=QUESTIONS)  # raised UnicodeEncodeError
    for name in ("answers.html", "answers.md", "feedback.html", "feedback.md"):
        text = (tmp_path / "eve" / name).read_text(encoding="utf-8")
        assert "\\ud800" in text, name


BIDI = "\u202e"


def test_is_a_bidi_override_shown_as_its_escape_on_the_html_pages():
    result = taken(("markdown", f"raw {BIDI}evil, as a reference &#x202e;evil, in math $\\text{{&#x202e;}}$ "
                                f"$\\unicode{{x202e}}$ $\\text{{{BIDI}}}$", ["answer:q1"]))
    for page in (answers_html(result, "1001", QUESTIONS), feedback_html(result, questions=QUESTIONS)):
        assert BIDI not in page and not re.search(r"&#x0*202e;|&#8238;", page, flags=re.IGNORECASE)
        assert page.count("\\u202e") == 5
    assert "<mtext>&#60;</mtext>" in math_html("\\text{&#60;}", False)  # a visible one is still the character


# --- hostile tags --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("tag", ['answer:q1" onmouseover="alert(1)', "answer:</h2><script>alert(1)</script>",
                                 "answer:__proto__", "answer:constructor", "answer:q1\n## Question 2 (q2)"])
def test_is_a_hostile_tag_id_inert_on_every_page(tag):
    result = taken(("markdown", "text", [tag]))
    page, feedback = answers_html(result, "1001", QUESTIONS), feedback_html(result, questions=QUESTIONS)
    for html in (page, feedback):
        assert "<script" not in html and 'onmouseover="' not in html
    assert len(re.findall(r'<section class="question" id="[^"]*">', page)) == 3  # q1, q2 and the stray cell
    for md in (answers_markdown(result, QUESTIONS), feedback_markdown(result, questions=QUESTIONS)):
        assert len(re.findall(r"^#+ Question 2 \(q2\)", md, flags=re.MULTILINE)) == 1  # only the real one


def test_can_a_tag_name_itself_as_a_question_only_as_an_id_when_the_questions_are_unknown():
    result = taken(("markdown", "forged", ["answer:2 (q2)"]), ("markdown", "real", ["answer:q2"]))
    titles = [e.title for e in answer_sheet(result.answers, None).entries]
    assert titles == ["Answer tagged '2 (q2)', which is not a question id", "Question q2"]


@pytest.mark.parametrize("metadata", [{"tags": "answer:q1"}, {"tags": {"answer:q1": 1}}, {"tags": None},
                                      {"tags": [1, None, ["answer:q1"], {"a": 1}]}, [], "answer:q1", None])
def test_is_a_tag_list_of_any_other_shape_no_answer_and_no_crash(metadata):
    nb = raw_notebook({"cell_type": "markdown", "metadata": metadata, "source": "text"})
    assert take_file(nb, ".ipynb").answers == []


def test_are_non_string_tags_passed_over_and_a_huge_id_cut():
    nb = raw_notebook({"cell_type": "markdown", "metadata": {"tags": [7, {"x": 1}, "answer:q1"]}, "source": "a"},
                      {"cell_type": "markdown", "metadata": {"tags": ["answer:" + "q" * 1_000_000]}, "source": "b"},
                      {"cell_type": "raw", "metadata": {"tags": ["answer:q2"]}, "source": "not markdown"})
    answers = take_file(nb, ".ipynb").answers
    assert [(a[1], a.question) for a in answers] == [("a", "q1"), ("b", "q" * MAX_QUESTION_ID)]


def test_does_no_cell_claiming_a_question_hide_or_replace_another_answer():
    # A copy of q1's cell holding the placeholder, a stray cell claiming q2 first, an empty id: every written
    # answer is shown, each under the question its own tag names, and each cell is named where it is shown.
    result = taken(("markdown", "Claims q2 first.", ["answer:q2"]),
                   ("markdown", "*Your answer here.*", ["answer:q1"]),
                   ("markdown", "The real q1 answer.", ["answer:q1"]),
                   ("markdown", "Real q2.", ["answer:q2"]),
                   ("markdown", "No id.", ["answer:"]))
    entries = answer_sheet(result.answers, QUESTIONS).entries
    assert [(e.title, e.cells, e.text) for e in entries] == [
        ("Question 1 (q1)", (2, 3), "The real q1 answer."),
        ("Question 2 (q2)", (1, 4), "Claims q2 first.\n\nReal q2."),
        ("Answer cell 5 (tagged without a question id)", (5,), "No id.")]


# --- HTML and math in answers ------------------------------------------------------------------------------------

def test_is_html_or_a_script_link_in_an_answer_only_text_and_nothing_loads():
    result = taken(("markdown", '<img src=x onerror="alert(1)"> <script>alert(2)</script> [a](javascript:alert(3)) '
                                "![p](http://tracker.example/p.png) $\\href{javascript:alert(4)}{x}$", ["answer:q1"]))
    for page in (answers_html(result, "1001", QUESTIONS), feedback_html(result, questions=QUESTIONS)):
        assert "<script" not in page and "onerror=" not in page.replace("onerror=&quot;", "")
        assert 'href="javascript' not in page and "href=" not in page.split("<body>")[1].replace('href="#part-', "")
        assert re.search("default-src (&#x27;|')none", page)  # the tracker's image is never fetched


@pytest.mark.parametrize("tex", ["{" * 5000 + "x" + "}" * 5000, "\\frac{" * 3000, "x^{" * 4000 + "}" * 4000,
                                 "\\begin{matrix}" * 500, "\\unicode{x110000}", "\\unicode{xd800}", "\\sqrt[",
                                 "\\left(" * 2000, "\\\\" * 5000, "&" * 5000, "\\text{" + "}" * 10,
                                 "\\color{red\" onclick=\"alert(1)}{a}", "\\operatorname{\u202e}"])
def test_does_math_that_breaks_latex2mathml_show_as_text(tex):
    start = cpu_seconds()
    page = markdown_html(f"$${tex}$$ and ${tex}$")
    assert cpu_seconds() - start < 5.0
    assert "<script" not in page and "onclick=\"" not in page and BIDI not in page


# --- slowness, in CPU seconds -------------------------------------------------------------------------------------

def test_are_the_pages_of_the_most_answer_cells_written_in_seconds(tmp_path):
    # MAX_CELLS cells, each an answer to a question of its own: before, 4.3 s of CPU (a Markdown parser built
    # for each answer, twice a page); now 2.2 s here.
    cells = [("markdown", f"answer {i} $x_{{{i}}}$ **b**", [f"answer:z{i}"]) for i in range(MAX_CELLS - 1)]
    result = taken(*cells)
    start = cpu_seconds()
    write_submission(result, tmp_path / "eve", questions=QUESTIONS)
    assert cpu_seconds() - start < 8.0
    assert (tmp_path / "eve" / "answers.html").read_text().count('<section class="question"') == MAX_CELLS + 1


@pytest.mark.parametrize("pattern", ["$a$ ", "$$a$$ ", "$", "[", "*_", "|a|b|\n", "\\(a\\) ", "x$"])
def test_is_an_answer_at_the_cap_rendered_in_seconds_whatever_its_text(pattern):
    text = (pattern * (50_000 // len(pattern) + 1))[:50_000]  # all a notebook's answers together, in one
    result = SubmissionResult(Path("hw.ipynb"), [], answers=[Answer(1, text, "q1")])
    start = cpu_seconds()
    answers_markdown(result, QUESTIONS), feedback_markdown(result, questions=QUESTIONS)
    answers_html(result, "1001", QUESTIONS), feedback_html(result, questions=QUESTIONS)
    assert cpu_seconds() - start < 6.0  # ~0.1-1.8 s measured: linear in the text


# --- the Canvas roster export ----------------------------------------------------------------------------------

def canvas_term(tmp_path: Path):
    from test_canvas_roster import Term
    return Term(tmp_path)


def canvas_rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))


def test_is_a_student_called_points_possible_a_student_and_not_every_columns_points(tmp_path):
    from test_canvas_roster import EXPORT
    term = canvas_term(tmp_path)
    term.export = EXPORT.replace('"Eze, Erin",504', "Points Possible,504")  # after the real row
    rows = canvas_rows(term.build().canvas)
    assert rows[1][5:] == ["17.00", "100.00"]  # was 100.00: every mark out of 100 in a 17-point column
    assert rows[2][5] == "17.00" and ["Points Possible", "504", "1005"] == rows[-1][:3]  # she was left out


@pytest.mark.parametrize("value", ["1e999999999", "-17", "2e6"])
def test_is_a_points_possible_out_of_range_one_line_naming_it(tmp_path, value):
    from test_canvas_roster import EXPORT, LR_COLUMN
    term = canvas_term(tmp_path)
    term.export = EXPORT.replace("Possible,,,,,,17.00", f"Possible,,,,,,{value}")  # 1e999999999: Overflow
    assert term.error() == (f"{term.roster}:3: column {LR_COLUMN!r}: Points Possible {value!r} is not a number of "
                            "points from 0 to 1,000,000")


def test_is_a_second_points_possible_row_refused(tmp_path):
    from test_canvas_roster import EXPORT
    term = canvas_term(tmp_path)
    term.export = EXPORT + "    Points Possible,,,,,,5.00,5.00,5.00,,\n"
    assert term.error() == f"{term.roster}:9: a second Points Possible row (the first is on line 3)"


def test_are_formulas_and_newlines_in_roster_cells_inert_in_the_canvas_csv(tmp_path):
    from test_canvas_roster import EXPORT
    term = canvas_term(tmp_path)
    term.export = (EXPORT.replace('"Eze, Erin",504,1005,erin@uni.edu,"Section A and Section B"',
                                  '"Eze,\n=HYPERLINK(""http://x"")",504,1005,erin@uni.edu,@SUM(A1)')
                   .replace('"Byrne, Bob"', '"+Bob"'))
    rows = canvas_rows(term.build().canvas)
    assert len(rows) == 6  # header, points, four students: a newline made no row
    erin = next(r for r in rows if r[1] == "504")
    assert erin[0] == 'Eze,\n=HYPERLINK("http://x")' and erin[4] == "'@SUM(A1)"
    assert next(r for r in rows if r[1] == "502")[0] == "'+Bob"


def test_can_a_submission_named_as_another_students_login_not_take_their_row(tmp_path):
    term = canvas_term(tmp_path)
    term.grades = dict(term.grades)
    from test_canvas_roster import A1
    term.grades[A1] += "alice,17,17,2,2,4,4,3,2,graded\n"  # Alice is graded as 1001, her SIS User ID
    term.times += "alice,linear_regression,2027-02-05T20:00:00-05:00\n"
    error = term.error()
    assert "graded students '1001' and 'alice'" in error and "are both 'Aalto, Alice'" in error


def roster(*logins: tuple[str, str, str]) -> CanvasRoster:
    return CanvasRoster(Path("export.csv"), tuple(CanvasStudent(line, name, str(500 + line), sis, login, "A")
                                                  for line, (name, sis, login) in enumerate(logins, start=2)),
                        (), {})


def test_does_a_confusable_sid_that_folds_onto_another_students_login_stop_the_gradebook():
    # 'ſam' (long s) folds to 'sam': Mallory's typed sid reaches Sam's row, but her email reaches her own.
    canvas = roster(("Sam", "", "sam@uni.edu"), ("Mallory", "", "mallory@uni.edu"))
    people = {"ſam": Person("Mallory", "mallory@uni.edu", "ſam")}
    with pytest.raises(KitError, match=r"graded student 'ſam' .* matches 2 students"):
        match_students(canvas, {"ſam": "grades.csv:2"}, people)


def test_is_a_roster_row_named_even_when_students_took_each_of_its_names():
    # Gradescope sids typed as the names the kit would give Zoe's row (no SIS ids): it raised StopIteration.
    canvas = roster(("Ann", "", "ann@uni.edu"), ("Ben", "", "ben@uni.edu"), ("Zoe", "", ""))
    people = {"canvas-504": Person("Ann", "ann@uni.edu", "canvas-504"),
              "canvas-line-4": Person("Ben", "ben@uni.edu", "canvas-line-4")}
    found = match_students(canvas, {"canvas-504": "g:2", "canvas-line-4": "g:3"}, people)
    assert {name: row.name for name, row in found.items()} == {"canvas-504": "Ann", "canvas-line-4": "Ben",
                                                               "canvas-line-4-1": "Zoe"}


# --- the manual-scores CSV and grades files: one line, never a traceback ----------------------------------------

@pytest.mark.parametrize("row, message", [
    ("1001,²,3,5", "question '²' is not a question of 'linear_regression'"),  # ValueError from int()
    ("1001,١,3,5", "question '١' is not a question of 'linear_regression'"),
    ("1001," + "1" * 5000 + ",3,5", "question '1111"),                        # ValueError: > 4300 digits
    ("1001,q1,1e999999999,1e999999999",                                        # decimal.Overflow
     "max_points '1e999999999' of student '1001' for question 'q1' is beyond the 1,000,000 points a question can "
     "be worth"),
    ("1001,q1,-1e999999999,5", "points '-1e999999999' of student '1001' for question 'q1' is beyond the"),
    ("1001,q1,sNaN,5", "points 'sNaN' of student '1001' for question 'q1' is not a number"),
])
def test_is_a_bad_manual_row_one_line_never_a_traceback(tmp_path, row, message):
    path = tmp_path / "written.csv"
    path.write_text("student,question,points,max_points\n" + row + "\n", encoding="utf-8")
    with pytest.raises(KitError) as info:
        read_manual(KIT_LAYOUT, path, {"1001": None}, "linear_regression")
    assert str(info.value).startswith(f"{path}:2: {message}") and "\n" not in str(info.value)


@pytest.mark.parametrize("cells, message", [
    ("1001,17,17,2,2,4,4,3,sNaN,graded", "column 'polynomial_features': 'sNaN' of submission '1001' is not a number"),
    ("1001,17,17,2,2,4,4,3,1e999999999,graded", "column 'polynomial_features': '1e999999999' of submission '1001' is "
                                                "outside 0 to the part's 2 point(s)"),
    ("1001,17,17,2,2,4", "column 'gradient_descent': '' of submission '1001' is not a number"),
    ("=cmd|' /C calc'!A0,1e999999999,17,2,2,4,4,3,2,graded", "score '1e999999999' of submission"),
])
def test_is_a_grades_file_of_a_bad_shape_one_line(tmp_path, cells, message):
    parts = "predict,squared_error_cost,cost_gradients,gradient_descent,fit_direct,polynomial_features"
    path = tmp_path / "grades.csv"
    path.write_text(f"submission,score,max_score,{parts},status\n{cells}\n", encoding="utf-8")
    with pytest.raises(KitError) as info:
        read_grades(path, grades_spec(KIT_LAYOUT, "linear_regression"))
    assert str(info.value).startswith(f"{path}:2: {message}")


# --- questions.json (release/questions.py and the zip build: reported, not ours to change) -----------------------

@pytest.mark.parametrize("text", ['{"questions": {"a": 1}}', '"x"', '{"questions": [[1, 2]]}', "{",
                                  '{"questions": [{"number": 1e999, "id": "q1", "text": "t", "placeholder": ""}]}',
                                  '{"questions": [{"number": 1, "id": "Q1\\n", "text": "t", "placeholder": ""}]}'])
def test_is_a_questions_json_of_a_bad_shape_one_line(tmp_path, text):
    path = tmp_path / "questions.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(KitError, match="rebuild the Gradescope zip"):
        read_questions_json(KIT_LAYOUT, path)


def test_is_a_deeply_nested_questions_json_one_line(tmp_path):
    path = tmp_path / "questions.json"
    path.write_text("[" * 100_000, encoding="utf-8")
    with pytest.raises(KitError):
        read_questions_json(KIT_LAYOUT, path)


def test_is_a_questions_json_with_one_id_twice_refused(tmp_path):
    path = tmp_path / "questions.json"
    one = {"number": 1, "id": "q1", "text": "t", "placeholder": ""}
    path.write_text(json.dumps({"questions": [one, {**one, "number": 2}]}), encoding="utf-8")
    with pytest.raises(KitError):
        read_questions_json(KIT_LAYOUT, path)


def test_is_a_solution_line_in_a_questions_text_refused_from_the_zip(toy_course, toy_layout, tmp_path):
    from test_answer_questions import OLD_ANSWER
    notebook = toy_course / "assignments" / "toy" / "notebook.py"
    notebook.write_text(notebook.read_text().replace(OLD_ANSWER, (
        "# %% [markdown]\n# **Question 1.** Why is it\n#\n# ```python\n#     loss = (diff ** 2).mean()\n# ```\n\n"
        '# %% [markdown] tags=["answer:q1"]\n# *Your answer here.*\n')))
    # The line is inside one JSON string of questions.json, which the student's code could read there.
    with pytest.raises(KitError, match="questions.json.*solution"):
        build_gradescope_zip(load_assignment(toy_layout, "toy"), tmp_path / "toy.zip")
