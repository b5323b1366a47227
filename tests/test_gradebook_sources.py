"""The gradebook's other inputs and outputs: Gradescope exports for times, manual scores of
written answers, and the Canvas import CSV."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.course import load_course
from autograder.errors import KitError
from autograder.gradebook import GradebookInputs, build_gradebook
from autograder.layout import KIT_LAYOUT
from conftest import ROOT

A1, A2 = "linear_regression", "logistic_regression"   # by name: another assignment changes nothing here
DUES = {A1: dt.datetime.fromisoformat("2027-02-05T23:59:00-05:00"),
        A2: dt.datetime.fromisoformat("2027-02-19T23:59:00-05:00")}
COURSE = load_course(KIT_LAYOUT)

# As Gradescope writes it (Ruby YAML): a group of two in submission_102, Bob without a sid.
METADATA = """\
submission_101:
  :submitters:
  - :name: Alice Aalto
    :sid: '1001'
    :email: alice@uni.edu
  :created_at: 2027-02-05 23:10:00.123456000 -05:00
  :score: !ruby/object:BigDecimal 18:0.17e2
submission_102:
  :submitters:
  - :name: Bob Byrne
    :sid:
    :email: Bob.Byrne@uni.edu
  - :name: Dan O'Neil
    :sid: 1004
    :email: dan@uni.edu
  :created_at: 2027-02-07 09:30:00.000000000 -05:00
"""
PARTS = "predict,squared_error_cost,cost_gradients,gradient_descent,fit_direct,polynomial_features"
GRADES = (f"submission,score,max_score,{PARTS},status\n"
          "1001,17,17,2,2,4,4,3,2,graded\nbob.byrne,10,17,2,2,4,2,0,0,graded\n1004,10,17,2,2,4,2,0,0,graded\n")


class Term:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.metadata = METADATA
        self.grades = GRADES
        self.times: str | None = None
        self.manual: str | None = None

    def put(self, name: str, text: str) -> Path:
        path = self.folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    @property
    def export(self) -> Path:
        return self.folder / "export"

    def build(self, **extra):
        self.put("export/submission_metadata.yml", self.metadata)
        grades = {A1: self.put("grades.csv", self.grades)}
        times = self.put("times.csv", self.times) if self.times is not None else None
        manual = {A1: self.put("written.csv", self.manual)} if self.manual is not None else None
        options = dict(dues=DUES, exports={A1: self.export}, manual=manual, canvas=True) | extra
        options = {k: v if v is not None else {} for k, v in options.items()}  # exports=None: no export given
        return build_gradebook(COURSE, GradebookInputs(grades, self.folder / "out" / "gradebook.csv", times, **options))

    def error(self, **extra) -> str:
        with pytest.raises(KitError) as info:
            self.build(**extra)
        assert not (self.folder / "out").exists(), "nothing is written when an input is bad"
        return str(info.value)


@pytest.fixture
def term(tmp_path) -> Term:
    return Term(tmp_path)


# --- times from a Gradescope export ----------------------------------------------------------

def test_do_times_come_from_the_export_with_no_times_file(term):
    summary = term.build()
    assert summary.gradebook.read_text() == (
        "student,linear_regression,grace_days_used,meets_completion_requirement\n"
        "1001,100.00,0,no\n1004,58.82,2,no\nbob.byrne,58.82,2,no\n")
    assert "bob.byrne  linear_regression: submitted 2 day(s) late; 2 grace day(s) used (5 left); no penalty: 58.82" \
        in summary.explanations.read_text()


def test_is_an_export_time_in_another_offset_the_same_instant(term):
    term.metadata = term.metadata.replace("2027-02-07 09:30:00.000000000 -05:00", "2027-02-07 14:30:00 +00:00")
    assert term.build().gradebook.read_text().splitlines()[2] == "1004,58.82,2,no"


def test_is_an_exported_student_without_grades_named(term):
    term.grades = term.grades.replace("1004,10,17,2,2,4,2,0,0,graded\n", "")
    assert term.error() == (f"{term.export / 'submission_metadata.yml'}: submission_102: student '1004' is in this "
                            f"Gradescope export of 'linear_regression' but has no row in {term.folder / 'grades.csv'}; "
                            "grade the export or give its grades.csv")


def test_is_a_graded_student_missing_from_the_export_named(term):
    term.grades += "zoe,1,17,1,0,0,0,0,0,graded\n"
    assert term.error() == (f"{term.export / 'submission_metadata.yml'}: missing time: student 'zoe' has a row for "
                            f"'linear_regression' in {term.folder / 'grades.csv'} (line 5) but is not a submitter "
                            "in this Gradescope export")


def test_is_a_time_given_twice_an_error(term):
    term.times = "student,assignment,submitted_at\n1001,linear_regression,2027-02-05T20:00:00-05:00\n"
    assert term.error() == (f"{term.folder / 'times.csv'}: student '1001' has a time for 'linear_regression' both "
                            f"here (line 2) and in the Gradescope export {term.export / 'submission_metadata.yml'}; "
                            "keep one")


def test_is_a_created_at_that_is_not_a_time_named(term):
    term.metadata = term.metadata.replace("2027-02-07 09:30:00.000000000 -05:00", "yesterday")
    assert term.error() == (f"{term.export / 'submission_metadata.yml'}: submission_102: :created_at 'yesterday' "
                            "is not a date-time")


def test_is_a_folder_that_is_not_an_export_named(term):
    assert term.error(exports={A1: term.folder}) == (
        f"not a Gradescope export: no submission_metadata.yml in {term.folder} "
        "(unzip the 'Download submissions' archive and give its folder)")


def test_are_missing_times_a_one_line_error(term):
    assert term.error(exports=None) == ("no submission times: give --times TIMES_CSV or "
                                        "--gradescope ASSIGNMENT=EXPORT_FOLDER")


def test_is_an_export_for_an_assignment_without_grades_an_error(term):
    assert term.error(exports={A2: term.export}) == (
        f"--gradescope logistic_regression={term.export} but there is no --grades logistic_regression=... "
        "to add it to")


# --- the Canvas import CSV ------------------------------------------------------------------

def test_is_the_canvas_csv_in_canvas_columns_beside_the_plain_one(term):
    summary = term.build()
    assert summary.canvas == term.folder / "out" / "gradebook.canvas.csv"
    assert summary.canvas.read_text() == (
        "Student,ID,SIS User ID,SIS Login ID,Section,Assignment 1: Linear regression\n"
        "    Points Possible,,,,,100.00\n"
        "Alice Aalto,,1001,alice@uni.edu,,100.00\n"
        "Dan O'Neil,,1004,dan@uni.edu,,58.82\n"
        "Bob Byrne,,bob.byrne,Bob.Byrne@uni.edu,,58.82\n")


def test_is_a_student_without_an_export_entry_in_the_canvas_csv_by_id_with_a_warning(term):
    term.grades += "zoe,17,17,2,2,4,4,3,2,graded\n"
    term.times = "student,assignment,submitted_at\nzoe,linear_regression,2027-02-05T20:00:00-05:00\n"
    summary = term.build()
    assert summary.canvas.read_text().splitlines()[-1] == "zoe,,zoe,,,100.00"
    assert summary.warnings[-2:] == (
        "the Canvas CSV has no Canvas ids: importing it creates new assignments; give --roster a Canvas gradebook "
        "export (Grades > Export) to fill the existing ones",
        "1 student(s) without a Gradescope export entry (zoe) have no name or email in the Canvas CSV: Canvas must "
        "match them by SIS User ID")


def test_is_no_canvas_csv_written_unless_asked(term):
    summary = term.build(canvas=False)
    assert summary.canvas is None and not (term.folder / "out" / "gradebook.canvas.csv").exists()


# --- manual scores of written answers ----------------------------------------------------------

# max_points: what linear_regression's spec.toml gives q1 and q2 (2 each); q3 is worth 3 there
MANUAL = ("student,question,points,max_points\n"
          "1001,1,1,2\n1001,2,2,2\nbob.byrne,1,2,2\nbob.byrne,2,2,2\n1004,1,0,2\n1004,2,0.5,2\n")


def test_are_manual_scores_added_to_the_autograded_score(term):
    term.manual = MANUAL
    rows = term.build().gradebook.read_text().splitlines()[1:]
    # (17 + 3) / (17 + 4), (10 + 0.5) / 21, (10 + 4) / 21
    assert rows == ["1001,95.24,0,no", "1004,50.00,2,no", "bob.byrne,66.67,2,no"]


@pytest.mark.parametrize("row, message", [
    ("zoe,1,1,2", "student 'zoe' has no row in the grades file of 'linear_regression'"),
    ("1001,1,1,2", "second row for student '1001' and question '1' (the first is on line 2)"),
    ("1001,3,6,3", "points '6' of student '1001' for question '3' is outside 0 to 3"),
    ("1001,3,-1,3", "points '-1' of student '1001' for question '3' is outside 0 to 3"),
    ("1001,3,three,3", "points 'three' of student '1001' for question '3' is not a number"),
    ("1001,3,1,3\nbob.byrne,3,1,5", "max_points '5' of question '3' differs from 3 on line 8"),
    ("1001,3,1,2", "max_points '2' of question '3' is not the 3 points spec.toml gives it "
                   "(assignments/linear_regression/spec.toml:50): write 3"),
    ("1001,3,0,0", "max_points '0' of question '3' must be more than 0"),
    (",1,1,2", "the student column is blank"),
    ("1001,,1,2", "the question column is blank (student '1001')"),
])
def test_is_a_bad_manual_row_named_with_file_line_and_value(term, row, message):
    term.manual = MANUAL + row + "\n"
    line = 7 + row.count("\n") + 1
    assert term.error() == f"{term.folder / 'written.csv'}:{line}: {message}"


def test_is_a_missing_manual_score_named(term):
    term.manual = MANUAL.replace("1004,2,0.5,2\n", "")
    assert term.error() == (f"{term.folder / 'written.csv'}: student '1004' has no score for question '2' of "
                            "'linear_regression'; add a row (points 0 if nothing was answered)")


def test_is_a_manual_file_without_max_points_named(term):
    term.manual = "student,question,points\n1001,1,3\n"
    assert term.error() == (f"{term.folder / 'written.csv'}:1: missing column(s) max_points: the header is "
                            "student,question,points but a manual-scores file needs student,question,points,max_points")


# --- the command -------------------------------------------------------------------------------

def test_does_the_command_take_an_export_and_write_the_canvas_csv(term, tmp_path):
    term.put("export/submission_metadata.yml", term.metadata)
    grades = term.put("grades.csv", term.grades)
    out = tmp_path / "out" / "gb.csv"
    proc = subprocess.run([sys.executable, "-m", "autograder", "gradebook", "--grades", f"{A1}={grades}",
                           "--gradescope", f"{A1}={term.export}", "--format", "canvas", "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == f"Canvas import CSV in {tmp_path / 'out' / 'gb.canvas.csv'}"
    assert (tmp_path / "out" / "gb.canvas.csv").read_text().startswith("Student,ID,SIS User ID,SIS Login ID,Section,")
    proc = subprocess.run([sys.executable, "-m", "autograder", "gradebook", "--grades", f"{A1}={grades}",
                           "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert (proc.returncode, proc.stderr) == (2, "error: no submission times: give --times TIMES_CSV or "
                                                 "--gradescope ASSIGNMENT=EXPORT_FOLDER\n")
