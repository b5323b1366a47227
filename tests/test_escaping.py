"""Every output escapes what students control, one rule per medium (autograder/escaping.py): the
terminal (grade, check, the Gradescope run's log), CSV (grades.csv, the gradebook and its Canvas
import, similarity.csv), Markdown (Gradescope's top-level output, feedback.md, answers.md) and HTML
(feedback.html, answers.html, similarity.html). Hostile names and contents go through the real
commands; ordinary ones (Müller, o'brien, alice-smith, numbers, negative scores) come out unchanged."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import shutil
import subprocess
import sys
from html import unescape
from pathlib import Path

import pytest

from autograder import escaping
from autograder.checks.verdict import CaseVerdict, PartVerdict, Status
from autograder.course import load_course
from autograder.escaping import (csv_cell, csv_text, csv_value, for_terminal, html_text, markdown_answer,
                                 markdown_code, markdown_code_block, markdown_text)
from autograder.gradebook import GradebookInputs, build_gradebook
from autograder.gradebook.export import Person
from autograder.grading.answers_page import answers_html
from autograder.grading.feedback import feedback_html, feedback_markdown
from autograder.grading.grade import SubmissionResult
from autograder.grading.results import answers_markdown, grades_csv
from autograder.grading.scores import PartScore, ScoreRow
from autograder.layout import KIT_LAYOUT
from autograder.similarity.detect import Pair
from autograder.similarity.report import similarity_csv, similarity_html
from autograder.similarity.sources import Code
from conftest import EXAMPLES, ROOT

LR = EXAMPLES / "linear_regression"
# What a terminal acts on: ESC (CSI and OSC sequences), CSI in one byte, carriage return, backspace, BEL,
# bidi overrides and isolates, zero-width characters, line separators.
STEERING = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
CLEAR_AND_LINK = "\x1b[2J\x1b[H\x1b]8;;http://evil.example\x07click\x1b]8;;\x07\r\x08\x9b31m\u202egnp"
NAME_CODES = CLEAR_AND_LINK.replace("http://evil.example", "evil")   # a file's name holds no /
RAISES = f'def predict(*args, **kwargs):\n    raise ValueError({CLEAR_AND_LINK!r})\n\n\ndef _unused('
HOSTILE_MD_NAMES = ["<img src=x onerror=alert(1)>.py", "![x](javascript:alert(1)).py", "[link](javascript:alert(2)).py"]
ORDINARY = ["Müller", "o'brien", "alice-smith"]


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=600)


def raising_copy() -> str:
    """alice's correct file, but predict raises an exception whose message is escape codes."""
    return (LR / "alice_correct.py").read_text().replace("def predict(", RAISES, 1)


def rendered(markdown: str) -> str:
    """The Markdown as a CommonMark reader with raw HTML on and every link allowed shows it."""
    from markdown_it import MarkdownIt
    md = MarkdownIt("commonmark", {"html": True}).enable("table")
    md.validateLink = lambda url: True
    return md.render(markdown)


def assert_inert_html(body: str) -> None:
    """No element that runs or embeds anything, no handler or script URL in any tag, nothing steering."""
    tags = re.findall(r"<[A-Za-z][^>]*>", body)
    assert not [t for t in tags if re.match(r"<(script|iframe|object|embed|svg|style|link|meta|base|form)\b", t, re.I)]
    assert not [t for t in tags if re.search(r"\son\w+\s*=|(java|vb)script:", t, re.I)], tags
    assert not STEERING.search(body)


# --- the functions, one per medium -----------------------------------------------------------

def test_does_the_terminal_rule_show_every_steering_character_and_keep_ordinary_text():
    shown = for_terminal(CLEAR_AND_LINK)
    assert not STEERING.search(shown)
    assert shown == "\\x1b[2J\\x1b[H\\x1b]8;;http://evil.example\\x07click\\x1b]8;;\\x07\\r\\x08\\x9b31m\\u202egnp"
    assert for_terminal("a\nb\tc") == "a\nb\tc" and for_terminal("a\nb", newlines=False) == "a\\nb"
    assert for_terminal("bad\udcff name") == "bad\\udcff name"  # an undecodable byte: shown, never a crash
    for name in [*ORDINARY, "Zoë 李 🙂", "-1.5", "C:\\Users\\x"]:
        assert for_terminal(name) == name


def test_is_a_text_cell_guarded_against_formulas_and_a_number_left_a_number():
    for hostile in ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "@SUM(1)", "-2+3+cmd|' /C calc'!A0",
                    "\t=1", "\r=1", "\uff1d1+1"]:
        assert csv_cell(hostile) == "'" + hostile and csv_value(csv_cell(hostile)) == hostile
    for ordinary in [*ORDINARY, "-1.50", "+3", "-2", "1e-3", "-1E+5", ".5", -1.5, 0, 17.0, "", "'quoted'"]:
        assert csv_cell(ordinary) == ordinary and (not isinstance(ordinary, str) or csv_value(ordinary) == ordinary)
    text = csv_text([["name", "score"], ["=1+1", "-1.50"], ["Müller", -2]])
    assert list(csv.reader(io.StringIO(text))) == [["name", "score"], ["'=1+1", "-1.50"], ["Müller", "-2"]]


def test_is_markdown_text_inert_and_shown_as_written():
    for text in [*HOSTILE_MD_NAMES, "<script>alert(1)</script>", "**bold** _it_ `code` | a | b |", "# heading",
                 "- item", "+ item", "1. item", "2) item", "> quote", "$x$", "~~gone~~", "&lt;img&gt;", "    indented",
                 "a\n<img src=x onerror=alert(1)>", "<http://evil>", "a\\*b", *ORDINARY, "linear_regression.py",
                 "graded a.py; not graded: b.py (of several, the first in name order)", "-1.5", "=1"]:
        html = rendered(markdown_text(text))
        # One paragraph, nothing in it but code spans (a word a renderer would link: www., a scheme, an email).
        assert re.findall(r"</?([a-z0-9]+)", html.replace("<code>", "").replace("</code>", "")) == ["p", "p"], \
            (text, html)
        assert unescape(re.sub(r"</?(p|code)>", "", html)).strip() == text.replace("\n", " ").strip(), (text, html)


def test_is_a_word_a_renderer_would_link_by_itself_shown_as_code():
    """GitHub's autolinks and markdown-it's linkify make links of www., a scheme and an email, escaped or not."""
    for word in ["www.evil-phish.com", "https://evil.example/login", "javascript:alert(1)", "mallory@evil.example"]:
        html = rendered(markdown_text(f"visit {word} now"))
        assert f"<code>{word}</code>" in html and "<a " not in html, html
    for plain in ["linear_regression.py: 17 / 17", "note: cell 3: x = 1", "ratio 3:4"]:
        assert "<code>" not in rendered(markdown_text(plain))


def test_is_an_inline_code_span_closed_only_by_its_own_fence():
    for text in ["a`b", "``x``", "`", "a``b<img src=x onerror=alert(1)>", " spaced ", "line\n# two"]:
        html = rendered(f"# Feedback on {markdown_code(text)}")
        assert html.count("<h1>") == 1 and "<img" not in html and html.count("<code>") == 1, html
    assert rendered(markdown_code("a``b")).strip() == "<p><code>a``b</code></p>"
    block = markdown_code_block("x\n```\n<img src=x onerror=alert(1)>\n````", "text")
    assert "<img" not in rendered(block) and rendered(block).count("<pre>") == 1


def test_is_html_text_escaped_with_quotes_and_invisible_characters_shown():
    assert html_text('<a href="x" title=\'y\'>&') == "&lt;a href=&quot;x&quot; title=&#x27;y&#x27;&gt;&amp;"
    assert html_text("evil\u202egnp.py") == "evil\\u202egnp.py"
    assert all(html_text(name) == name for name in ["Müller", "alice-smith", "-1.5"])


# --- terminal: a real batch and check ---------------------------------------------------------

@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """grade over hostile names: a student's folder with a second file named with escape codes, a
    file whose predict raises escape codes, a skipped file named with a newline, ordinary names."""
    base = tmp_path_factory.mktemp("hostile")
    subs = base / "subs"
    folder = subs / "o'brien"
    folder.mkdir(parents=True)
    shutil.copy(LR / "alice_correct.py", folder / "linear_regression.py")
    shutil.copy(LR / "alice_correct.py", folder / f"{NAME_CODES}.py")
    shutil.copy(LR / "alice_correct.py", subs / "Müller.py")
    shutil.copy(LR / "bob_forgot_mean.py", subs / "alice-smith.py")
    shutil.copy(LR / "bob_forgot_mean.py", subs / "-cmd.py")
    (subs / "raiser.py").write_text(raising_copy())
    skipped = base / "notes\x1b[2J\n\u202e\udcff.txt"
    skipped.write_text("x")
    out = base / "out"
    proc = run("-m", "autograder", "grade", "linear_regression", str(subs), str(skipped), "--out", str(out),
               "--quiet", "--jobs", "1")
    return proc, subs, out


def test_does_grade_print_no_steering_character_of_a_name(batch):
    proc, _, _ = batch
    assert proc.returncode == 0, proc.stderr
    printed = proc.stdout + proc.stderr
    assert not STEERING.search(printed)
    assert "o_brien: graded linear_regression.py; not graded: \\x1b[2J\\x1b[H\\x1b]8;;evil\\x07click" in printed
    assert "notes\\x1b[2J\\n\\u202e\\udcff.txt: not graded - not a submission" in proc.stderr  # one line
    rows = {line.split()[0]: line.split()[1] for line in proc.stdout.splitlines()[:8] if "/17" in line}
    assert rows == {"-cmd": "10.37/17", "Müller": "17/17", "alice-smith": "10.37/17", "o_brien": "17/17",
                    "raiser": "7/17"}


def test_are_the_students_files_free_of_steering_characters(batch):
    _, _, out = batch
    for path in out.rglob("*"):
        if path.is_file() and path.name != "record.json":  # the grader's own data, read back by regrading
            text = path.read_text(encoding="utf-8")
            if path.suffix == ".json":
                strings: list[str] = []
                walk = lambda v: strings.append(v) if isinstance(v, str) else [  # noqa: E731
                    walk(x) for x in (v.values() if isinstance(v, dict) else v if isinstance(v, list) else [])]
                walk(json.loads(text))
                text = "\n".join(strings)
            assert not STEERING.search(text), path
    results = json.loads((out / "raiser" / "results.json").read_text())
    assert "raised ValueError: \\x1b[2J\\x1b[H\\x1b]8;;http://evil.example" in results["tests"][0]["output"]
    assert "raised ValueError: \\x1b[2J\\x1b[H" in (out / "raiser" / "feedback.html").read_text()


def test_does_check_print_a_students_exception_text_inert(batch):
    _, subs, _ = batch
    proc = run("-m", "autograder", "check", "linear_regression", str(subs / "raiser.py"))
    assert proc.returncode == 1, proc.stderr
    assert not STEERING.search(proc.stdout + proc.stderr)
    assert "raised ValueError: \\x1b[2J\\x1b[H\\x1b]8;;http://evil.example\\x07click" in proc.stdout


# --- CSV ---------------------------------------------------------------------------------------

def test_is_grades_csv_guarded_and_read_back_by_the_gradebook_as_written(batch, tmp_path):
    _, _, out = batch
    rows = list(csv.reader((out / "grades.csv").open(encoding="utf-8")))
    assert [r[0] for r in rows] == ["submission", "'-cmd", "Müller", "alice-smith", "o_brien", "raiser"]
    assert rows[1][1:3] == ["10.37", "17"]
    text = grades_csv([ScoreRow("-cmd", (PartScore("predict", 2.0, -1.5),)), ScoreRow("Müller", ())], ["predict"])
    assert text.splitlines()[1:] == ["'-cmd,-1.5,2,-1.5,graded", "Müller,0,0,0,graded"]
    from autograder.gradebook.inputs import read_grades
    assert sorted(read_grades(out / "grades.csv")) == ["-cmd", "Müller", "alice-smith", "o_brien", "raiser"]


EXPORT = """\
submission_1:
  :submitters:
  - :name: '=HYPERLINK("http://x","y")'
    :sid: '-cmd'
    :email: '@SUM(1)@uni.edu'
  :created_at: 2027-02-05 23:10:00 -05:00
submission_2:
  :submitters:
  - :name: "+cmd|' /C calc'!A0"
    :sid: '1002'
    :email: "o'brien@uni.edu"
  :created_at: 2027-02-05 23:10:00 -05:00
submission_3:
  :submitters:
  - :name: Jürgen Müller
    :sid: '1003'
    :email: alice-smith@uni.edu
  :created_at: 2027-02-05 23:10:00 -05:00
"""


def test_is_the_canvas_export_free_of_live_formulas(tmp_path):
    a1 = "linear_regression"  # the gradebook checks grades.csv against its spec: every part, its points
    (tmp_path / "export").mkdir()
    (tmp_path / "export" / "submission_metadata.yml").write_text(EXPORT)
    grades = tmp_path / "grades.csv"
    points = {"predict": 2, "squared_error_cost": 2, "cost_gradients": 4, "gradient_descent": 4, "fit_direct": 3,
              "polynomial_features": 2}
    half = {"predict": 2, "squared_error_cost": 2, "cost_gradients": 4, "gradient_descent": 0.5}
    grades.write_text(grades_csv(
        [ScoreRow(name, tuple(PartScore(p, float(n), float(scores.get(p, 0))) for p, n in points.items()))
         for name, scores in (("-cmd", points), ("1002", half), ("1003", {}))], list(points)))
    given = GradebookInputs({a1: grades}, tmp_path / "out" / "gradebook.csv",
                            dues={a1: dt.datetime.fromisoformat("2027-02-05T23:59:00-05:00")},
                            exports={a1: tmp_path / "export"}, canvas=True)
    summary = build_gradebook(load_course(KIT_LAYOUT), given)
    canvas = list(csv.reader(summary.canvas.open(encoding="utf-8")))
    body = {r[2]: r for r in canvas[2:]}
    assert body["'-cmd"][:4] == ["'=HYPERLINK(\"http://x\",\"y\")", "", "'-cmd", "'@SUM(1)@uni.edu"]
    assert body["1002"][:4] == ["'+cmd|' /C calc'!A0", "", "1002", "o'brien@uni.edu"]
    assert body["1003"][:4] == ["Jürgen Müller", "", "1003", "alice-smith@uni.edu"]
    assert [r[-1] for r in canvas[1:]] == ["100.00", "100.00", "50.00", "0.00"]
    plain = list(csv.reader(summary.gradebook.open(encoding="utf-8")))
    assert [r[0] for r in plain[1:]] == ["'-cmd", "1002", "1003"]
    for row in canvas + plain:  # no cell a spreadsheet would run
        assert all(not cell.startswith(("=", "+", "@", "\t", "\r")) and
                   (not cell.startswith("-") or re.fullmatch(r"-[\d.]+", cell)) for cell in row), row


def test_is_similarity_csv_guarded():
    code = lambda name: Code(name, Path(f"{name}.py"), "x = 1\n", False)  # noqa: E731
    pair = Pair(code("=cmd"), code("Müller"), 1.0, 0.5, ((0, 5),), ((0, 5),))
    rows = list(csv.reader(io.StringIO(similarity_csv([pair]))))
    assert rows[1] == ["'=cmd", "Müller", "100.0", "100.0", "50.0"]


# --- Markdown: Gradescope's output, feedback.md, answers.md ---------------------------------------

def gradescope_output(tmp_path: Path, files: dict[str, Path]) -> dict:
    root = tmp_path / "autograder"
    (root / "submission").mkdir(parents=True)
    for name, source in files.items():
        shutil.copy(source, root / "submission" / name)
    (root / "submission_metadata.json").write_text(json.dumps(
        {"created_at": "2027-02-05T20:00:00-05:00", "assignment": {"due_date": "2027-02-05T23:59:00-05:00"},
         "users": []}))
    proc = run("-m", "autograder.gradescope.run", "linear_regression", "--root", str(root))
    assert proc.returncode == 0, proc.stderr
    assert not STEERING.search(proc.stdout + proc.stderr)
    return json.loads((root / "results" / "results.json").read_text())


def test_is_gradescopes_markdown_output_inert_with_hostile_file_names(tmp_path):
    data = gradescope_output(tmp_path, {HOSTILE_MD_NAMES[0]: LR / "alice_correct.py",
                                        HOSTILE_MD_NAMES[1]: LR / "bob_forgot_mean.py",
                                        "linear_regression_raiser.py": LR / "alice_correct.py"})
    assert data["output_format"] == "md" and all(t["output_format"] == "text" for t in data["tests"])
    output = data["output"]
    assert "<img" not in output and not re.search(r"(?<!\\)\]\(javascript:", output)
    html = rendered(output)
    assert "<img" not in html and "<a " not in html and "<script" not in html
    first, *_ = output.split("\n\n")
    assert first == "!\\[x\\](`javascript:alert(1)).py`: 10.37 / 17"  # graded: the first in name order
    assert "&lt;img src=x onerror=alert(1)&gt;.py" in output
    assert "![x](<code>javascript:alert(1)).py</code>" in html and "&lt;img src=x onerror=alert(1)&gt;.py" in html


def test_is_a_students_exception_text_inert_in_gradescopes_output(tmp_path):
    raiser = tmp_path / "raiser.py"
    raiser.write_text(raising_copy())
    data = gradescope_output(tmp_path, {"Müller's linear_regression.py": raiser})
    assert data["output"].startswith("Müller's linear_regression.py: 7 / 17")
    assert "graded Müller's linear_regression.py\n\n" in data["output"]
    predict = data["tests"][0]["output"]
    assert "raised ValueError: \\x1b[2J" in predict and not STEERING.search(predict)


EVIL_ANSWERS = [
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    "[click](java&#115;cript:alert(1))",
    "![pixel](http://tracker.example/p.png)",
    "<script>alert(1)</script>",
    "<!-- `-->\n`<img src=x onerror=alert(1)>`",
    "[a]\n\n[a]: javascript:alert(1)",
    "```\nan unclosed fence would swallow the next answer",
    "<javascript:alert(1)>",
    "text\n\n<div onmouseover=alert(1)>\nhover\n</div>",
]
GOOD_ANSWER = ("The gradient is $\\frac{1}{N} X^T (Xw - y)$, so **averaging** matters.\n\n"
               "- first\n- second\n\n```python\nif a < b:\n    pass\n```\n\nSee [the notes](https://example.org/n).")


def result_with(answers: list[str], name: str = "<img src=x onerror=alert(1)>`x`.ipynb") -> SubmissionResult:
    part = PartVerdict("predict", 2.0, 0.0, (CaseVerdict("float64", False, Status.ERROR,
                                                         message=f"raised ValueError: {CLEAR_AND_LINK}"),))
    return SubmissionResult(Path(name), [part], notes=[f"not graded: {HOSTILE_MD_NAMES[1]}{CLEAR_AND_LINK}"],
                            answers=list(enumerate(answers, start=1)),
                            error=None)


def test_are_feedback_md_and_answers_md_inert_with_hostile_answers():
    result = result_with([*EVIL_ANSWERS, GOOD_ANSWER])
    for markdown in (feedback_markdown(result), answers_markdown(result)):
        assert not STEERING.search(markdown)
        html = rendered(markdown)
        assert not re.search(r"<(img|script|div)\b", html) and "<a " not in html.replace(
            '<a href="https://example.org/n">', ""), html
        assert '<a href="https://example.org/n">the notes</a>' in html  # the good answer renders as written
        assert "<strong>averaging</strong>" in html and "$\\frac{1}{N} X^T (Xw - y)$" in markdown
        assert "if a &lt; b:" in html
        for evil in EVIL_ANSWERS:  # each shown as written, in a code block after a line saying why
            assert escaping.AS_TEXT_NOTE + "\n\n" + markdown_code_block(evil, "text") in markdown
        assert markdown.count(escaping.AS_TEXT_NOTE) == len(EVIL_ANSWERS)
    assert markdown_answer(GOOD_ANSWER) == GOOD_ANSWER


def test_does_the_feedback_md_heading_show_a_file_name_with_backticks_as_written():
    md = feedback_markdown(result_with([]))
    heading = md.splitlines()[0]
    assert heading == "# Feedback on ``<img src=x onerror=alert(1)>`x`.ipynb``"
    assert rendered(heading).strip() == "<h1>Feedback on <code>&lt;img src=x onerror=alert(1)&gt;`x`.ipynb</code></h1>"


# --- HTML --------------------------------------------------------------------------------------

def test_are_the_html_pages_escaped_with_hostile_names_and_answers():
    result = result_with([*EVIL_ANSWERS, GOOD_ANSWER], name=f"{HOSTILE_MD_NAMES[0]}{NAME_CODES}.ipynb")
    for page in (feedback_html(result), answers_html(result, "<b>o'brien</b>\u202e")):
        body = page.split("<body>")[1]
        assert_inert_html(body)
        assert "default-src 'none'" in unescape(page.split("<body>")[0])  # a Markdown image in an answer loads nothing
        assert "&lt;img src=x onerror=alert(1)&gt;" in body and "\\x1b[2J" in body and "\\u202egnp" in body
        assert "<strong>averaging</strong>" in body and "<mfrac>" in body
    code = lambda name: Code(name, Path(f"{name}.py"), "x = '<script>alert(1)</script>\u202e'\n", False)  # noqa
    pair = Pair(code("<b>x</b>"), code("Müller"), 1.0, 1.0, ((0, 4),), ((0, 4),))
    page = similarity_html("linear_regression", [pair], submissions=2, references=0,
                           notes=[f"{HOSTILE_MD_NAMES[0]}: left out"])
    body = page.split("<body>")[1]
    assert_inert_html(body)
    assert "&lt;script&gt;" in body and "&lt;b&gt;x&lt;/b&gt;" in body and "Müller" in body


def test_is_a_person_name_shown_unchanged_everywhere():
    person = Person("Dan O'Neil-Müller", "dan@uni.edu", "1004")
    assert csv_cell(person.name) == person.name and for_terminal(person.name) == person.name
    assert rendered(markdown_text(person.name)).strip() == "<p>Dan O'Neil-Müller</p>"
    assert html_text(person.name) == "Dan O&#x27;Neil-Müller"
