"""The release pipeline on a small fixture assignment ('toy') copied into a temporary kit."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pytest

from autograder.assignment import load_assignment
from autograder.course import load_course
from autograder.errors import KitError, LeakError
from autograder.layout import KIT_LAYOUT, Layout
from autograder.release import setup_cell
from autograder.release.notebook import build_notebook, notebook_to_json
from autograder.release.pipeline import expected_outputs, release

FIXTURE = Path(__file__).parent / "fixtures" / "release"
BASE = "teacher/dl-kit/blob/main"
SETUP = "#@title Setup\nimport torch\ndef check(name):\n    print(name, 'ok')\n"


@pytest.fixture
def kit(tmp_path, monkeypatch) -> Path:
    """The root of a copy of the fixture kit (a course of its own: Layout(kit)); the setup cell is stubbed."""
    root = tmp_path / "kit"
    shutil.copytree(FIXTURE, root)
    # The setup cell is setup_cell.py's job; here it only has to land in the right place.
    monkeypatch.setattr(setup_cell, "setup_cell_source", lambda kitcheck: SETUP)
    return root


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _generated(root: Path) -> dict[str, bytes]:
    return {k: v for k, v in _files(root).items()
            if k.split("/")[0] in ("starter_code", "notebooks", "dist")}


def _student_notebook(kit: Path) -> dict:
    release(Layout(kit), ["toy"], github_base=BASE)
    return json.loads((kit / "notebooks" / "toy.ipynb").read_text())


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


# --- what is written ------------------------------------------------------------------------

def test_does_release_write_the_starter_the_notebook_and_the_dist_bundle(kit):
    result = release(Layout(kit), ["toy"], github_base=BASE)
    assert sorted(p.relative_to(kit).as_posix() for p in result.written) == [
        "dist/toy/solution/toy.py",
        "dist/toy/solution/toy_solution.ipynb",
        "dist/toy/student/check_toy.py",
        "dist/toy/student/toy.ipynb",
        "dist/toy/student/toy.py",
        "notebooks/toy.ipynb",
        "starter_code/check_toy.py",
        "starter_code/toy.py",
    ]
    assert result.unchanged == [] and result.stale == []
    assert (kit / "dist/toy/student/toy.py").read_bytes() == (kit / "starter_code/toy.py").read_bytes()
    assert (kit / "dist/toy/student/toy.ipynb").read_bytes() == (kit / "notebooks/toy.ipynb").read_bytes()
    assert (kit / "dist/toy/student/check_toy.py").read_bytes() == (kit / "starter_code/check_toy.py").read_bytes()


def test_does_a_second_release_write_nothing(kit):
    release(Layout(kit), ["toy"], github_base=BASE)
    before = _files(kit)
    result = release(Layout(kit), ["toy"], github_base=BASE)
    assert result.written == [] and len(result.unchanged) == 8
    assert _files(kit) == before


def test_are_two_builds_identical(kit):
    layout = Layout(kit)
    assert expected_outputs(load_assignment(layout, "toy"), BASE) == \
        expected_outputs(load_assignment(layout, "toy"), BASE)


def test_does_release_without_dist_leave_dist_alone(kit):
    result = release(Layout(kit), ["toy"], github_base=BASE, dist=False)
    assert sorted(p.relative_to(kit).as_posix() for p in result.written) == [
        "notebooks/toy.ipynb", "starter_code/check_toy.py", "starter_code/toy.py"]
    assert not (kit / "dist").exists()


def test_does_the_starter_start_with_a_header_then_the_stubbed_solution(kit):
    release(Layout(kit), ["toy"], github_base=BASE)
    starter = (kit / "starter_code" / "toy.py").read_text()
    assert starter.startswith(
        "# Starter code for Toy Regression.\n"
        "# Implement every TODO: replace each `raise NotImplementedError(...)` with your code.\n"
        "# Check your work locally with: python check_toy.py toy.py\n\n"
        '"""Toy regression: a linear model and its mean squared error."""\n')
    assert '    raise NotImplementedError("mse_loss is not implemented yet: ' in starter
    assert "SOLUTION" not in starter and "(diff ** 2)" not in starter
    compile(starter, "starter_code/toy.py", "exec")


def test_is_the_reference_module_complete_and_free_of_markers(kit):
    release(Layout(kit), ["toy"], github_base=BASE)
    reference = (kit / "dist/toy/solution/toy.py").read_text()
    assert "loss = (diff ** 2).mean()" in reference and "SOLUTION" not in reference


# --- check_only -------------------------------------------------------------------------------

def test_does_check_only_report_an_edited_committed_starter_as_stale(kit):
    release(Layout(kit), ["toy"], github_base=BASE)
    starter = kit / "starter_code" / "toy.py"
    starter.write_text(starter.read_text() + "# edited by hand\n")
    before = _files(kit)
    result = release(Layout(kit), ["toy"], github_base=BASE, check_only=True)
    assert result.stale == [starter]
    assert result.written == [] and result.unchanged == [kit / "starter_code" / "check_toy.py",
                                                         kit / "notebooks" / "toy.ipynb"]
    assert _files(kit) == before  # check_only writes nothing


def test_does_check_only_report_missing_committed_files_and_write_nothing(kit):
    result = release(Layout(kit), [], github_base=BASE, check_only=True)
    assert result.stale == [kit / "starter_code" / "toy.py", kit / "starter_code" / "check_toy.py",
                            kit / "notebooks" / "toy.ipynb"]
    assert _generated(kit) == {}
    # the kit's own generated files (docs/rules.md, checks/torch_names.py) belong to the kit's course alone
    assert all(p.is_relative_to(kit) for p in result.stale + result.unchanged)


def test_is_a_notebook_built_for_another_github_base_stale(kit):
    release(Layout(kit), ["toy"], github_base=BASE)
    result = release(Layout(kit), ["toy"], github_base="someone/else/blob/main", check_only=True)
    assert result.stale == [kit / "notebooks" / "toy.ipynb"]


# --- leaks ------------------------------------------------------------------------------------

def test_is_a_solution_line_copied_into_the_notebook_source_refused_and_nothing_written(kit):
    _edit(kit / "assignments/toy/notebook.py", "# *Your answer here.*",
          "# *Your answer here.*\n#\n#     loss = (diff ** 2).mean()")
    with pytest.raises(LeakError) as info:
        release(Layout(kit), ["toy"], github_base=BASE)
    assert str(info.value) == (
        "notebooks/toy.ipynb, cell 9, line 5: refusing to write a leak: this would show a line of a "
        "solution region (solutions/toy.py:33): 'loss = (diff ** 2).mean()' "
        "(written at assignments/toy/notebook.py:29)")
    assert _generated(kit) == {}


def test_is_a_setup_cell_that_would_embed_the_hidden_seed_refused(kit, monkeypatch):
    monkeypatch.setattr(setup_cell, "setup_cell_source", lambda k: "import torch\ntorch.manual_seed(987654)\n")
    with pytest.raises(LeakError, match=r"^notebooks/toy.ipynb, cell 3, line 2: .*hidden seed 987654"):
        release(Layout(kit), ["toy"], github_base=BASE)
    assert _generated(kit) == {}


def test_is_a_packed_check_module_that_would_carry_the_hidden_seed_refused_naming_the_file(kit, monkeypatch):
    # The check script and the setup cell carry the check modules compressed; the release reads them as a student
    # will, unpacked: once, with the check script, the first file that carries them (the setup cell packs the same).
    leaky = {"compare": "import torch\n", "rules": "SEED = 1\nSEED = 987654\n"}
    monkeypatch.setattr(setup_cell, "shipped_sources", lambda names: leaky)
    with pytest.raises(LeakError, match=r"^starter_code/check_toy.py, packed file kitcheck/rules.py:2: .*"
                                        r"hidden seed 987654"):
        release(Layout(kit), ["toy"], github_base=BASE)
    assert _generated(kit) == {}


def test_is_a_leak_refused_before_a_previously_released_file_is_touched(kit):
    release(Layout(kit), ["toy"], github_base=BASE)
    before = _files(kit)
    _edit(kit / "solutions/toy.py", "    diff = y_hat - y\n", "    diff = y_hat - y  # seed 987654\n")
    with pytest.raises(LeakError, match=r"^starter_code/toy.py:\d+: .*hidden seed"):
        release(Layout(kit), ["toy"], github_base=BASE)
    assert _files(kit) == {**before, "solutions/toy.py": (kit / "solutions/toy.py").read_bytes()}


# --- one pass: each input read once, each thing computed once ---------------------------------

def test_does_a_release_read_the_solution_and_the_notebook_source_once(kit, monkeypatch):
    import ast

    import jupytext
    solution = (kit / "solutions" / "toy.py").read_text()
    parses = []
    parse = ast.parse
    monkeypatch.setattr(ast, "parse", lambda text, *a, **k: parses.append(text == solution) or parse(text, *a, **k))
    monkeypatch.setattr(jupytext, "reads", lambda *a, **k: pytest.fail("notebook.py read by a second parser"))
    release(Layout(kit), ["toy"], github_base=BASE)
    assert parses.count(True) == 1  # its regions, definitions, starter, reference and function cells: one parse


def test_does_a_release_gather_the_secrets_once_and_scan_what_it_built(kit, monkeypatch):
    from autograder.release import leaks
    calls = []
    load_secrets = leaks.load_secrets
    monkeypatch.setattr(leaks, "load_secrets", lambda a: calls.append(a.id) or load_secrets(a))
    monkeypatch.setattr(nbformat, "reads", lambda *a, **k: pytest.fail("the notebook just written read back"))
    monkeypatch.setattr(setup_cell, "packed_sources", lambda *a: pytest.fail("the modules just packed unpacked"))
    release(Layout(kit), ["toy"], github_base=BASE)
    assert calls == ["toy"]


def test_does_a_release_run_the_reference_on_a_public_case_once_for_the_data(kit, monkeypatch):
    # once when the reference solution is judged on it (check_assignment), once for the data the setup cell of
    # both notebooks and the check script carry (Assignment.public_data)
    from autograder.checks.parts import Case
    ran = []
    expected = Case.expected
    monkeypatch.setattr(Case, "expected", lambda case: ran.append((case.part.name, case.index, case.hidden)) or
                        expected(case))
    release(Layout(kit), ["toy"], github_base=BASE)
    public = [r for r in ran if not r[2]]
    assert public and all(public.count(r) == 2 for r in public)


# --- the student notebook -------------------------------------------------------------------

def test_does_the_notebook_open_with_the_title_and_a_colab_badge_for_the_github_base(kit):
    first = _student_notebook(kit)["cells"][0]
    assert first["cell_type"] == "markdown"
    assert "".join(first["source"]) == (
        "# Toy Regression\n\n"
        "[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
        f"(https://colab.research.google.com/github/{BASE}/notebooks/toy.ipynb)")


def test_does_the_notebook_carry_colab_gpu_metadata_and_nothing_from_jupytext(kit):
    nb = _student_notebook(kit)
    assert nb["metadata"] == {
        "accelerator": "GPU",
        "colab": {"gpuType": "T4", "provenance": [], "toc_visible": True},
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    assert (nb["nbformat"], nb["nbformat_minor"]) == (4, 5)
    assert all(set(c["metadata"]) <= {"tags", "cellView"} for c in nb["cells"])


def test_does_the_notebook_have_no_outputs_and_no_execution_counts(kit):
    code = [c for c in _student_notebook(kit)["cells"] if c["cell_type"] == "code"]
    assert code and all(c["outputs"] == [] and c["execution_count"] is None for c in code)


def test_is_the_setup_cell_placed_where_the_directive_was_and_folded_in_colab(kit):
    cells = _student_notebook(kit)["cells"]
    assert "".join(cells[2]["source"]) == SETUP.rstrip("\n")
    assert cells[2]["metadata"] == {"cellView": "form"}


def test_are_functions_stubbed_in_the_student_notebook_with_their_docstrings(kit):
    cells = _student_notebook(kit)["cells"]
    predict = "".join(cells[4]["source"])
    assert predict.startswith("def predict(X: torch.Tensor, w: torch.Tensor, b: torch.Tensor)")
    assert "- X: inputs, shape (N, D)" in predict
    assert predict.endswith('    raise NotImplementedError("predict is not implemented yet: '
                            'replace this line with your code.")')


def test_are_cell_tags_preserved(kit):
    cells = _student_notebook(kit)["cells"]
    assert cells[-1]["cell_type"] == "markdown" and cells[-1]["metadata"] == {"tags": ["answer"]}


def test_are_cell_ids_deterministic(kit):
    cells = _student_notebook(kit)["cells"]
    assert [c["id"] for c in cells] == [f"student-{i:03d}" for i in range(len(cells))]


def test_does_the_serialised_notebook_end_with_a_newline_and_sort_its_keys(kit):
    text = notebook_to_json(build_notebook(load_assignment(Layout(kit), "toy"), variant="student", github_base=BASE))
    assert text.endswith("}\n")
    assert text == json.dumps(json.loads(text), sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def test_is_the_solution_notebook_complete_and_titled_as_the_reference(kit):
    nb = build_notebook(load_assignment(Layout(kit), "toy"), variant="solution", github_base=BASE)
    sources = [c.source for c in nb.cells]
    assert sources[0].startswith("# Toy Regression: reference solution")
    assert "colab-badge" not in sources[0]
    assert any("loss = (diff ** 2).mean()" in s for s in sources)
    assert not any("SOLUTION" in s or "NotImplementedError" in s for s in sources)
    assert nb.cells[1].id == "solution-001"


# --- notebook source mistakes ----------------------------------------------------------------

def test_is_an_unknown_directive_reported_with_the_notebook_source_line(kit):
    _edit(kit / "assignments/toy/notebook.py", "# kit: setup", "# kit: setpu")
    with pytest.raises(KitError) as info:
        release(Layout(kit), ["toy"], github_base=BASE)
    assert str(info.value) == ("assignments/toy/notebook.py:5: unknown kit directive '# kit: setpu' "
                               "(expected '# kit: setup' or '# kit: function NAME [NAME ...]')")


def test_is_an_unknown_function_name_reported_with_the_notebook_source_line(kit):
    _edit(kit / "assignments/toy/notebook.py", "# kit: function mse_loss", "# kit: function mse")
    with pytest.raises(KitError) as info:
        release(Layout(kit), ["toy"], github_base=BASE)
    assert str(info.value) == ("assignments/toy/notebook.py:19: '# kit: function' names 'mse', which "
                               "solutions/toy.py does not define at top level (defined: mse_loss, predict)")


def test_is_a_directive_sharing_its_cell_with_code_reported(kit):
    _edit(kit / "assignments/toy/notebook.py", "# kit: function predict", "# kit: function predict\nx = 1")
    with pytest.raises(KitError, match=r"^assignments/toy/notebook.py:\d+: a kit directive must be alone"):
        release(Layout(kit), ["toy"], github_base=BASE)


def test_is_a_check_call_before_the_setup_cell_reported(kit):
    _edit(kit / "assignments/toy/notebook.py", "# %%\n# kit: setup\n", "# %%\ncheck('predict')\n")
    with pytest.raises(KitError) as info:
        release(Layout(kit), ["toy"], github_base=BASE)
    assert str(info.value) == ("assignments/toy/notebook.py:5: check(...) is called before the "
                               "'# kit: setup' cell that defines it")


def test_is_a_marker_error_in_the_solution_reported_with_the_solution_line(kit):
    _edit(kit / "solutions/toy.py", "    # END SOLUTION\n    return loss", "    return loss")
    with pytest.raises(KitError, match=r"^solutions/toy.py:32: BEGIN SOLUTION at line 32 is never closed: write '# END SOLUTION'"):
        release(Layout(kit), ["toy"], github_base=BASE)


# --- which assignments -----------------------------------------------------------------------

def test_does_release_of_all_skip_assignments_without_sources(kit):
    (kit / "assignments" / "not_started").mkdir()
    (kit / "assignments" / "not_started" / "spec.toml").write_text('id = "not_started"\n')
    result = release(Layout(kit), [], github_base=BASE)
    assert {p.relative_to(kit).parts[-1] for p in result.written} >= {"toy.py", "check_toy.py", "toy.ipynb"}
    assert not any("not_started" in str(p) for p in result.written)
    assert result.skipped == {"not_started": kit / "solutions" / "not_started.py"}


def test_is_a_new_assignment_folder_released_with_no_list_edited(kit):
    """Discovery: a folder of assignments/ with a spec.toml is an assignment, for release and --check."""
    for sub in ("assignments", "solutions"):
        src = kit / sub / ("toy" if sub == "assignments" else "toy.py")
        dst = kit / sub / ("ridge" if sub == "assignments" else "ridge.py")
        (shutil.copytree if src.is_dir() else shutil.copy)(src, dst)
    _edit(kit / "assignments" / "ridge" / "spec.toml", 'id = "toy"', 'id = "ridge"')
    assert Layout(kit).assignment_ids() == ("ridge", "toy")  # same due date: by name
    assert release(Layout(kit), [], github_base=BASE, check_only=True).stale == [
        kit / "starter_code" / "ridge.py", kit / "starter_code" / "check_ridge.py", kit / "notebooks" / "ridge.ipynb",
        kit / "starter_code" / "toy.py", kit / "starter_code" / "check_toy.py", kit / "notebooks" / "toy.ipynb"]
    release(Layout(kit), [], github_base=BASE)
    assert (kit / "notebooks" / "ridge.ipynb").is_file()
    (kit / "solutions" / "ridge.py").write_text((kit / "solutions" / "ridge.py").read_text() + "\n# changed\n")
    assert release(Layout(kit), [], github_base=BASE, check_only=True).stale == [kit / "starter_code" / "ridge.py"]


def test_is_an_explicitly_named_assignment_without_sources_an_error(kit):
    with pytest.raises(KitError) as info:
        release(Layout(kit), ["not_started"], github_base=BASE)
    assert str(info.value) == "cannot release 'not_started': solutions/not_started.py does not exist"


def test_does_the_github_base_come_from_course_toml(kit):
    (kit / "course.toml").write_text('github = "https://github.com/teacher/dl-kit/blob/main"\n')
    assert load_course(Layout(kit)).github_base == BASE
    release(Layout(kit), ["toy"])
    assert release(Layout(kit), ["toy"], check_only=True).stale == []
    assert release(Layout(kit), ["toy"], github_base=BASE, check_only=True).stale == []
    (kit / "course.toml").write_text('github = "https://github.com/teacher/dl-kit/blob/fall-2027"\n')
    assert release(Layout(kit), ["toy"], check_only=True).stale == [kit / "notebooks" / "toy.ipynb"]


# --- the real repository -----------------------------------------------------------------------

def test_do_the_committed_notebooks_open_in_colab_from_course_toml_github():
    github = load_course(KIT_LAYOUT).github
    assert github == "https://github.com/dl-course/pytorch-assignment-kit/blob/main"
    for assignment in KIT_LAYOUT.assignment_ids():
        title = json.loads(KIT_LAYOUT.notebook_file(assignment).read_text())["cells"][0]["source"]
        assert (f"(https://colab.research.google.com/github/dl-course/pytorch-assignment-kit/blob/main/"
                f"notebooks/{assignment}.ipynb)") in "".join(title)


def test_are_the_committed_generated_files_up_to_date():
    """Fails when starter_code/ or notebooks/ differ from what `python -m autograder release` makes."""
    stale = release(KIT_LAYOUT, [], check_only=True).stale
    assert stale == [], "run `python -m autograder release` and commit: " + ", ".join(map(str, stale))
