"""similarity: a disguised copy ranks first, the starter code and experiments do not count."""

from __future__ import annotations

import ast
import csv
import shutil
import subprocess
import sys

import pytest

from autograder.errors import KitError
from autograder.layout import KIT_LAYOUT
from autograder.similarity import run_similarity
from autograder.similarity.report import CSV_COLUMNS
from autograder.similarity.sources import submission_code
from conftest import ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "similarity"
TERM, EARLIER = FIXTURES / "term", FIXTURES / "earlier_term"
A1 = "linear_regression"


def function_names(source: str) -> list[str]:
    return [n.name for n in ast.parse(source).body if isinstance(n, ast.FunctionDef)]


@pytest.fixture(scope="module")
def term(tmp_path_factory):
    return run_similarity(KIT_LAYOUT, A1, [TERM], tmp_path_factory.mktemp("similarity"))


def test_is_the_fixture_copy_really_disguised():
    codes = {c.name: c for c in submission_code([TERM], A1)[0]}
    ana, ben = codes["ana"].source, codes["ben"].source
    assert function_names(ana) != function_names(ben) and sorted(function_names(ana)) == sorted(function_names(ben))
    assert "residual" in ana and "residual" not in ben and "# build each power" in ben
    assert len(codes) == 6   # ana, ben and four independently written solutions (one a notebook)


def test_does_a_renamed_reordered_commented_copy_rank_first(term):
    first, second = term.pairs[0], term.pairs[1]
    assert (first.a.name, first.b.name) == ("ana", "ben")
    assert first.score > 0.9 and second.score < 0.5, [(p.a.name, p.b.name, p.score) for p in term.pairs[:3]]


def test_is_the_csv_every_pair_most_similar_first(term):
    rows = list(csv.reader(term.csv.open()))
    assert tuple(rows[0]) == CSV_COLUMNS == ("submission_a", "submission_b", "score", "share_a", "share_b")
    assert rows[1][:3] == ["ana", "ben", f"{100 * term.pairs[0].score:.1f}"]
    assert len(rows) - 1 == 6 * 5 // 2
    scores = [float(r[2]) for r in rows[1:]]
    assert scores == sorted(scores, reverse=True)


def test_does_a_notebook_contribute_only_what_the_grader_takes():
    dara = {c.name: c for c in submission_code([TERM], A1)[0]}["dara"]
    assert dara.path.suffix == ".ipynb"
    assert "def fit_direct" in dara.source
    assert "plt.plot" not in dara.source and "gradient_descent(X, X.sum" not in dara.source


def test_does_the_starter_code_count_for_nobody(tmp_path):
    for name in ("blank1", "blank2"):
        shutil.copy(KIT_LAYOUT.starter_file(A1), tmp_path / f"{name}.py")
    shutil.copy(TERM / "ana.py", tmp_path / "ana.py")
    shutil.copy(TERM / "eli.py", tmp_path / "eli.py")
    done = run_similarity(KIT_LAYOUT, A1, [tmp_path], tmp_path / "out")
    assert [(p.a.name, p.b.name) for p in done.pairs] == [("ana", "eli")]
    assert done.notes == ("blank1: left out: nothing beyond the starter code",
                          "blank2: left out: nothing beyond the starter code")


def test_is_this_term_compared_with_earlier_terms_but_not_those_among_themselves(tmp_path):
    earlier = tmp_path / "2026"
    earlier.mkdir()
    shutil.copy(EARLIER / "gus.py", earlier / "gus.py")
    shutil.copy(TERM / "ana.py", earlier / "ana.py")   # a name this term has too
    done = run_similarity(KIT_LAYOUT, A1, [TERM], tmp_path / "out", [earlier])
    names = [(p.a.name, p.b.name) for p in done.pairs]
    # fred copied an earlier term's gus; ana handed in what an earlier term's ana had
    assert set(names[:2]) == {("fred", "2026/gus"), ("ana", "2026/ana")} and done.pairs[1].score > 0.95
    assert not any(a.startswith("2026/") and b.startswith("2026/") for a, b in names)
    assert len(names) == 6 * 5 // 2 + 6 * 2


def test_is_the_page_self_contained_with_the_matches_marked(term):
    page = term.html.read_text()
    assert "default-src 'none'" in page and "<script" not in page
    assert "http://" not in page and "https://" not in page
    top = page.split('id="pair-1"')[1].split("</section>")[0]
    assert top.count("<pre>") == 2 and "<mark>" in top and "ana" in top and "ben" in top


def test_does_the_command_print_the_top_pairs(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "autograder", "similarity", A1, str(TERM), "--out", str(tmp_path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0] == " 97.6%  ana  ben"
    assert (tmp_path / "similarity.html").is_file() and (tmp_path / "similarity.csv").is_file()


def test_is_a_single_submission_a_one_line_error(tmp_path):
    with pytest.raises(KitError) as info:
        run_similarity(KIT_LAYOUT, A1, [TERM / "ana.py"], tmp_path)
    assert str(info.value) == "fewer than two submissions to compare (1 with code of their own)"


def test_is_an_output_folder_that_is_a_file_a_one_line_error(tmp_path):
    (tmp_path / "out").write_text("")
    with pytest.raises(KitError) as info:
        run_similarity(KIT_LAYOUT, A1, [TERM], tmp_path / "out")
    assert str(info.value) == f"--out {tmp_path / 'out'} is a file, not a folder"


def test_is_an_unknown_assignment_named(tmp_path):
    with pytest.raises(KitError, match=r"^unknown assignment 'lin': there is no starter_code/lin\.py \(known: "):
        run_similarity(KIT_LAYOUT, "lin", [TERM], tmp_path)


def test_are_two_reference_folders_of_one_name_an_error(tmp_path):
    for term in ("2025", "2026"):
        shutil.copy(EARLIER / "gus.py", (tmp_path / term / "a1").mkdir(parents=True) or tmp_path / term / "a1")
    with pytest.raises(KitError) as info:
        run_similarity(KIT_LAYOUT, A1, [TERM], tmp_path / "out", [tmp_path / "2025" / "a1", tmp_path / "2026" / "a1"])
    assert str(info.value) == ("two --reference folders are both named 'a1': their submissions would get the same "
                               "names; give folders with different names")


def test_is_one_submission_compared_with_an_earlier_term(tmp_path):
    done = run_similarity(KIT_LAYOUT, A1, [TERM / "fred.py"], tmp_path / "out", [EARLIER])
    assert [(p.a.name, p.b.name) for p in done.pairs] == [("fred", "earlier_term/gus")]  # this term first
