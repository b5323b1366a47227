"""A Canvas gradebook export as --roster: the Canvas CSV then fills Canvas's own students' rows and its
existing assignment columns ("Title (id)"), instead of creating new assignments."""

from __future__ import annotations

import csv
import datetime as dt
import io
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.course import load_course
from autograder.errors import KitError
from autograder.gradebook import GradebookInputs, build_gradebook
from autograder.gradebook.canvas import parse_canvas_columns
from autograder.layout import KIT_LAYOUT
from conftest import ROOT

A1, A2 = "linear_regression", "logistic_regression"
DUES = {A1: dt.datetime.fromisoformat("2027-02-05T23:59:00-05:00"),
        A2: dt.datetime.fromisoformat("2027-02-19T23:59:00-05:00")}
COURSE = load_course(KIT_LAYOUT)
LR_COLUMN, LG_COLUMN = "Assignment 1: Linear regression (1201)", "Assignment 2: Logistic regression (1202)"
EVIL = "=cmd|' /C calc'!A0"

# As Canvas > Grades > Export writes it: a custom column, a "Manual Posting" row, the indented Points
# Possible row, the totals, and the Student View user last.
EXPORT = f"""\
Student,ID,SIS User ID,SIS Login ID,Section,Notes,{LR_COLUMN},Quiz 1 (1150),{LG_COLUMN},Current Score,Final Score
,,,,,,,,Manual Posting,,
    Points Possible,,,,,,17.00,5.00,100.00,(read only),(read only)
"Aalto, Alice",501,1001,alice@uni.edu,Section A,,,4.00,,80.00,80.00
"Byrne, Bob",502,1002,Bob.Byrne@uni.edu,Section B,,,,,,
{EVIL},503,1003,carl@uni.edu,Section A,,,,,,
"Eze, Erin",504,1005,erin@uni.edu,"Section A and Section B",,,,,,
"Student, Test",599,,,Section A,,,,,,
"""
PARTS = {A1: "predict,squared_error_cost,cost_gradients,gradient_descent,fit_direct,polynomial_features",
         A2: "sigmoid,logistic_predict,binary_cross_entropy,logistic_gradients,squared_error_logistic_gradients,"
             "fit_logistic_regression"}
# Kit names as grade gives them: a Gradescope sid (1001), an email's part before @ (bob.byrne, carl).
GRADES = {A1: f"submission,score,max_score,{PARTS[A1]},status\n"
              "1001,17,17,2,2,4,4,3,2,graded\nbob.byrne,8.5,17,2,2,4,0.5,0,0,graded\ncarl,17,17,2,2,4,4,3,2,graded\n",
          A2: f"submission,score,max_score,{PARTS[A2]},status\n"
              "1001,8,16,2,1,3,2,0,0,graded\n"}
TIMES = ("student,assignment,submitted_at\n"
         "1001,linear_regression,2027-02-05T20:00:00-05:00\n"
         "bob.byrne,linear_regression,2027-02-05T21:00:00-05:00\n"
         "carl,linear_regression,2027-02-06T20:00:00-05:00\n"
         "1001,logistic_regression,2027-02-19T20:00:00-05:00\n")


class Term:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.export = EXPORT
        self.grades = dict(GRADES)
        self.times = TIMES

    def put(self, name: str, text: str) -> Path:
        path = self.folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    @property
    def roster(self) -> Path:
        return self.folder / "canvas_export.csv"

    def build(self, **extra):
        grades = {a: self.put(f"{a}.csv", text) for a, text in self.grades.items()}
        self.put("canvas_export.csv", self.export)
        options = dict(dues=DUES, canvas=True) | extra
        return build_gradebook(COURSE, GradebookInputs(grades, self.folder / "out" / "gradebook.csv",
                                                       self.put("times.csv", self.times), roster=self.roster,
                                                       **options))

    def error(self, **extra) -> str:
        with pytest.raises(KitError) as info:
            self.build(**extra)
        assert not (self.folder / "out").exists(), "nothing is written when an input is bad"
        return str(info.value)


@pytest.fixture
def term(tmp_path) -> Term:
    return Term(tmp_path)


def rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))


# --- what the Canvas CSV holds ------------------------------------------------------------------

def test_does_the_canvas_csv_fill_the_exports_students_and_existing_columns(term):
    summary = term.build()
    assert summary.canvas.read_text(encoding="utf-8") == (
        f"Student,ID,SIS User ID,SIS Login ID,Section,{LR_COLUMN},{LG_COLUMN}\n"
        "    Points Possible,,,,,17.00,100.00\n"
        '"Aalto, Alice",501,1001,alice@uni.edu,Section A,17.00,50.00\n'
        '"Byrne, Bob",502,1002,Bob.Byrne@uni.edu,Section B,8.50,0.00\n'
        f"'{EVIL},503,1003,carl@uni.edu,Section A,17.00,0.00\n"
        '"Eze, Erin",504,1005,erin@uni.edu,Section A and Section B,0.00,0.00\n')
    # carl: a day late, covered by a grace day: 100.00, so 17 of 17 points; erin handed nothing in: 0;
    # the Student View user is left out
    assert summary.warnings == ("the gradebook has 2 assignment(s), fewer than min_on_time = 3: no student can "
                                "meet the completion requirement yet",)


def test_is_the_header_the_exports_titles_with_their_ids(term):
    header = rows(term.build().canvas)[0]
    assert header[5:] == [LR_COLUMN, LG_COLUMN]
    assert "Quiz 1 (1150)" not in header and "Notes" not in header and "Current Score" not in header


def test_is_a_formula_name_guarded_and_numbers_left_numbers(term):
    cells = rows(term.build().canvas)
    carl = next(r for r in cells if r[1] == "503")
    assert carl[0] == "'" + EVIL
    assert all(not c.startswith("'") for r in cells for c in r[1:])


def test_does_the_plain_gradebook_name_roster_students_without_a_submission(term):
    text = term.build().gradebook.read_text()
    # erin, who handed nothing in, by her SIS User ID; everyone else as grades.csv names them
    assert text.splitlines()[1:] == ["1001,100.00,50.00,0,no", "1005,0.00,0.00,0,no", "bob.byrne,50.00,0.00,0,no",
                                     "carl,100.00,0.00,1,no"]


def test_does_a_canvas_export_serve_as_the_roster_of_the_plain_gradebook_too(term):
    summary = term.build(canvas=False)
    assert summary.canvas is None and summary.students == 4


def test_is_an_export_without_points_possible_written_out_of_100_with_a_warning(term):
    term.export = "\n".join(line for line in EXPORT.splitlines() if "Points Possible" not in line) + "\n"
    summary = term.build()
    assert rows(summary.canvas)[1] == ["    Points Possible", "", "", "", "", "100.00", "100.00"]
    assert rows(summary.canvas)[3][5] == "50.00"
    assert summary.warnings[-1] == (f"{term.roster}: no Points Possible for {LR_COLUMN}, {LG_COLUMN}: the Canvas CSV "
                                    "has their marks out of 100, right only if they are worth 100 points in Canvas")


def test_is_a_student_matched_by_the_gradescope_exports_email(term):
    # Gradescope's sid 9001 is no SIS id here: the export's email is the SIS Login ID
    term.put("export/submission_metadata.yml", "submission_1:\n  :submitters:\n  - :name: Erin Eze\n"
             "    :sid: '9001'\n    :email: erin@uni.edu\n  :created_at: 2027-02-05 20:00:00 -05:00\n")
    term.grades[A1] += "9001,17,17,2,2,4,4,3,2,graded\n"
    summary = term.build(exports={A1: term.folder / "export"})
    erin = next(r for r in rows(summary.canvas) if r[1] == "504")
    assert erin[5:] == ["17.00", "0.00"]


# --- what is refused -----------------------------------------------------------------------------

def test_is_a_graded_student_not_in_the_export_an_error_listing_them(term):
    term.grades[A1] += "zoe,17,17,2,2,4,4,3,2,graded\n"
    term.times += "zoe,linear_regression,2027-02-05T20:00:00-05:00\n"
    assert term.error() == (f"{term.roster}: 1 graded student(s) not in this Canvas roster: 'zoe' "
                            f"({term.folder / 'linear_regression.csv'}:5); a student is matched by SIS User ID, SIS "
                            "Login ID or its part before @ - export the roster with inactive and concluded "
                            "enrollments shown, or check the students' ids")


def test_is_a_student_matching_two_rows_refused_naming_them(term):
    term.export += '"Byrne, Bobby",505,1006,bob.byrne@other.edu,Section B,,,,,,\n'
    assert term.error() == (
        f"{term.roster}:9: graded student 'bob.byrne' ({term.folder / 'linear_regression.csv'}:3) matches 2 students "
        "of this Canvas roster: line 5 ('Byrne, Bob', SIS User ID '1002', SIS Login ID 'Bob.Byrne@uni.edu'); line 9 "
        "('Byrne, Bobby', SIS User ID '1006', SIS Login ID 'bob.byrne@other.edu'); keep one row or make their SIS "
        "IDs differ")


def test_are_two_graded_students_of_one_row_refused(term):
    term.grades[A1] += "alice,17,17,2,2,4,4,3,2,graded\n"
    term.times += "alice,linear_regression,2027-02-05T20:00:00-05:00\n"
    assert term.error() == (f"{term.roster}:4: graded students '1001' and 'alice' "
                            f"({term.folder / 'linear_regression.csv'}:5) are both 'Aalto, Alice' of this Canvas "
                            "roster: grade one submission per student")


def test_is_an_ambiguous_title_refused_listing_the_candidates(term):
    term.export = term.export.replace("Quiz 1 (1150)", "Assignment 1: linear  regression (1301)")
    assert term.error() == (
        f"2 columns of the Canvas roster {term.roster} could be linear_regression (title 'Assignment 1: Linear "
        f"regression'): '{LR_COLUMN}', 'Assignment 1: linear  regression (1301)' - choose one with "
        f"--canvas-column linear_regression=\"{LR_COLUMN}\"")


@pytest.mark.parametrize("chosen", ["Assignment 1: linear  regression (1301)", "1301", "(1301)"])
def test_does_canvas_column_settle_an_ambiguous_title(term, chosen):
    term.export = term.export.replace("Quiz 1 (1150)", "Assignment 1: linear  regression (1301)")
    summary = term.build(canvas_columns={A1: chosen})
    assert rows(summary.canvas)[0][5:] == ["Assignment 1: linear  regression (1301)", LG_COLUMN]
    assert rows(summary.canvas)[1][5:] == ["5.00", "100.00"]
    assert rows(summary.canvas)[2][5] == "5.00"   # 100.00 of 5 points


def test_is_an_assignment_with_no_column_refused_listing_the_columns(term):
    term.export = term.export.replace(LG_COLUMN, "Logistic (1202)")
    assert term.error() == (
        f"the Canvas roster {term.roster} has no column for logistic_regression (title 'Assignment 2: Logistic "
        f"regression'); its assignment columns: '{LR_COLUMN}', 'Quiz 1 (1150)', 'Logistic (1202)' - name one with "
        "--canvas-column logistic_regression=\"TITLE (ID)\"")


def test_is_a_column_matched_by_the_assignment_id_too(term):
    term.export = term.export.replace(LG_COLUMN, "Logistic_Regression (1202)")
    assert rows(term.build().canvas)[0][6] == "Logistic_Regression (1202)"


@pytest.mark.parametrize("extra, message", [
    (dict(canvas_columns={A1: "Quiz 9 (1999)"}),
     "--canvas-column linear_regression='Quiz 9 (1999)' is no assignment column of the Canvas roster {roster} "
     f"(its assignment columns: '{LR_COLUMN}', 'Quiz 1 (1150)', '{LG_COLUMN}')"),
    (dict(canvas_columns={A1: LG_COLUMN}),
     "linear_regression and logistic_regression would both fill the Canvas column "
     f"'{LG_COLUMN}': give each its own with --canvas-column"),
    (dict(canvas_columns={"mlp": "Quiz 1 (1150)"}),
     "--canvas-column mlp=Quiz 1 (1150) but there is no --grades mlp=... to add it to"),
    (dict(canvas_columns={A1: "Quiz 1 (1150)"}, canvas=False),
     "--canvas-column names columns of the Canvas CSV: give --format canvas too"),
])
def test_are_bad_canvas_columns_refused(term, extra, message):
    assert term.error(**extra) == message.format(roster=term.roster)


def test_is_canvas_column_without_a_canvas_export_refused(term):
    term.export = "student\n1001\nbob.byrne\ncarl\n"
    assert term.error(canvas_columns={A1: "1201"}) == ("--canvas-column names columns of a Canvas gradebook export: "
                                                       "give it as --roster")


def test_is_a_column_worth_0_points_refused(term):
    term.export = term.export.replace(",17.00,", ",0,")
    assert term.error() == (f"{term.roster}: the Canvas column '{LR_COLUMN}' (linear_regression) has 0 points "
                            "possible: a mark cannot be scaled to it; give it points in Canvas and export the roster "
                            "again")


def test_is_a_person_listed_twice_refused(term):
    term.export += '"Aalto, Alicia",506,1001,alicia@uni.edu,Section A,,,,,,\n'
    assert term.error() == f"{term.roster}:9: SIS User ID '1001' is listed twice (first on line 4)"


def test_is_a_semicolon_export_refused_with_what_to_do(term):
    term.export = EXPORT.replace(",", ";")
    assert term.error() == (f"{term.roster}:1: this Canvas gradebook export has ';' between its columns (Canvas's "
                            "'semicolon' CSV setting): export it again with commas")


def test_does_the_plain_roster_still_work_for_the_canvas_csv(term):
    term.export = "student\n1001\nbob.byrne\ncarl\n"
    summary = term.build()
    assert rows(summary.canvas)[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section",
                                       "Assignment 1: Linear regression", "Assignment 2: Logistic regression"]


def test_are_canvas_column_options_parsed():
    assert parse_canvas_columns(['mlp=Assignment 4 (12)', " linear_regression = 1201 "]) == {
        "mlp": "Assignment 4 (12)", "linear_regression": "1201"}
    with pytest.raises(KitError, match="should be ASSIGNMENT="):
        parse_canvas_columns(["Assignment 4 (12)"])
    with pytest.raises(KitError, match="names 'mlp' twice"):
        parse_canvas_columns(["mlp=1", "mlp=2"])


# --- the command ---------------------------------------------------------------------------------

def test_does_the_command_take_a_canvas_export_and_a_canvas_column(term, tmp_path):
    term.export = term.export.replace("Quiz 1 (1150)", "Assignment 1: linear  regression (1301)")
    grades = [f"{a}={term.put(f'{a}.csv', text)}" for a, text in term.grades.items()]
    term.put("canvas_export.csv", term.export)
    out = tmp_path / "out" / "gb.csv"
    base = [sys.executable, "-m", "autograder", "gradebook", *(x for g in grades for x in ("--grades", g)),
            "--times", str(term.put("times.csv", term.times)), "--roster", str(term.roster),
            "--format", "canvas", "--out", str(out)]
    proc = subprocess.run(base, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2 and len(proc.stderr.splitlines()) == 1, proc.stderr
    assert proc.stderr.startswith("error: 2 columns of the Canvas roster ") and not out.exists()
    proc = subprocess.run([*base, "--canvas-column", f"{A1}=Assignment 1: Linear regression (1201)"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert rows(tmp_path / "out" / "gb.canvas.csv")[0][5:] == [LR_COLUMN, LG_COLUMN]
