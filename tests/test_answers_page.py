"""The printable written-answers page: one per student, a page per question, math offline, nothing active."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from autograder.grading.answers_page import answers_html, math_html
from autograder.grading.grade import SubmissionResult
from autograder.grading.results import write_submission

ANSWERS = [
    (31, "So $$\\frac{\\partial J}{\\partial w_j} = \\frac{1}{N}\\sum_i (y_i - t_i) x_{ij}$$ and $\\alpha/2$."),
    (38, "It diverged, see \\(w^{(k)}\\).\n\n| lr | cost |\n| --- | --- |\n| 1.5 | `inf` |"),
    (45, ""),
]


def result(answers=ANSWERS) -> SubmissionResult:
    return SubmissionResult(Path("hw.ipynb"), [], answers=list(answers))


def test_does_grading_write_one_answers_page_per_student(tmp_path):
    write_submission(result(), tmp_path / "1001")
    page = (tmp_path / "1001" / "answers.html").read_text()
    assert "<title>Written answers: 1001</title>" in page
    assert [int(n) for n in re.findall(r"<h2>Question (\d+)</h2>", page)] == [1, 2, 3]
    assert re.findall(r"answer cell (\d+)", page) == ["31", "38", "45"]
    assert page.count('<div class="grading">') == 3 and "(no answer written)" in page


def test_is_there_no_answers_page_without_answer_cells(tmp_path):
    write_submission(result([]), tmp_path / "bob")
    assert not (tmp_path / "bob" / "answers.html").exists()


def test_is_the_math_mathml_made_here_with_nothing_to_load():
    page = answers_html(result(), "1001")
    assert '<math xmlns="http://www.w3.org/1998/Math/MathML" display="block"><mrow><mfrac>' in page
    assert '<msup><mi>w</mi><mrow><mo' in page          # \( \) as in Jupyter is math too
    assert "<script" not in page and "<link" not in page and "src=" not in page
    assert re.findall(r"https?://[^\"]*", page) == ["http://www.w3.org/1998/Math/MathML"] * 3  # namespaces only
    assert "default-src 'none'; style-src 'unsafe-inline'" in page


def test_does_each_question_start_a_printed_page():
    css = answers_html(result(), "1001").split("@media print")[1]
    assert "section.question { break-before: page;" in css
    assert "section.question:first-of-type { break-before: auto; }" in css


def test_is_a_hostile_answer_only_text():
    page = answers_html(result([(3, '<img src=x onerror="alert(1)"> $\\text{<script>alert(2)</script>}$ '
                                    "$\\href{javascript:alert(3)}{x}$ $\\style{color:red}{y}$")]), "eve")
    assert "<img" not in page and "&lt;img src=x" in page
    assert "<script>" not in page and "<mtext>&lt;script&gt;alert(2)&lt;/script&gt;</mtext>" in page
    assert "javascript:" not in page and "color:red" not in page


def test_is_tex_that_does_not_convert_shown_as_tex():
    assert math_html("\\frac{a}{b", False).startswith("<math")  # latex2mathml is lenient ...
    assert math_html("\\begin{matrix} a", False) == '<code class="tex">\\begin{matrix} a</code>'  # ... not always


@pytest.mark.skipif(not shutil.which("chromium"), reason="needs headless Chromium to print")
def test_does_the_page_print_one_question_per_page(tmp_path):
    page = tmp_path / "answers.html"
    page.write_text(answers_html(result(), "1001"))
    pdf = tmp_path / "answers.pdf"
    subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
                    f"--print-to-pdf={pdf}", page.as_uri()], capture_output=True, timeout=120, check=True)
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf.read_bytes())) == 3


def test_is_a_hostile_question_id_only_text():
    from autograder.checks.taking import Answer
    evil = '"><script>alert(1)</script>'
    page = answers_html(result([Answer(3, "mine", evil)]), "eve", questions=[])
    assert "<script>" not in page and 'id="q-&quot;&gt;&lt;script&gt;' in page
    assert "<h2>Answer tagged &#x27;&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&#x27;, which is not a question" in page


def test_does_an_answer_keep_its_question_id_through_pickle_and_still_unpack_as_a_pair():
    import pickle

    from autograder.checks.taking import Answer
    answer = pickle.loads(pickle.dumps(Answer(7, "text", "q2")))
    cell, text = answer
    assert (cell, text, answer.question) == (7, "text", "q2") and answer == (7, "text")
