"""A hostile input costs only its owner, and quickly: caps checked before the expensive step, linear-time parsing,
a one-line message for that student and the rest of the batch graded (issue 20).

Each input is made here (benchmarks/hostile_inputs.py makes the same ones, at full size, for its figures):
a 1 MB written answer, a 19 MB notebook of list literals, a folder 1,100 levels deep, a notebook holding a
5,000-digit integer (and NaN, Infinity, 1e999), a Gradescope export whose two emails share a local part."""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
import time
import zoneinfo
from pathlib import Path

import pytest

from autograder.checks import taking, verifier
from autograder.checks.rules import ScanError
from autograder.checks.taking import SourceProblem, code_size_problem, notebook_cells, strict_json, take_file
from autograder.errors import KitError
from autograder.grading import regrade
from autograder.grading.answers_page import bracket_math_as_dollars, markdown_html
from autograder.grading.collect import MAX_FOLDER_DEPTH, find_submissions, read_gradescope_metadata
from autograder.grading.grade import SubmissionResult
from autograder.similarity.sources import submission_code
from conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
from hostile_inputs import (CORRECT, answers_notebook, bigint_notebook, code_cell, deep_folder,  # noqa: E402
                            gradescope_export, lists_notebook, notebook, remove_tree)

ONE_LINE = re.compile(r"[^\n]+")


@pytest.fixture
def deep(tmp_path):
    """deep(folder, levels) -> a student's folder nested that deep; removed without recursion afterwards (pytest's
    own clean-up, shutil.rmtree, raises RecursionError on it)."""
    made = []

    def make(folder: Path, levels: int = 1100) -> Path:
        made.append(deep_folder(folder, levels))
        return folder

    yield make
    for folder in made:
        remove_tree(folder)


def cpu(call, *args):
    start = time.process_time()
    result = call(*args)
    return result, time.process_time() - start


# --- written answers ------------------------------------------------------------------------------

OLD_BRACKET_MATH = re.compile(r"\\\((.+?)\\\)|\\\[(.+?)\\\]", re.DOTALL)


def test_is_bracket_math_made_dollars_as_the_old_pattern_did():
    old = lambda t: OLD_BRACKET_MATH.sub(lambda m: f"${m[1]}$" if m[1] is not None else f"$${m[2]}$$", t)  # noqa
    rng = random.Random(20)
    for _ in range(20_000):
        text = "".join(rng.choice("\\()[]a\n$") for _ in range(rng.randint(0, 16)))
        assert bracket_math_as_dollars(text) == old(text), text
    assert bracket_math_as_dollars("see \\(w^{(k)}\\) and \\[x\\]") == "see $w^{(k)}$ and $$x$$"


@pytest.mark.parametrize("pattern", ["\\( ", "\\[ ", "\\(a\\) ", "\\(a\\) \\[", "\\(\\["])
def test_is_bracket_math_linear_in_time(pattern):
    text = pattern * (1_000_000 // len(pattern))
    _, seconds = cpu(bracket_math_as_dollars, text)
    assert seconds < 1.0  # the old pattern took ~3 s on 40 KB of "\( " and grew as its square


def test_is_a_long_answer_cut_with_a_note_and_the_notebook_graded():
    nb = notebook(answer="\\( " * 333_333)
    taken = take_file(json.dumps(nb).encode(), ".ipynb")
    (cell, first), *rest = taken.answers
    assert len(first) == taking.MAX_ANSWER_CHARS and first == ("\\( " * 333_333)[:taking.MAX_ANSWER_CHARS]
    note = next(n for n in taken.notes if "answer cell" in n)
    assert note == (f"answer cell {cell} (999,999 characters): only the first 20,000 characters of an answer are "
                    "kept for grading by hand; the rest was cut")
    assert taken.defined  # the code is taken as ever
    _, seconds = cpu(markdown_html, first)
    assert seconds < 2.0


def test_does_the_grading_room_learn_how_much_grade_cut(tmp_path):
    """The room says 'the student wrote N characters; grade kept the first 20,000', or a TA grades a cut answer
    as whole: the length written travels from taking through answers.json to the room's API."""
    from autograder.grading.answer_sheet import answer_sheet, sheet_json
    from autograder.release.questions import Question
    from autograder.room.answers import load_answers

    nb = notebook(answer="\\( " * 333_333)
    taken = take_file(json.dumps(nb).encode(), ".ipynb")
    assert [a.written for a in taken.answers][0] == 999_999 and taken.answers[1].written == len(taken.answers[1][1])
    questions = [Question(n, f"q{n}", "Why?", 0) for n in range(1, len(taken.answers) + 1)]
    sheet = answer_sheet(taken.answers, questions)
    assert [e.written for e in sheet.entries] == [999_999] + [None] * (len(sheet.entries) - 1)
    (tmp_path / "alice").mkdir()
    (tmp_path / "alice" / "answers.json").write_text(json.dumps(sheet_json(sheet, "alice", "alice.ipynb")))
    room = load_answers(tmp_path, questions)
    assert [answers[0].written for answers in room.by_question.values()] == [e.written for e in sheet.entries]


def test_are_all_the_answers_together_cut_at_their_cap():
    nb = notebook()
    cells = [c for c in nb["cells"] if "answer" in c.get("metadata", {}).get("tags", [])]
    for c in cells:
        c["source"] = "x" * 19_000
    taken = take_file(json.dumps(nb).encode(), ".ipynb")
    assert [len(t) for _, t in taken.answers] == [19_000, 19_000, taking.MAX_ANSWERS_CHARS - 38_000]
    notes = [n for n in taken.notes if "answer cell" in n]
    assert len(notes) == 1 and "the answers hold more than the 50,000 characters kept in all" in notes[0]


# --- how much code ------------------------------------------------------------------------------------

def test_is_a_19_mb_notebook_refused_before_it_is_parsed(tmp_path):
    path = lists_notebook(tmp_path / "lists.ipynb", 19)
    assert 18 * 2**20 < path.stat().st_size < 20 * 2**20  # under the file cap, every cell under the cell cap
    data, start = path.read_bytes(), time.process_time()
    with pytest.raises(SourceProblem) as e:
        take_file(data, ".ipynb")
    assert time.process_time() - start < 2.0  # parsing it took minutes and ~10 GB
    assert e.value.message == ("the code cells hold 19 MB of code; at most 4 MB can be graded - keep data out of the "
                               "code (load it from a file) and hand in only your code")


def test_are_dense_literals_under_the_character_cap_refused_by_their_tokens():
    nb = notebook([code_cell("data = [" + "1," * 400_000 + "]\n")])  # 0.8 MB: 800,000 tokens
    start = time.process_time()
    with pytest.raises(SourceProblem) as e:
        take_file(json.dumps(nb).encode(), ".ipynb")
    assert time.process_time() - start < 1.0  # parsing it would take ~2 s and ~0.4 GB
    assert e.value.message.startswith("the code cells hold more than 200,000 tokens of code (names, numbers, commas, "
                                      "brackets ...); at most 200,000 can be graded")


def test_is_one_f_string_of_many_fields_refused():
    # Python 3.11 parses one f-string's fields in time quadratic in their number (100,000 take ~7 s).
    assert code_size_problem(['x = f"' + "{a}" * 30_000 + '"\n']) is not None
    assert code_size_problem(['x = f"' + "{a}" * 5_000 + '"\n']) is None


def test_are_the_released_notebooks_far_under_the_caps():
    for path in sorted((ROOT / "dist").glob("*/student/*.ipynb")) or [ROOT / "notebooks" / "mlp.ipynb"]:
        code = [s for kind, _, s, _ in notebook_cells(path.read_text()) if kind == "code"]
        assert code_size_problem(code) is None
        assert code_size_problem(code * 10) is None or sum(map(len, code)) * 10 > taking.MAX_CODE_CHARS, path


def test_are_long_strings_one_token_each():
    lines = "\n".join(f'    "{"ab+/" * 30}"' for _ in range(30_000))  # 3.7 MB of base64-like text: 30,000 tokens
    assert code_size_problem([f"DATA = (\n{lines}\n)\n"]) is None


@pytest.mark.parametrize("pattern", ['"\\"', "'''\\'''", "f'{a}", "\\", "r'", "x'"])
def test_is_counting_tokens_linear_in_time(pattern):
    text = pattern * (3_000_000 // len(pattern))
    _, seconds = cpu(code_size_problem, [text[i:i + 900_000] for i in range(0, len(text), 900_000)])
    assert seconds < 1.0


def test_is_a_long_py_file_said_as_it_is():
    with pytest.raises(SourceProblem) as e:
        take_file(("def f():\n    pass\n" + "x = 1\n" * 250_000).encode(), ".py")
    assert e.value.message.startswith("the file holds 1.5 MB of code; at most 1 MB can be graded")


def test_do_a_notebooks_skipped_cells_not_count():
    big = "x = 1\n" * 200_000   # 1.2 MB: skipped, never parsed, as before
    nb = notebook([code_cell(big)] * 5 + [code_cell("%%bash\n" + "echo 1\n" * 100_000)])
    taken = take_file(json.dumps(nb).encode(), ".ipynb")
    assert sum("skipped - the cell has more than" in n for n in taken.notes) == 5


def test_does_the_verifier_refuse_too_much_code_itself():
    with pytest.raises(ScanError) as e:
        verifier.verify("x = [" + "1," * 150_000 + "]\n", {"f"})
    assert "at most 200,000 can be graded" in str(e.value)


def test_does_check_say_it_of_the_cells_run_as_the_grader_would():
    history = [("code", n, f"data_{n} = [" + "1," * 40_000 + "]\n", []) for n in range(1, 4)]
    taken = taking.take_cells(history, taking.HISTORY, require_definitions=False)  # each run: taken
    with pytest.raises(SourceProblem) as e:
        taking.latest(taken)
    assert e.value.message.startswith("the cells run hold more than 200,000 tokens")
    again = [("code", n, "def data():\n    return [" + "1," * 40_000 + "]\n", []) for n in range(1, 4)]  # run 3 times
    taking.latest(taking.take_cells(again, taking.HISTORY, require_definitions=False))


# --- folders nested deep ------------------------------------------------------------------------------

def test_is_a_folder_1100_deep_one_students_problem(tmp_path, deep):
    (tmp_path / "subs").mkdir()
    (tmp_path / "subs" / "good.py").write_text(CORRECT.read_text())
    deep(tmp_path / "subs" / "deep")
    subs = {s.name: s for s in find_submissions([tmp_path / "subs"], "linear_regression")}
    assert subs["good"].problem is None
    assert subs["deep"].problem == (f"folders nested deeper than {MAX_FOLDER_DEPTH} levels were handed in (in d/); "
                                    "nothing was graded - hand in your .ipynb or .py file itself, not folders "
                                    "around it")
    codes, notes = submission_code([tmp_path / "subs"], "linear_regression")
    assert [c.name for c in codes] == ["good"] and notes == [f"deep: left out: {subs['deep'].problem}"]


def test_is_a_file_at_the_deepest_level_allowed_found(tmp_path, deep):
    deep(tmp_path / "subs" / "alice", MAX_FOLDER_DEPTH)
    (alice,) = find_submissions([tmp_path / "subs"], "linear_regression")
    assert alice.problem is None and alice.path.name == "linear_regression.py"
    assert len(alice.path.relative_to(tmp_path / "subs" / "alice").parts) == MAX_FOLDER_DEPTH + 1


# --- odd numbers in JSON and YAML --------------------------------------------------------------------

def test_is_a_long_sum_beside_another_statement_taken_as_written():
    """ast.unparse recursed, and failed, on a sum the parser took (a grader failure): the statement's own text
    is cut from its line instead."""
    source = "import torch; Y = " + "+".join(["1"] * 2000) + "; Z = 'ü'\ndef f():\n    return Y\n"
    taken = take_file(source.encode(), ".py")
    assert taken.source.splitlines()[:3] == ["import torch", "Y = " + "+".join(["1"] * 2000), "Z = 'ü'"]


@pytest.mark.parametrize("number, says", [
    ("9" * 5000, "it holds a number 5,000 digits long; a number may have at most 4,300 digits"),
    ("-" + "9" * 5000, "it holds a number 5,000 digits long"),
])
def test_is_an_odd_number_not_valid_json_for_that_notebook(number, says):
    text = json.dumps(notebook()).replace('"nbformat_minor": ', f'"nbformat_minor": {number}, "x": ', 1)
    with pytest.raises(SourceProblem) as e:
        notebook_cells(text)
    assert e.value.message.startswith("the notebook is not valid JSON (") and says in e.value.message
    assert ONE_LINE.fullmatch(e.value.message)


@pytest.mark.parametrize("number", ["NaN", "-Infinity", "1e999", "1" * 400 + ".5"])
def test_is_a_notebook_with_what_jupyter_writes_of_nan_read(number):
    """nbformat writes with json.dumps, which writes NaN and Infinity: such a notebook is a notebook."""
    text = json.dumps(notebook()).replace('"nbformat_minor": ', f'"nbformat_minor": {number}, "x": ', 1)
    assert [cell[0] for cell in notebook_cells(text)] == [cell["cell_type"] for cell in notebook()["cells"]]


def test_are_ordinary_numbers_read_as_ever():
    assert strict_json('{"a": [1, -2, 1.5e-300, 1e300, ' + "9" * 4300 + "]}")["a"][:4] == [1, -2, 1.5e-300, 1e300]
    assert strict_json('[NaN, Infinity]', nan=True)[1] == float("inf")


def test_is_an_earlier_record_with_a_huge_number_a_clear_error(tmp_path):
    result = SubmissionResult(Path("a.py"), [], notes=["x"])
    regrade.write_record(result, tmp_path)
    assert regrade.read_record(tmp_path).notes == ["x"]
    record = tmp_path / regrade.RECORD
    record.write_text(record.read_text().replace('"elapsed":', '"elapsed":' + "1" * 5000 + ',"was":'))
    with pytest.raises(KitError) as e:
        regrade.read_record(tmp_path)
    assert "cannot read an earlier result (it holds a number 5,000 digits long" in str(e.value)
    for odd in ("[]", "[" * 100_000):
        record.write_text(odd)
        with pytest.raises(KitError):
            regrade.read_record(tmp_path)
    (tmp_path / "results.json").write_text('{"tests": [], "score": ' + "1" * 5000 + "}")
    assert regrade.read_results_json(tmp_path, ["predict"]) is None


def test_is_a_huge_sid_in_an_export_read_as_text(tmp_path):
    export = gradescope_export(tmp_path / "export", ["carol@a.edu"])
    meta = export / "submission_metadata.yml"
    meta.write_text(meta.read_text().replace("    :sid:\n", "    :sid: " + "7" * 5000 + "\n", 1))
    (sub,) = find_submissions([export])
    assert sub.student["sid"] == "7" * 5000 and sub.name.startswith("7" * 40 + "-")
    meta.write_text("submission_1: " + "[" * 50_000)
    with pytest.raises(KitError):
        read_gradescope_metadata(meta)


# --- one local part, two emails --------------------------------------------------------------------

def test_do_two_emails_with_one_local_part_get_distinct_stable_names(tmp_path):
    export = gradescope_export(tmp_path / "export", ["alice@a.edu", "Alice@b.edu", "carol@a.edu"])
    names = [s.name for s in find_submissions([export])]
    assert names == ["alice-3c54d4c0", "alice-f21121e5", "carol"]  # sha1 of the email, lower case
    assert [s.name for s in find_submissions([export])] == names
    from autograder.gradebook.export import read_export
    assert sorted(read_export(export, zoneinfo.ZoneInfo("UTC"))) == names  # the gradebook's names are grade's


def test_does_a_student_who_types_a_classmates_sid_stop_nobody(tmp_path):
    """Two people with one sid (a student typed a classmate's), and a sid chosen to be another's hashed name:
    each still gets a name of their own, the same in every run."""
    export = gradescope_export(tmp_path / "export", ["alice@a.edu", "bob@a.edu", "Alice@b.edu", "mallory@a.edu"])
    meta = export / "submission_metadata.yml"
    sids = iter(["12345", "12345", "", "alice-3c54d4c0"])
    meta.write_text("".join(line + (" " + next(sids) if line == "    :sid:" else "") + "\n"
                            for line in meta.read_text().splitlines()))
    names = [s.name for s in find_submissions([export])]
    assert len(set(names)) == 4 and "12345" not in names, names
    assert sorted(n.split("-")[0] for n in names) == ["12345", "12345", "alice", "alice"]
    assert [s.name for s in find_submissions([export])] == names
    from autograder.gradebook.export import read_export
    assert sorted(read_export(export, zoneinfo.ZoneInfo("UTC"))) == sorted(names)


def test_is_one_person_in_two_submissions_still_a_clash(tmp_path):
    export = gradescope_export(tmp_path / "export", ["alice@a.edu", "alice@a.edu"])
    with pytest.raises(KitError, match="two submissions would both be written to alice/"):
        find_submissions([export])


# --- one batch ------------------------------------------------------------------------------------------

def test_does_each_hostile_input_cost_only_its_owner_in_one_batch(tmp_path, deep):
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "normal.py").write_text(CORRECT.read_text())
    answers_notebook(subs / "answers.ipynb", 1_000_000)
    lists_notebook(subs / "lists.ipynb", 19)
    deep(subs / "deep")
    bigint_notebook(subs / "bigint.ipynb", 5000)
    export = gradescope_export(tmp_path / "export", ["alice@a.edu", "Alice@b.edu"])
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "autograder", "grade", "linear_regression", str(subs), str(export),
                           "--out", str(tmp_path / "out"), "--jobs", "2"], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "grader fail" not in proc.stdout + proc.stderr
    assert time.perf_counter() - start < 120
    rows = {line.split(",")[0]: line for line in (tmp_path / "out" / "grades.csv").read_text().splitlines()[1:]}
    assert sorted(rows) == ["alice-3c54d4c0", "alice-f21121e5", "answers", "bigint", "deep", "lists", "normal"]
    for name in ("normal", "answers", "alice-3c54d4c0", "alice-f21121e5"):
        assert rows[name].startswith(f"{name},17,17,") and rows[name].endswith(",graded"), rows[name]
    says = {"lists": "the code cells hold 19 MB of code; at most 4 MB can be graded",
            "deep": "folders nested deeper than 40 levels were handed in",
            "bigint": "the notebook is not valid JSON (it holds a number 5,000 digits long"}
    for name, message in says.items():
        assert rows[name].startswith(f"{name},0,17,") and message in rows[name], rows[name]
        output = json.loads((tmp_path / "out" / name / "results.json").read_text())["output"]
        assert message in output
    answers = (tmp_path / "out" / "answers" / "results.json").read_text()
    assert "only the first 20,000 characters of an answer are kept" in answers
    assert (tmp_path / "out" / "answers" / "answers.html").stat().st_size < 200_000


def test_is_a_notebook_of_millions_of_tiny_json_values_refused_before_it_is_read():
    text = json.dumps(notebook()).replace('"metadata": {', '"metadata": {"x": [' + "[]," * 6_000_000 + "[]], ", 1)
    start = time.process_time()
    with pytest.raises(SourceProblem) as e:
        notebook_cells(text)
    assert time.process_time() - start < 1.0  # json.loads would take ~2 s and ~0.5 GB
    assert e.value.message.startswith("the notebook's JSON holds more than 2,000,000 values")
    text = '{"cells": [], "x": "' + '\\"' * 3_000_000 + '[' * 3_000_000 + '"}'  # brackets in a string do not count
    assert taking.json_values(text) < 10


@pytest.mark.slow
def test_does_the_benchmark_run_and_print_its_figures():
    proc = subprocess.run([sys.executable, "benchmarks/hostile_inputs.py", "--only", "bigint,export", "--check"],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "grader peak memory:" in proc.stdout and "bounds (" in proc.stdout and "): held" in proc.stdout
