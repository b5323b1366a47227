"""What the grader takes from a submission, and how it reports what it cannot read."""

from __future__ import annotations

import pytest

from autograder.ingest import SubmissionError, ingest
from conftest import notebook_json


def test_does_a_py_file_keep_imports_definitions_and_constants_only(write):
    path = write("s.py", "import torch\nSCALE = 2.0\nX = torch.randn(3)\n\ndef f(x):\n    return x * SCALE\n\n"
                         "print('experiment')\nif __name__ == '__main__':\n    f(X)\n")
    got = ingest(path)
    assert "import torch" in got.source and "SCALE = 2.0" in got.source and "def f(x):" in got.source
    assert "randn" not in got.source and "print" not in got.source and "__main__" not in got.source
    assert got.defined == ["f"]
    assert got.skipped_names["X"] == "line 3"


def test_are_magics_shell_lines_and_cell_magics_never_taken(write):
    path = write("s.ipynb", notebook_json(
        ("code", "!pip install torch\n%matplotlib inline\nimport torch"),
        ("code", "%%time\ndef slow():\n    pass"),
        ("code", "def f(x):\n    return x + 1"),
    ))
    got = ingest(path)
    assert "pip" not in got.source and "matplotlib" not in got.source
    assert "slow" not in got.source and got.defined == ["f"]
    assert any("cell 2" in note and "cell magic" in note for note in got.notes)


def test_does_a_later_definition_replace_an_earlier_one(write):
    path = write("s.ipynb", notebook_json(("code", "def f(x):\n    return 1"), ("code", "def f(x):\n    return 2")))
    namespace: dict = {}
    exec(ingest(path).source, namespace)
    assert namespace["f"](0) == 2


def test_are_markdown_and_raw_cells_and_stored_outputs_ignored(write):
    path = write("s.ipynb", notebook_json(
        ("markdown", "```python\ndef f(x):\n    return 'markdown'\n```"),
        ("raw", "def g(x):\n    return 'raw'"),
        ("code", "def f(x):\n    return 'code'"),
    ))
    got = ingest(path)
    assert got.defined == ["f"] and "markdown" not in got.source and "raw" not in got.source


def test_is_a_cell_that_does_not_parse_skipped_with_its_cell_and_line(write):
    path = write("s.ipynb", notebook_json(("code", "def f(x):\n    return x"), ("code", "x = (\ndef g(:")))
    got = ingest(path)
    assert got.defined == ["f"]
    assert any(note.startswith("cell 2, line") and "could not be parsed" in note for note in got.notes)


def test_is_a_syntax_error_in_a_py_file_reported_with_its_line(write):
    path = write("s.py", "def f(x):\n    return x\n\ndef g(:\n    pass\n")
    with pytest.raises(SubmissionError) as e:
        ingest(path)
    assert str(e.value).endswith("s.py:4: SyntaxError: invalid syntax - fix it so the file runs")


def test_is_invalid_json_reported_with_its_position(write):
    path = write("s.ipynb", '{"cells": [')
    with pytest.raises(SubmissionError, match=r"not valid JSON \(Expecting value at line 1, column 12\)"):
        ingest(path)


@pytest.mark.parametrize("text, message", [
    ('{"worksheets": []}', r"old \(version 3\) notebook"),
    ('[1, 2, 3]', "not a Jupyter notebook"),
    ('{"cells": [{"cell_type": "code", "source": 5}]}', "cell 1: this cell's 'source' is neither text nor a list"),
    ("[" * 100000 + "]" * 100000, "nested too deeply"),
])
def test_is_a_malformed_notebook_reported_clearly(write, text, message):
    with pytest.raises(SubmissionError, match=message):
        ingest(write("s.ipynb", text))


def test_is_a_file_without_functions_an_error(write):
    with pytest.raises(SubmissionError, match="no function definitions were found in this notebook"):
        ingest(write("s.ipynb", notebook_json(("code", "x = 1"))))


def test_is_binary_junk_reported_as_not_utf8(tmp_path):
    path = tmp_path / "s.py"
    path.write_bytes(b"\xff\xfe\x00junk")
    with pytest.raises(SubmissionError, match="not UTF-8 text"):
        ingest(path)


def test_is_a_wrong_suffix_reported(write):
    with pytest.raises(SubmissionError, match="must be a .py file or a .ipynb notebook"):
        ingest(write("s.txt", "def f(): pass"))


def test_do_lines_of_the_taken_source_map_back_to_cells(write):
    path = write("s.ipynb", notebook_json(("markdown", "# intro"), ("code", "x = f()\n\ndef f(x):\n    return x")))
    got = ingest(path)
    line = got.source.split("\n").index("    return x") + 1
    assert got.where(line) == "cell 2, line 4"


def test_is_a_statement_sharing_a_line_taken_alone(write):
    got = ingest(write("s.py", "import torch; run_experiment()\ndef f(x):\n    return x\n"))
    assert "run_experiment" not in got.source and "import torch" in got.source


def test_are_answer_cells_collected(write):
    path = write("s.ipynb", notebook_json(("markdown", "Q1?"), ("markdown", "Because of the 1/2.", ["answer"]),
                                          ("code", "def f(x):\n    return x")))
    assert ingest(path).answers == [(2, "Because of the 1/2.")]


def test_are_only_simple_constants_taken(write):
    got = ingest(write("s.py", "A = 3\nB = (1, 2.5, 'x')\nC = -A * 2\nD = torch.float64\nE = len('abc')\n"
                               "def f():\n    pass\n"))
    for kept in ("A = 3", "B = (1, 2.5, 'x')", "C = -A * 2", "D = torch.float64"):
        assert kept in got.source
    assert "E =" not in got.source and "E" in got.skipped_names


# --- Valid Python is graded as Python (issue 9, finding 9) ---------------------------------

def test_is_a_continuation_line_starting_with_percent_python_not_a_magic(write):
    cell = ('def label(a, b):\n    return ("%d, %d"\n            % (a, b))\n\n'
            'def shout(x):\n    return ("%s!"\n% x)\n\n%time label(1, 2)\n!ls\n')
    got = ingest(write("s.ipynb", notebook_json(("code", cell))))
    assert got.defined == ["label", "shout"]
    assert "            % (a, b))" in got.source and "\n% x)" in got.source
    assert "%time" not in got.source and "!ls" not in got.source


def test_is_a_percent_line_inside_a_string_or_after_a_backslash_kept(write):
    cell = 'TEXT = """\n%not a magic\n"""\n\ndef f(x):\n    return x \\\n% 2\n'
    got = ingest(write("s.ipynb", notebook_json(("code", cell))))
    assert got.defined == ["f"] and "%not a magic" in got.source and "\n% 2" in got.source


def test_does_a_lone_carriage_return_end_a_line_as_in_python(write, tmp_path):
    path = tmp_path / "s.py"
    path.write_bytes(b"import torch\n# a comment\rdef f():\n    return 1\n\ndef g():\n    return 2\n")
    got = ingest(path)
    assert got.defined == ["f", "g"]
    assert got.where(2) == "line 3"  # Python counts the \r as a line end too


def test_is_a_latin1_coding_declaration_honoured(tmp_path):
    path = tmp_path / "s.py"
    path.write_bytes('# -*- coding: latin-1 -*-\ndef f():\n    return "Müller"\n'.encode("latin-1"))
    assert 'return "Müller"' in ingest(path).source


def test_is_an_unknown_coding_declaration_one_clear_line(tmp_path):
    path = tmp_path / "s.py"
    path.write_bytes(b"# coding: klingon\ndef f():\n    pass\n")
    with pytest.raises(SubmissionError) as e:
        ingest(path)
    assert str(e.value) == f"{path}: the file's coding declaration cannot be used (unknown encoding: klingon)"


def test_are_notes_capped(write):
    cells = [("code", "def f():\n    pass")] + [("code", "%%time\nx = 1")] * 200
    got = ingest(write("s.ipynb", notebook_json(*cells)))
    assert len(got.notes) == 51 and got.notes[-1] == "... and 150 more notes like these"


# --- the same taking for a kernel's history (check()) ----------------------------------------

from autograder.checks import namespace, taking  # noqa: E402


def test_does_every_line_of_the_taken_source_keep_its_place(write):
    path = write("s.ipynb", notebook_json(("markdown", "# intro"), ("code", "import torch; run()\nA = 1\n\n"
                                          "@deco\ndef f(x):\n    return x"), ("code", "x = f(1)\ndef g():\n    pass")))
    got = ingest(path)
    expected = ["cell 2, line 1", "cell 2, line 2", "cell 2, line 4", "cell 2, line 5", "cell 2, line 6",
                "cell 3, line 2", "cell 3, line 3"]
    assert [got.where(n) for n in range(1, len(expected) + 1)] == expected == [str(o) for o in got.origins]
    assert got.where(0) == "line 0" and got.where(len(expected) + 1) == f"line {len(expected) + 1}"


def test_are_a_kernels_cells_named_by_the_run_that_ran_them():
    cells = [("code", 1, "import torch\nDEVICE = torch.device('cpu')", []), ("code", 2, "def f(:", []),
             ("code", 3, "def f(x):\n    return x.to(DEVICE)", [])]
    got = taking.take_cells(cells, taking.HISTORY, cache=True)
    assert got.skipped_names == {"DEVICE": "the cell run as In [1], line 2"}
    assert got.notes == ["the cell run as In [2], line 1: this cell could not be parsed (invalid syntax); "
                         "nothing in it was taken"]
    assert got.where(3) == "the cell run as In [3], line 2"


def history(*texts: str) -> taking.Ingested:
    return taking.take_cells([("code", n, text, []) for n, text in enumerate(texts, 1)], taking.HISTORY)


def loaded(ingested: taking.Ingested) -> dict:
    module, notes = namespace.load_statements(
        [("\n".join(t.statement.lines), t.first) for t in ingested.statements], ingested.source)
    assert notes == []
    return {k: v for k, v in vars(module).items() if not k.startswith("__")}


def test_does_latest_leave_out_only_what_a_later_run_replaces():
    got = taking.latest(history("def f():\n    return 1", "import math", "def f():\n    return 2", "def f():\n    return 3"))
    assert got.source == "import math\ndef f():\n    return 3\n" and got.where(2) == "the cell run as In [4], line 1"


@pytest.mark.parametrize("texts", [
    ("X = 1", "Y = X", "X = 2", "def f():\n    return X, Y"),            # read while loading: kept
    ("REG = []", "def reg(fn):\n    REG.append(fn)\n    return fn", "@reg\ndef a():\n    pass", "REG = []"),
    ("from __future__ import annotations", "from __future__ import annotations", "def f(x: Missing):\n    return 1"),
])
def test_does_latest_keep_everything_that_runs_while_loading_needs(texts):
    full, short = history(*texts), taking.latest(history(*texts))
    assert {k: repr(v)[:20] for k, v in loaded(full).items()} == {k: repr(v)[:20] for k, v in loaded(short).items()}
    assert len(short.statements) >= len(full.statements) - 1


def test_does_loading_statement_by_statement_make_the_module_the_child_makes():
    got = history("from __future__ import annotations\nimport math", "A = 2\ndef f(x: Missing) -> int:\n"
                  "    return math.floor(x) * A", "class C:\n    k = A\n", "B = undefined_name")
    one, notes_one = namespace.load_module(got.source)
    two, notes_two = namespace.load_statements(
        [("\n".join(t.statement.lines), t.first) for t in got.statements], got.source)
    assert notes_one == notes_two == ["line 8: NameError: name 'undefined_name' is not defined (statement skipped)"]
    assert one.f(2.5) == two.f(2.5) == 4 and one.f.__code__.co_firstlineno == two.f.__code__.co_firstlineno == 4
    assert two.f.__annotations__ == {"x": "Missing", "return": "int"} and two.C.k == 2
