"""Solution markers: finding regions, reporting bad markers, starter and reference versions, a definition
for the notebook's function cell (release/markers.py, release/solution.py)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from autograder.errors import KitError, MarkerError
from autograder.release import markers
from autograder.release.markers import SolutionRegion
from autograder.release.solution import Solution

PATH = "solutions/toy.py"


def parsed(text: str) -> Solution:
    return Solution.parse(Path(PATH), text, PATH)


def find_regions(text: str) -> list[SolutionRegion]:
    return list(parsed(text).regions)

SOLUTION = textwrap.dedent('''\
    """A module with two graded functions."""

    SCALE = 2  # not part of any solution


    def double(x):
        """Return 2 * x."""
        # BEGIN SOLUTION
        y = x * SCALE
        return y
        # END SOLUTION


    class Model:
        def forward(self, x):
            if x is None:
                return None
            # BEGIN SOLUTION
            return double(x) + 1
            # END SOLUTION
    ''')


def _raises(text: str) -> str:
    with pytest.raises(MarkerError) as info:
        find_regions(text)
    return str(info.value)


def _call_stub(starter: str, name: str, *args):
    namespace: dict = {}
    exec(compile(starter, PATH, "exec"), namespace)
    target = namespace
    for part in name.split("."):
        target = target[part] if isinstance(target, dict) else getattr(target, part)
    return target(*args)


# --- finding regions -------------------------------------------------------------------

def test_are_regions_found_with_their_lines_indent_function_and_body():
    regions = find_regions(SOLUTION)
    assert regions == [
        SolutionRegion(start_line=8, end_line=11, indent="    ", function="double",
                       body=["    y = x * SCALE", "    return y"]),
        SolutionRegion(start_line=18, end_line=20, indent="        ", function="Model.forward",
                       body=["        return double(x) + 1"]),
    ]


def test_is_a_region_outside_any_function_allowed_with_no_function_name():
    text = "# BEGIN SOLUTION\nLEARNING_RATE = 0.1\n# END SOLUTION\n"
    [region] = find_regions(text)
    assert region.function is None and region.body == ["LEARNING_RATE = 0.1"]


def test_is_marker_text_inside_a_string_ignored():
    text = 'HELP = """\n# BEGIN SOLUTION\n"""\n'
    assert find_regions(text) == []


def test_are_nbgrader_style_markers_accepted():
    text = "def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION\n"
    assert [r.function for r in find_regions(text)] == ["f"]


# --- bad markers, each reported with path:line -------------------------------------------

def test_is_an_unclosed_marker_reported_with_its_line():
    text = "def f():\n    # BEGIN SOLUTION\n    return 1\n"
    assert _raises(text) == (f"{PATH}:2: BEGIN SOLUTION at line 2 is never closed: write '# END SOLUTION', "
                             "indented like it, where its region ends")


def test_is_a_nested_begin_reported_with_its_line():
    text = ("def f():\n    # BEGIN SOLUTION\n    x = 1\n    # BEGIN SOLUTION\n"
            "    return x\n    # END SOLUTION\n")
    assert _raises(text) == (f"{PATH}:2: BEGIN SOLUTION at line 2 is never closed: write '# END SOLUTION', "
                             "indented like it, where its region ends, before the next BEGIN SOLUTION at line 4 "
                             "(regions cannot nest)")


def test_is_a_stray_end_reported_with_its_line():
    text = "def f():\n    return 1\n    # END SOLUTION\n"
    assert _raises(text) == f"{PATH}:3: END SOLUTION without a BEGIN SOLUTION before it"


def test_is_an_end_indented_differently_from_its_begin_reported():
    text = "def f():\n    # BEGIN SOLUTION\n    return 1\n# END SOLUTION\n"
    assert _raises(text) == (f"{PATH}:4: END SOLUTION is not indented but its BEGIN SOLUTION "
                             "(line 2) is indented 4 spaces")


def test_is_a_marker_after_code_on_the_same_line_reported():
    text = "def f():\n    x = 1  # BEGIN SOLUTION\n    return x\n"
    assert _raises(text) == f"{PATH}:2: BEGIN SOLUTION must be on a line of its own"


def test_is_a_region_leaving_its_block_reported():
    text = ("def f(x):\n    if x:\n        # BEGIN SOLUTION\n        y = 1\n    z = 2\n"
            "        # END SOLUTION\n    return 0\n")
    assert _raises(text).startswith(f"{PATH}:5: line 5 is indented less than the BEGIN SOLUTION marker")


def test_is_a_solution_file_that_is_not_python_reported_with_its_line():
    with pytest.raises(KitError) as info:
        find_regions("def f(:\n    pass\n")
    assert str(info.value).startswith(f"{PATH}:1: is not valid Python")


# --- starter --------------------------------------------------------------------------------

def test_does_the_starter_stub_each_region_and_keep_everything_else_byte_identical():
    starter = parsed(SOLUTION).starter()
    expected = SOLUTION.replace(
        "    # BEGIN SOLUTION\n    y = x * SCALE\n    return y\n    # END SOLUTION\n",
        "    # TODO: implement double.\n"
        '    raise NotImplementedError("double is not implemented yet: replace this line with your code.")\n',
    ).replace(
        "        # BEGIN SOLUTION\n        return double(x) + 1\n        # END SOLUTION\n",
        "        # TODO: implement Model.forward.\n"
        '        raise NotImplementedError("Model.forward is not implemented yet: '
        'replace this line with your code.")\n',
    )
    assert starter == expected


def test_does_the_starter_compile():
    compile(parsed(SOLUTION).starter(), PATH, "exec")


def test_does_a_stub_raise_not_implemented_error_naming_its_function():
    starter = parsed(SOLUTION).starter()
    with pytest.raises(NotImplementedError, match="^double is not implemented yet: replace this line"):
        _call_stub(starter, "double", 3)


def test_does_the_starter_keep_code_before_the_region_working():
    namespace: dict = {}
    exec(compile(parsed(SOLUTION).starter(), PATH, "exec"), namespace)
    assert namespace["Model"]().forward(None) is None  # the line before the region still runs
    with pytest.raises(NotImplementedError, match="^Model.forward is not implemented yet"):
        namespace["Model"]().forward(1)


def test_does_the_starter_keep_windows_line_endings():
    text = "def f():\r\n    # BEGIN SOLUTION\r\n    return 1\r\n    # END SOLUTION\r\n"
    assert parsed(text).starter() == (
        "def f():\r\n    # TODO: implement f.\r\n"
        '    raise NotImplementedError("f is not implemented yet: replace this line with your code.")\r\n'
    )


def test_does_a_file_without_regions_come_back_unchanged():
    text = "def f():\n    return 1"  # no final newline either
    assert parsed(text).starter() == text
    assert parsed(text).reference() == text


# --- reference version -------------------------------------------------------------------

def test_does_strip_markers_keep_the_solution_and_drop_every_marker():
    reference = parsed(SOLUTION).reference()
    assert "SOLUTION" not in reference
    assert reference == "".join(line for line in SOLUTION.splitlines(keepends=True)
                                if "# BEGIN SOLUTION" not in line and "# END SOLUTION" not in line)
    namespace: dict = {}
    exec(compile(reference, PATH, "exec"), namespace)
    assert namespace["double"](3) == 6 and namespace["Model"]().forward(3) == 7


# --- one definition, for the notebook's function cells ------------------------------------------

def test_is_a_definition_copied_whole_with_its_own_regions_stubbed_or_kept():
    solution = parsed(SOLUTION)
    assert solution.definitions == {"double": (6, 11), "Model": (14, 20)}
    assert solution.definition("double", stubbed=True) == (
        'def double(x):\n    """Return 2 * x."""\n    # TODO: implement double.\n'
        '    raise NotImplementedError("double is not implemented yet: replace this line with your code.")\n')
    assert solution.definition("double", stubbed=False) == 'def double(x):\n    """Return 2 * x."""\n' \
        "    y = x * SCALE\n    return y\n"
    assert solution.definition("Model", stubbed=True) in solution.starter()
    assert solution.definition("Model", stubbed=False) in solution.reference()


def test_is_the_solution_parsed_once_for_its_starter_reference_and_definitions(monkeypatch):
    calls = []
    parse = markers.parse_python
    monkeypatch.setattr(markers, "parse_python", lambda *a: calls.append(a) or parse(*a))
    monkeypatch.setattr("autograder.release.solution.parse_python", markers.parse_python)
    solution = parsed(SOLUTION)
    solution.starter(), solution.reference(), solution.definition("double", stubbed=True)
    assert len(calls) == 1
