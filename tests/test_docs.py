"""The repository's own documents: the curriculum names every graded part, nothing cites the
missing CURRICULUM.md, and the student-files page covers every file release hands out."""

from __future__ import annotations

import re

import pytest

from autograder.release.pipeline import output_files
from autograder.assignment import load_assignment
from autograder.layout import KIT_LAYOUT
from conftest import ROOT

CURRICULUM = (ROOT / "docs" / "curriculum.md").read_text()
STUDENTS = (ROOT / "docs" / "what-students-get.md").read_text()


# The course's own assignments: the curriculum must have a section for each of them.
SHIPPED = ("linear_regression", "logistic_regression", "softmax_regression", "mlp")


def section(assignment: str) -> str | None:
    """The text of the curriculum's '## N. `assignment`' section (None: it has none)."""
    match = re.search(rf"^## \d+\. `{assignment}`\n(.*?)(?=^## |\Z)", CURRICULUM, re.M | re.S)
    return match.group(1) if match else None


@pytest.mark.per_assignment
@pytest.mark.parametrize("assignment", KIT_LAYOUT.assignment_ids())
def test_does_the_curriculum_state_every_graded_function_of_the_assignment(assignment):
    """A TA's new assignment (`new ID`) has no section until the TA writes one: `new` edits no course
    document, and the scaffold's example part is not curriculum. So its absence is a listed skip, not a
    failure; once the section exists it must list exactly the graded functions."""
    text = section(assignment)
    if text is None and assignment not in SHIPPED:
        pytest.skip(f"docs/curriculum.md has no section for {assignment} yet: add '## N. `{assignment}`' with a "
                    "row '| `function(args)` | ...' per graded function before it goes to students")
    assert text is not None, f"docs/curriculum.md has no section for {assignment}"
    rows = {m.group(1) for m in re.finditer(r"^\| `(\w+)\(", text, re.M)}
    assert rows == set(load_assignment(KIT_LAYOUT, assignment).part_names)


def test_does_nothing_of_ours_cite_the_missing_curriculum_file():
    files = [ROOT / "README.md", *(ROOT / "docs").glob("*.md"), *(ROOT / "assignments").glob("*/notebook.py"),
             *(ROOT / "notebooks").glob("*.ipynb"), *(ROOT / "autograder").rglob("*.py")]
    citing = [str(p.relative_to(ROOT)) for p in files if "CURRICULUM.md" in p.read_text()]
    assert citing == []
    assert "docs/curriculum.md" in (ROOT / "README.md").read_text()


def test_does_the_student_files_page_cover_every_file_release_hands_out():
    files = output_files(KIT_LAYOUT, "ID")
    student_facing = [files[role] for role in ("starter", "check", "notebook", "student_notebook", "student_code")]
    for path in student_facing:
        pattern = path.relative_to(KIT_LAYOUT.root).as_posix().replace("ID", "<id>")
        assert f"`{pattern}`" in STUDENTS.split("## Never in student hands")[0], pattern
    never = STUDENTS.split("## Never in student hands")[1]
    for secret in ("`solutions/<id>.py`", "`dist/<id>/solution/`", "`[hidden]` table", "Gradescope zip"):
        assert secret in never, secret


def test_is_no_tracked_text_file_left_with_merge_conflict_markers():
    import subprocess
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    marker = re.compile(r"^(<<<<<<<|>>>>>>>) ", re.M)
    found = []
    for name in tracked:
        path = ROOT / name
        if path.suffix in {".md", ".py", ".toml", ".txt", ".sh", ".yml", ".cfg", ".ipynb"} and path.is_file():
            if marker.search(path.read_text(encoding="utf-8", errors="replace")):
                found.append(name)
    assert found == []


# --- README.md is the manual: what it names and links is kept true --------------------------------

README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
_LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
_FENCED = re.compile(r"^```.*?^```", re.M | re.S)  # a '# comment' in a code block is no heading
# A commit's hash (7 to 40 hex digits, with a digit and a letter) and a count of tests: history and figures
# that no test keeps true, which the manual leaves to git and to pytest.
_HASH = re.compile(r"\b(?=[0-9a-f]*[0-9])(?=[0-9a-f]*[a-f])[0-9a-f]{7,40}\b")
_TEST_COUNT = re.compile(r"\b\d[\d,]*\s+(?:[a-z-]+\s+)?tests?\b", re.I)


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation but '-' and '_' dropped, spaces as '-'."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(doc) -> set[str]:
    return {slug(m.group(1)) for m in re.finditer(r"^#{1,6} (.+)$", _FENCED.sub("", doc.read_text()), re.M)}


@pytest.mark.parametrize("doc", [README, *DOCS], ids=lambda p: p.relative_to(ROOT).as_posix())
def test_does_every_link_of_the_readme_and_the_docs_resolve(doc):
    """Each relative link (and image) names a file of the repository, and its #anchor a heading there."""
    broken = []
    for target in _LINK.findall(doc.read_text()):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto: - not ours, and not checked offline
            continue
        file, _, anchor = target.partition("#")
        path = (doc.parent / file) if file else doc
        if not path.exists():
            broken.append(f"{target}: no such file")
        elif anchor and path.suffix == ".md" and anchor not in anchors(path):
            broken.append(f"{target}: no heading #{anchor} in {path.name}")
    assert broken == []


def test_does_every_path_the_readme_names_exist():
    """Each file or folder of the repository that the README names in backticks; not a pattern such as
    `starter_code/<id>.py` or `solutions/ID.py`."""
    named = re.findall(r"`((?:autograder|assignments|benchmarks|docs|examples|scripts|solutions|starter_code|"
                       r"notebooks|tests)/[^`\s<>*]*)`", README.read_text())
    named = [p for p in named if not re.search(r"\bID\b", p)]
    assert named and sorted({p for p in named if not (ROOT / p).exists()}) == []


@pytest.mark.parametrize("doc", [README, *DOCS], ids=lambda p: p.relative_to(ROOT).as_posix())
def test_does_no_document_hold_a_commit_hash_or_a_count_of_tests(doc):
    text = doc.read_text()
    assert _HASH.findall(text) == [] and _TEST_COUNT.findall(text) == []


def test_do_the_hash_and_count_patterns_find_what_the_readme_once_held():
    assert _HASH.findall("before 8ba2276 (same benchmark)") == ["8ba2276"]
    assert _TEST_COUNT.findall("it runs about 680 tests, 2,470 unit tests since") == ["680 tests", "2,470 unit tests"]
    assert _HASH.findall("1e999, torch 2.14.1+cu130, a 5,000-digit integer, deadbeef") == []


def test_does_the_readmes_table_of_assignments_name_their_graded_functions():
    """The table names each shipped assignment's graded functions, or their number and some of them."""
    import tomllib
    table = README.read_text().split("| id | graded functions | data in the notebook |", 1)[1].split("\n\n", 1)[0]
    rows = re.findall(r"^\| `(\w+)` \| ([^|]*) \|", table, re.M)
    assert [assignment for assignment, _ in rows] == list(SHIPPED)
    for assignment, cell in rows:
        spec = tomllib.loads((ROOT / "assignments" / assignment / "spec.toml").read_text(encoding="utf-8"))
        parts = [p["name"] for p in spec["parts"]]
        named = re.findall(r"`(\w+)`", cell)
        counted = re.match(r"(\d+) functions", cell.strip())
        if counted:
            assert int(counted.group(1)) == len(parts) and set(named) <= set(parts), assignment
        else:
            assert named == parts, assignment
