"""The gradebook: grace days, late penalties, the completion requirement, and bad inputs."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import tomllib
from decimal import Decimal
from pathlib import Path

import pytest

from autograder.course import load_course
from autograder.errors import KitError
from autograder.gradebook import (DEFAULT_POLICY, GradebookInputs, Policy, build_gradebook, load_policy,
                                  parse_grades_options)
from autograder.gradebook.build import explanations_path
from autograder.gradebook.lateness import Attempt, assess_term, days_late, penalised
from autograder.gradebook.report import explanation_lines
from autograder.grading.results import grades_csv
from autograder.grading.scores import PartScore, ScoreRow
from autograder.layout import KIT_LAYOUT
from autograder.spec import load_spec
from conftest import EXAMPLES

# The course's four assignments, by name (in due order), not by how many assignments/ holds: a TA's
# fifth (`python -m autograder new ridge_regression`) changes none of these tests.
A1, A2, A3, A4 = TERM = ("linear_regression", "logistic_regression", "softmax_regression", "mlp")
# The deadlines in assignments/*/spec.toml (pinned by a test below).
DUES_TEXT = {A1: "2027-02-05T23:59:00-05:00", A2: "2027-02-19T23:59:00-05:00",
             A3: "2027-03-05T23:59:00-05:00", A4: "2027-03-26T23:59:00-04:00"}
DUES = {a: dt.datetime.fromisoformat(t) for a, t in DUES_TEXT.items()}
COURSE = load_course(KIT_LAYOUT)
ASSIGNMENTS = len(KIT_LAYOUT.assignment_ids())  # what min_on_time may reach


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def after_due(assignment: str, **delta) -> dt.datetime:
    return DUES[assignment] + dt.timedelta(**delta)


def term(*attempts: tuple[str, float | None, dt.datetime | None], policy: Policy = DEFAULT_POLICY):
    """assess_term on (assignment, mark, submitted_at) triples; mark None = not handed in."""
    return assess_term([Attempt(a, DUES[a], None if m is None else Decimal(str(m)), t) for a, m, t in attempts],
                       policy)


def finals(t) -> list[str]:
    return [f"{o.final:.2f}" for o in t.outcomes]


# --- days late -------------------------------------------------------------------------

@pytest.mark.parametrize("delta, days", [
    (dt.timedelta(hours=-5), 0),
    (dt.timedelta(0), 0),
    (dt.timedelta(seconds=1), 1),
    (dt.timedelta(microseconds=1), 1),
    (dt.timedelta(hours=24), 1),
    (dt.timedelta(hours=24, seconds=1), 2),
    (dt.timedelta(hours=72), 3),
    (dt.timedelta(hours=72, seconds=1), 4),
])
def test_is_lateness_counted_in_started_days(delta, days):
    assert days_late(DUES[A1] + delta, DUES[A1]) == days


def test_does_a_time_written_in_daylight_time_compare_as_the_same_instant():
    # the mlp deadline is written in daylight time (-04:00); the same instant in -05:00 is 22:59
    assert days_late(at("2027-03-26T22:59:00-05:00"), DUES[A4]) == 0
    assert days_late(at("2027-03-26T22:59:01-05:00"), DUES[A4]) == 1


# --- grace days and penalties ------------------------------------------------------------

def test_is_a_submission_exactly_on_time_free_and_on_time():
    t = term((A1, 95, DUES[A1]))
    [o] = t.outcomes
    assert (o.days_late, o.grace_used, o.penalty_days, o.on_time, finals(t)) == (0, 0, 0, True, ["95.00"])


def test_does_one_second_late_cost_one_grace_day_and_no_marks():
    t = term((A1, 95, after_due(A1, seconds=1)))
    [o] = t.outcomes
    assert (o.days_late, o.grace_used, o.grace_left, o.on_time, finals(t)) == (1, 1, 6, True, ["95.00"])


def test_is_72_hours_late_with_no_grace_left_worth_at_most_70():
    t = term((A1, 100, after_due(A1, days=7)), (A2, 100, after_due(A2, hours=72)))
    assert finals(t) == ["100.00", "70.00"]
    assert [o.grace_used for o in t.outcomes] == [7, 0]
    assert t.outcomes[1].penalty_days == 3 and not t.outcomes[1].on_time


def test_is_72_hours_and_1_second_late_with_no_grace_left_a_zero():
    t = term((A1, 100, after_due(A1, days=7)), (A2, 100, after_due(A2, hours=72, seconds=1)))
    assert finals(t) == ["100.00", "0.00"]


def test_do_grace_days_run_out_mid_term_and_the_last_assignment_pay_a_penalty():
    t = term((A1, 90, after_due(A1, days=2)), (A2, 90, after_due(A2, days=3)),
             (A3, 90, after_due(A3, days=1, hours=12)), (A4, 90, after_due(A4, days=1, hours=1)))
    assert [(o.days_late, o.grace_used, o.grace_left, o.penalty_days) for o in t.outcomes] == [
        (2, 2, 5, 0), (3, 3, 2, 0), (2, 2, 0, 0), (2, 0, 0, 2)]
    assert finals(t) == ["90.00", "90.00", "90.00", "70.00"]
    assert t.grace_used == 7 and t.on_time == 3 and t.meets_requirement


def test_are_grace_days_spent_in_due_order_whatever_order_they_are_given_in():
    t = term((A2, 100, after_due(A2, days=4)), (A1, 100, after_due(A1, days=4)))
    assert [(o.assignment, o.grace_used, o.penalty_days) for o in t.outcomes] == [(A1, 4, 0), (A2, 3, 1)]
    assert finals(t) == ["100.00", "90.00"]


def test_is_a_part_day_of_grace_never_spent():
    t = term((A1, 100, after_due(A1, days=6, hours=1)), (A2, 100, after_due(A2, minutes=1)))
    assert [o.grace_used for o in t.outcomes] == [7, 0] and finals(t) == ["100.00", "90.00"]


def test_are_grace_days_kept_back_from_a_submission_they_cannot_save():
    # 12 days late with 7 left would still be 5 days of penalty: 0 whatever is spent
    t = term((A1, 90, after_due(A1, days=11, hours=1)), (A2, 90, after_due(A2, days=3)))
    assert [(o.grace_used, o.beyond_saving) for o in t.outcomes] == [(0, True), (3, False)]
    assert finals(t) == ["0.00", "90.00"] and t.grace_used == 3


def test_is_a_submission_saved_by_grace_days_exactly_to_3_penalty_days_spent_on():
    t = term((A1, 100, after_due(A1, days=10)))
    [o] = t.outcomes
    assert (o.grace_used, o.penalty_days, o.beyond_saving, finals(t)) == (7, 3, False, ["70.00"])


@pytest.mark.parametrize("penalty, mark, days, expected", [
    ("points", "95", 1, "85.00"),
    ("points", "95", 3, "65.00"),
    ("points", "15", 2, "0.00"),          # never below 0
    ("points", "95", 4, "0.00"),
    ("multiplicative", "95", 1, "85.50"),
    ("multiplicative", "95", 3, "66.50"),
    ("multiplicative", "88.85", 1, "79.97"),   # 79.965 rounds half up, not to even
    ("multiplicative", "95", 4, "0.00"),
    ("cap", "95", 1, "90.00"),
    ("cap", "85", 1, "85.00"),            # under the cap: unchanged
    ("cap", "100", 3, "70.00"),
    ("cap", "60", 3, "60.00"),
    ("cap", "95", 4, "0.00"),
    ("points", "95", 0, "95.00"),
])
def test_does_each_penalty_kind_compute_the_documented_mark(penalty, mark, days, expected):
    policy = Policy(penalty=penalty)
    assert f"{penalised(Decimal(mark), days, policy):.2f}" == expected


def test_does_a_perfect_submission_get_at_most_90_80_70_then_0_under_every_kind():
    for kind in ("points", "multiplicative", "cap"):
        policy = Policy(penalty=kind)
        assert [f"{penalised(Decimal(100), d, policy):.2f}" for d in range(5)] == [
            "100.00", "90.00", "80.00", "70.00", "0.00"], kind


def test_do_the_penalty_rate_and_window_come_from_the_policy():
    policy = Policy(grace_days=0, penalty_per_day=Decimal("2.5"), max_late_days=5)
    t = term((A1, 100, after_due(A1, days=4, hours=1)), policy=policy)
    assert finals(t) == ["87.50"]
    t = term((A1, 100, after_due(A1, days=5, hours=1)), policy=policy)
    assert finals(t) == ["0.00"]


# --- completion requirement ------------------------------------------------------------

def test_do_3_of_4_on_time_pass_the_completion_requirement():
    t = term((A1, 50, DUES[A1]), (A2, 50, DUES[A2]), (A3, 50, DUES[A3]), (A4, 50, after_due(A4, days=30)))
    assert (t.on_time, t.meets_requirement) == (3, True)


def test_do_2_of_4_on_time_fail_the_completion_requirement():
    t = term((A1, 100, after_due(A1, days=20)), (A2, 100, after_due(A2, days=20)),
             (A3, 100, DUES[A3]), (A4, 100, DUES[A4]))
    assert (t.on_time, t.meets_requirement) == (2, False)


def test_does_a_missing_submission_count_as_a_zero_that_is_not_on_time():
    t = term((A1, 100, DUES[A1]), (A2, 100, DUES[A2]), (A3, None, None), (A4, 100, DUES[A4]))
    assert finals(t) == ["100.00", "100.00", "0.00", "100.00"]
    assert (t.on_time, t.meets_requirement, t.grace_used) == (3, True, 0)
    t = term((A1, 100, DUES[A1]), (A2, None, None), (A3, None, None), (A4, 100, DUES[A4]))
    assert (t.on_time, t.meets_requirement) == (2, False)


def test_is_a_late_submission_covered_by_grace_days_on_time_but_one_with_a_penalty_not():
    t = term((A1, 100, after_due(A1, days=7)), (A2, 100, after_due(A2, seconds=1)),
             (A3, 100, DUES[A3]), (A4, 100, DUES[A4]))
    assert [o.on_time for o in t.outcomes] == [True, False, True, True] and t.meets_requirement


# --- explanation lines -----------------------------------------------------------------

def test_is_a_deduction_explained_in_the_documented_form():
    t = term((A1, 100, after_due(A1, days=6, seconds=1)), (A4, 95, after_due(A4, days=1, hours=2)))
    assert explanation_lines("alice", t, DEFAULT_POLICY) == [
        "alice  linear_regression: submitted 7 day(s) late; 7 grace day(s) used (0 left); no penalty: 100.00",
        "alice  mlp: submitted 2 day(s) late; 0 grace day(s) used (0 left); 2 day(s) of penalty: 95.00 -> 75.00",
        "alice  completion requirement not met: 1 of 2 assignment(s) on time (grace days included), "
        "at least 3 needed; late: mlp",
    ]


def test_does_a_student_with_nothing_to_explain_still_get_one_line():
    t = term((A1, 100, DUES[A1]), (A2, 80, DUES[A2]), (A3, 70, DUES[A3]))
    assert explanation_lines("frank", t, DEFAULT_POLICY) == ["frank  no deductions: all 3 assignment(s) on time"]


def test_is_grace_kept_back_explained():
    t = term((A1, 90, after_due(A1, days=11, hours=1)), (A2, 90, DUES[A2]), (A3, 90, DUES[A3]))
    assert explanation_lines("carol", t, DEFAULT_POLICY) == [
        "carol  linear_regression: submitted 12 day(s) late; 0 grace day(s) used (7 left), as even 7 would leave "
        "5 day(s) of penalty, more than the 3 allowed: 90.00 -> 0.00",
        "carol  completion requirement not met: 2 of 3 assignment(s) on time (grace days included), "
        "at least 3 needed; late: linear_regression",
    ]


# --- the policy file -------------------------------------------------------------------

def test_is_the_default_policy_the_lectures_policy():
    assert load_policy(None, ASSIGNMENTS) == Policy(grace_days=7, penalty="points", penalty_per_day=Decimal(10),
                                                    max_late_days=3, min_on_time=3, timezone="America/Toronto")


def test_does_a_policy_file_set_every_key(write):
    path = write("policy.toml", 'grace_days = 5\npenalty = "cap"\npenalty_per_day = 12.5\n'
                                'max_late_days = 2\nmin_on_time = 4\ntimezone = "America/Vancouver"\n')
    assert load_policy(path, ASSIGNMENTS) == Policy(5, "cap", Decimal("12.5"), 2, 4, "America/Vancouver")


def test_is_an_empty_policy_file_the_default(write):
    assert load_policy(write("policy.toml", "# nothing to change\n"), ASSIGNMENTS) == DEFAULT_POLICY


def test_is_an_unknown_policy_key_named_with_its_file_line_and_closest_key(write):
    path = write("policy.toml", "penalty = \"cap\"\ngrace_day = 5\n")
    with pytest.raises(KitError) as info:
        load_policy(path, ASSIGNMENTS)
    assert str(info.value) == (f"{path}:2: unknown key 'grace_day' in the policy file - did you mean 'grace_days'? "
                               "(known keys: grace_days, penalty, penalty_per_day, max_late_days, min_on_time, "
                               "timezone)")


@pytest.mark.parametrize("line, message", [
    ('grace_days = "7"', 'grace_days = "7" is not allowed: it must be a whole number of days, 0 or more'),
    ("grace_days = -1", "grace_days = -1 is not allowed: it must be a whole number of days, 0 or more"),
    ("grace_days = true", "grace_days = true is not allowed: it must be a whole number of days, 0 or more"),
    ("max_late_days = 1.5", "max_late_days = 1.5 is not allowed: it must be a whole number of days, 0 or more"),
    (f"min_on_time = {len(KIT_LAYOUT.assignment_ids()) + 1}",   # one more than there are assignments
     f"min_on_time = {len(KIT_LAYOUT.assignment_ids()) + 1} is not allowed: it must be a whole number from 0 to "
     f"{len(KIT_LAYOUT.assignment_ids())}"),
    ("penalty_per_day = 110", "penalty_per_day = 110 is not allowed: it must be a number of points from 0 to 100"),
    ('penalty = "percent"',
     'penalty = "percent" is not allowed: it must be one of "points", "multiplicative", "cap"'),
    ('timezone = "America/Tornto"', 'timezone = "America/Tornto" is not an IANA time zone name - '
                                    'did you mean "America/Toronto"?'),
    ('timezone = "not a zone"', 'timezone = "not a zone" is not an IANA time zone name such as "America/Toronto"'),
    ("timezone = 5", 'timezone = 5 is not allowed: it must be an IANA time zone name such as "America/Toronto"'),
])
def test_is_a_bad_policy_value_named_with_its_key_and_value(write, line, message):
    path = write("policy.toml", "# policy\n" + line + "\n")
    with pytest.raises(KitError) as info:
        load_policy(path, ASSIGNMENTS)
    assert str(info.value) == f"{path}:2: {message}"


def test_is_a_policy_file_that_is_not_toml_reported(write):
    path = write("policy.toml", "grace_days = \n")
    with pytest.raises(KitError, match=r"policy\.toml: the policy file is not valid TOML: "):
        load_policy(path, ASSIGNMENTS)


def test_is_a_missing_policy_file_reported(tmp_path):
    with pytest.raises(KitError) as info:
        load_policy(tmp_path / "nope.toml", ASSIGNMENTS)
    assert str(info.value) == f"{tmp_path / 'nope.toml'}: policy file not found"


# --- building from files: bad inputs ---------------------------------------------------

def known() -> str:
    """The "(known: ...)" list of messages: every assignment discovered, however many there are."""
    return f"(known: {', '.join(KIT_LAYOUT.assignment_ids())})"


def part_points(assignment: str) -> dict[str, Decimal]:
    return {p.name: Decimal(f"{p.points:g}") for p in load_spec(KIT_LAYOUT, assignment).parts}


def grades_row(assignment: str, student: str, score: str | None = None, max_score: str | None = None,
               parts: list[str] | None = None) -> str:
    """A row of the assignment's grades.csv as grade writes it: ``score`` (default: full marks) spread over
    the parts in order, unless ``parts`` gives their cells."""
    points = part_points(assignment)
    total = sum(points.values())
    if parts is None:
        left, parts = Decimal(score) if score is not None else total, []
        for most in points.values():
            take = min(most, max(left, Decimal(0)))
            parts.append(f"{take:g}")
            left -= take
    return ",".join([student, score if score is not None else f"{total:g}",
                     max_score if max_score is not None else f"{total:g}", *parts, "graded"])


def grades_file(assignment: str, *rows: str) -> str:
    """The assignment's grades.csv: its real header, then each row of grades_row's or as given."""
    return ",".join(["submission", "score", "max_score", *part_points(assignment), "status"]) + "\n" + \
        "".join(row + "\n" for row in rows)


class Kit:
    """Input files in a temporary folder, and build_gradebook over them with the real deadlines."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.grades = {A1: grades_file(A1, grades_row(A1, "alice"), grades_row(A1, "bob", "8.5"))}
        self.times = ("student,assignment,submitted_at\n"
                      "alice,linear_regression,2027-02-05T20:00:00-05:00\n"
                      "bob,linear_regression,2027-02-06T20:00:00-05:00\n")
        self.roster: str | None = None
        self.policy: str | None = None

    def file(self, name: str, text: str) -> Path:
        path = self.folder / name
        path.write_text(text)
        return path

    @property
    def times_path(self) -> Path:
        return self.folder / "times.csv"

    def build(self):
        grades = {a: self.file(f"{a}.csv", text) for a, text in self.grades.items()}
        times = self.file("times.csv", self.times)
        roster = self.file("roster.csv", self.roster) if self.roster is not None else None
        policy = self.file("policy.toml", self.policy) if self.policy is not None else None
        return build_gradebook(COURSE, GradebookInputs(grades, self.folder / "out" / "gradebook.csv", times, policy,
                                                       roster, dues=DUES))

    def error(self) -> str:
        with pytest.raises(KitError) as info:
            self.build()
        assert not (self.folder / "out").exists(), "nothing is written when an input is bad"
        return str(info.value)


@pytest.fixture
def kit(tmp_path) -> Kit:
    return Kit(tmp_path)


def test_does_a_small_valid_term_build(kit):
    summary = kit.build()
    assert summary.gradebook.read_text() == (
        "student,linear_regression,grace_days_used,meets_completion_requirement\n"
        "alice,100.00,0,no\nbob,50.00,1,no\n")
    assert summary.explanations == kit.folder / "out" / "gradebook.explanations.txt"
    assert (summary.students, summary.assignments, summary.meeting_requirement) == (2, (A1,), 0)
    assert summary.warnings == ("the gradebook has 1 assignment(s), fewer than min_on_time = 3: "
                                "no student can meet the completion requirement yet",)


def test_is_an_unknown_student_in_the_times_named_with_file_and_line(kit):
    kit.times += "zoe,linear_regression,2027-02-05T20:00:00-05:00\n"
    assert kit.error() == (f"{kit.times_path}:4: unknown student 'zoe': "
                           "in none of the grades files and no roster was given")


def test_is_a_student_missing_from_the_roster_unknown(kit):
    kit.roster = "student\nalice\nbob\n"
    kit.times += "zoe,linear_regression,2027-02-05T20:00:00-05:00\n"
    assert kit.error() == f"{kit.times_path}:4: unknown student 'zoe': not in the roster {kit.folder / 'roster.csv'}"


def test_is_a_graded_student_missing_from_the_roster_unknown(kit):
    kit.roster = "student\nalice\n"
    assert kit.error() == (f"{kit.folder / 'linear_regression.csv'}:3: unknown student 'bob': "
                           f"not in the roster {kit.folder / 'roster.csv'}")


def test_is_an_unknown_assignment_in_the_times_named_with_the_closest_id(kit):
    kit.times += "alice,mpl,2027-03-20T20:00:00-04:00\n"
    assert kit.error() == f"{kit.times_path}:4: unknown assignment 'mpl' - did you mean 'mlp'? {known()}"


def test_is_a_blank_time_reported(kit):
    kit.times = kit.times.replace("2027-02-06T20:00:00-05:00", " ")
    assert kit.error() == (f"{kit.times_path}:3: missing submitted_at for student 'bob' and "
                           "assignment 'linear_regression'")


def test_is_a_time_without_an_offset_reported_with_how_to_write_it(kit):
    kit.times = kit.times.replace("2027-02-06T20:00:00-05:00", "2027-02-06T20:00:00")
    assert kit.error() == (f"{kit.times_path}:3: submitted_at '2027-02-06T20:00:00' has no UTC offset; "
                           "a time in America/Toronto is written like 2027-02-06T20:00:00-05:00")


def test_is_a_time_that_is_not_iso_8601_reported(kit):
    kit.times = kit.times.replace("2027-02-06T20:00:00-05:00", "Feb 6 2027 8pm")
    assert kit.error() == (f"{kit.times_path}:3: submitted_at 'Feb 6 2027 8pm' is not an ISO 8601 date-time "
                           "such as 2027-02-05T23:59:00-05:00")


def test_is_a_utc_time_in_another_zone(kit):
    kit.times = kit.times.replace("2027-02-06T20:00:00-05:00", "2027-02-07T01:00:00+00:00")
    assert kit.error() == (f"{kit.times_path}:3: submitted_at '2027-02-07T01:00:00+00:00' is in another zone: "
                           "the course's zone America/Toronto was at UTC-05:00 at that instant, so write it as "
                           "2027-02-06T20:00:00-05:00")


def test_is_a_standard_time_offset_after_the_switch_to_daylight_time_in_another_zone(kit):
    kit.grades[A4] = grades_file(A4, grades_row(A4, "alice"))
    kit.times += "alice,mlp,2027-03-26T23:59:00-05:00\n"
    assert kit.error() == (f"{kit.times_path}:4: submitted_at '2027-03-26T23:59:00-05:00' is in another zone: "
                           "the course's zone America/Toronto was at UTC-04:00 at that instant, so write it as "
                           "2027-03-27T00:59:00-04:00")


def test_is_a_daylight_time_offset_before_the_switch_in_another_zone(kit):
    kit.times = kit.times.replace("2027-02-06T20:00:00-05:00", "2027-02-06T21:00:00-04:00")
    with pytest.raises(KitError, match="is in another zone: the course's zone America/Toronto was at UTC-05:00"):
        kit.build()


def test_is_the_zone_the_policys(kit):
    kit.policy = 'timezone = "Europe/Paris"\n'
    assert "Europe/Paris was at UTC+01:00" in kit.error()


def test_is_a_duplicate_time_row_named_with_both_lines(kit):
    kit.times += "alice,linear_regression,2027-02-05T21:00:00-05:00\n"
    assert kit.error() == (f"{kit.times_path}:4: second row for student 'alice' and assignment "
                           "'linear_regression' (the first is on line 2)")


def test_are_missing_columns_named(kit):
    kit.times = kit.times.replace("submitted_at", "time", 1)
    assert kit.error() == (f"{kit.times_path}:1: missing column(s) submitted_at: the header is "
                           "student,assignment,time but a submission-times file needs student,assignment,submitted_at")


def test_is_an_empty_times_file_reported(kit):
    kit.times = ""
    assert kit.error() == (f"{kit.times_path}:1: the submission-times file is empty; its first line should be "
                           "the header student,assignment,submitted_at")


def test_is_a_graded_student_without_a_time_a_missing_time(kit):
    kit.times = kit.times.splitlines(keepends=True)[0] + kit.times.splitlines(keepends=True)[1]
    assert kit.error() == (f"{kit.times_path}: missing time: student 'bob' has a row for 'linear_regression' in "
                           f"{kit.folder / 'linear_regression.csv'} (line 3) but no submitted_at row here")


def test_is_a_time_for_an_ungraded_submission_reported(kit):
    kit.grades[A2] = grades_file(A2, grades_row(A2, "alice"))
    kit.times += ("alice,logistic_regression,2027-02-19T20:00:00-05:00\n"
                  "bob,logistic_regression,2027-02-19T20:00:00-05:00\n")
    assert kit.error() == (f"{kit.times_path}:5: student 'bob' has a submission time for 'logistic_regression' "
                           f"but no row in {kit.folder / 'logistic_regression.csv'}; grade that submission or "
                           "remove this row")


def test_are_times_for_assignments_without_grades_checked_but_not_used(kit):
    kit.times += "alice,mlp,2027-03-26T20:00:00-04:00\n"
    summary = kit.build()
    assert summary.assignments == (A1,)
    assert f"{kit.times_path}: rows for mlp were checked but not used (no --grades file for them)" in summary.warnings


@pytest.mark.parametrize("row, message", [
    (("carol", "ten"), "score 'ten' of submission 'carol' is not a number"),
    (("carol", "nan"), "score 'nan' of submission 'carol' is not a number"),
    (("carol", "0", "0"), "max_score '0' of submission 'carol' must be more than 0"),
    (("carol", "18"), "score '18' of submission 'carol' is outside 0 to its max_score '17'"),
    (("alice",), "second row for submission 'alice' (the first is on line 2)"),
    (("",), "the submission column is blank"),
])
def test_is_a_bad_grades_row_named_with_file_line_and_value(kit, row, message):
    student, *numbers = row
    kit.grades[A1] += grades_row(A1, student, *numbers, parts=["0"] * 6) + "\n"
    assert kit.error() == f"{kit.folder / 'linear_regression.csv'}:4: {message}"


def test_is_a_grades_file_without_max_score_reported(kit):
    kit.grades[A1] = "submission,score\nalice,3\n"
    assert kit.error() == (f"{kit.folder / 'linear_regression.csv'}:1: missing column(s) max_score: the header is "
                           "submission,score but a grades file needs submission,score,max_score")


def test_is_a_missing_grades_file_reported(kit, tmp_path):
    with pytest.raises(KitError) as info:
        build_gradebook(COURSE, GradebookInputs({A1: tmp_path / "nope.csv"}, tmp_path / "out.csv",
                                                kit.file("times.csv", kit.times), dues=DUES))
    assert str(info.value) == f"{tmp_path / 'nope.csv'}: grades file not found"


def test_is_a_roster_listing_a_student_twice_reported(kit):
    kit.roster = "student,name\nalice,A\nbob,B\nalice,A2\n"
    assert kit.error() == f"{kit.folder / 'roster.csv'}:4: student 'alice' is listed twice (first on line 2)"


def test_is_an_unknown_assignment_in_the_grades_options_reported(kit, tmp_path):
    with pytest.raises(KitError) as info:
        build_gradebook(COURSE, GradebookInputs({"softmax": tmp_path / "g.csv"}, tmp_path / "o.csv", tmp_path / "t.csv",
                                                dues=DUES))
    assert str(info.value) == f"unknown assignment 'softmax' in --grades - did you mean 'softmax_regression'? {known()}"


def test_are_grades_options_parsed_and_checked():
    assert parse_grades_options(["mlp=out/grades.csv", " linear_regression = a=b.csv"]) == {
        "mlp": Path("out/grades.csv"), "linear_regression": Path("a=b.csv")}
    with pytest.raises(KitError) as info:
        parse_grades_options(["out/grades.csv"])
    assert str(info.value) == ("--grades 'out/grades.csv' should be ASSIGNMENT=PATH, "
                               "e.g. --grades mlp=out/mlp/grades.csv")
    with pytest.raises(KitError, match="--grades names 'mlp' twice"):
        parse_grades_options(["mlp=a.csv", "mlp=b.csv"])


def test_does_a_roster_add_students_with_no_submission(kit):
    kit.roster = "student\nalice\nbob\nerin\n"
    text = kit.build().gradebook.read_text()
    assert text.splitlines()[-1] == "erin,0.00,0,no"


# --- each grades file against its assignment's spec.toml -----------------------------------

def test_is_another_assignments_grades_file_refused_with_whose_it_looks_like(kit):
    swapped = EXAMPLES / "gradebook" / "grades" / "logistic_regression.csv"
    kit.grades[A1] = swapped.read_text()
    assert kit.error() == (
        f"{kit.folder / 'linear_regression.csv'}:1: the part columns are sigmoid, logistic_predict, "
        "binary_cross_entropy, logistic_gradients, squared_error_logistic_gradients, fit_logistic_regression but "
        "linear_regression's parts in assignments/linear_regression/spec.toml are predict, squared_error_cost, "
        "cost_gradients, gradient_descent, fit_direct, polynomial_features - this looks like logistic_regression's "
        f"grades file: give it as --grades logistic_regression={kit.folder / 'linear_regression.csv'}")


def test_does_the_command_refuse_a_swapped_grades_file_in_one_line(tmp_path):
    example = EXAMPLES / "gradebook"
    out = tmp_path / "gradebook.csv"
    proc = subprocess.run([sys.executable, "-m", "autograder", "gradebook",
                           "--grades", f"{A1}={example / 'grades' / 'logistic_regression.csv'}",
                           "--times", str(example / "times.csv"), "--roster", str(example / "roster.csv"),
                           "--out", str(out)], capture_output=True, text=True, cwd=KIT_LAYOUT.root, timeout=120)
    assert proc.returncode == 2 and not out.exists()
    assert len(proc.stderr.splitlines()) == 1
    assert proc.stderr.startswith(f"error: {example / 'grades' / 'logistic_regression.csv'}:1: the part columns are ")
    assert "this looks like logistic_regression's grades file" in proc.stderr


def test_are_part_columns_of_no_assignment_named_with_both_lists(kit):
    kit.grades[A1] = ("submission,score,max_score,predict,squared_error_cost,cost_gradient,gradient_descent,"
                      "fit_direct,status\nalice,17,17,2,2,4,4,3,graded\n")
    assert kit.error() == (
        f"{kit.folder / 'linear_regression.csv'}:1: the part columns are predict, squared_error_cost, cost_gradient, "
        "gradient_descent, fit_direct but linear_regression's parts in assignments/linear_regression/spec.toml are "
        "predict, squared_error_cost, cost_gradients, gradient_descent, fit_direct, polynomial_features; missing: "
        "cost_gradients, polynomial_features; not parts of linear_regression: cost_gradient - grade it again with "
        "this spec, or give the grades file of this assignment")


def test_is_a_max_score_other_than_the_specs_total_refused(kit):
    kit.grades[A1] += grades_row(A1, "carol", "10", "20") + "\n"
    assert kit.error() == (f"{kit.folder / 'linear_regression.csv'}:4: max_score '20' of submission 'carol' is not "
                           "the total of linear_regression's parts in assignments/linear_regression/spec.toml (17): "
                           "graded with another spec? grade it again")


@pytest.mark.parametrize("cell, message", [
    ("3", "column 'predict': '3' of submission 'carol' is outside 0 to the part's 2 point(s) in "
          "assignments/linear_regression/spec.toml"),
    ("-1", "column 'predict': '-1' of submission 'carol' is outside 0 to the part's 2 point(s) in "
           "assignments/linear_regression/spec.toml"),
    ("", "column 'predict': '' of submission 'carol' is not a number"),
])
def test_is_a_part_score_outside_its_points_named_with_its_column(kit, cell, message):
    kit.grades[A1] += grades_row(A1, "carol", "2", parts=[cell, "0", "0", "0", "0", "2"]) + "\n"
    assert kit.error() == f"{kit.folder / 'linear_regression.csv'}:4: {message}"


def test_are_part_columns_in_another_order_accepted(kit):
    parts = list(part_points(A1))
    kit.grades[A1] = ",".join(["submission", "status", *reversed(parts), "max_score", "score"]) + "\n" + \
        "alice,graded,2,3,4,4,2,2,17,17\n" + "bob,graded,0,0,0.5,4,2,2,17,8.5\n"
    assert kit.build().gradebook.read_text().splitlines()[1:] == ["alice,100.00,0,no", "bob,50.00,1,no"]


def test_is_a_grades_csv_as_grade_writes_it_accepted_for_every_assignment(kit):
    # grades_csv is the one writer of a run, an --only or --parts rerun and a merge of shards: every part, always
    for a in TERM:
        spec = load_spec(KIT_LAYOUT, a)
        full = ScoreRow("alice", tuple(PartScore(p.name, float(p.points), float(p.points)) for p in spec.parts))
        failed = ScoreRow("bob", tuple(PartScore(p.name, float(p.points), 0.0) for p in spec.parts), "no file")
        kit.grades[a] = grades_csv([full, failed], [p.name for p in spec.parts])
        kit.times += "".join(f"{s},{a},{DUES_TEXT[a]}\n" for s in ("alice", "bob") if a != A1)
    summary = kit.build()
    assert summary.gradebook.read_text().splitlines()[1:] == ["alice,100.00,100.00,100.00,100.00,0,yes",
                                                              "bob,0.00,0.00,0.00,0.00,1,yes"]


# --- the worked example and the deadlines ----------------------------------------------

def test_are_the_deadlines_used_here_the_ones_in_the_specs():
    for assignment, text in DUES_TEXT.items():
        with (KIT_LAYOUT.assignment_dir(assignment) / "spec.toml").open("rb") as f:
            assert tomllib.load(f)["due"] == text, assignment


def test_do_the_deadlines_come_from_the_assignment_spec_by_default(kit, monkeypatch):
    from types import SimpleNamespace

    import autograder.gradebook.build as build
    asked = []
    monkeypatch.setattr(build, "load_spec",
                        lambda layout, a: asked.append(a) or SimpleNamespace(due=at("2027-02-06T20:00:00-05:00")))
    grades = {A1: kit.file("linear_regression.csv", kit.grades[A1])}
    summary = build_gradebook(COURSE, GradebookInputs(grades, kit.folder / "gradebook.csv",
                                                      kit.file("times.csv", kit.times)))
    assert asked == [A1]
    assert summary.gradebook.read_text().splitlines()[1:] == ["alice,100.00,0,no", "bob,50.00,0,no"]


def example_build(out: Path):
    example = EXAMPLES / "gradebook"
    grades = {a: example / "grades" / f"{a}.csv" for a in TERM}
    return build_gradebook(COURSE, GradebookInputs(grades, out, example / "times.csv", example / "policy.toml",
                                                   example / "roster.csv", dues=DUES))


def test_is_the_hand_worked_example_reproduced_exactly(tmp_path):
    example = EXAMPLES / "gradebook"
    summary = example_build(tmp_path / "gradebook.csv")
    assert summary.gradebook.read_text() == (example / "gradebook.csv").read_text()
    assert summary.explanations.read_text() == (example / "gradebook.explanations.txt").read_text()
    assert (summary.students, summary.assignments, summary.meeting_requirement) == (6, TERM, 3)


def test_is_a_deadline_written_in_standard_time_after_the_switch_warned_about(kit):
    kit.grades[A4] = grades_file(A4, grades_row(A4, "alice"))
    kit.times += "alice,mlp,2027-03-20T10:00:00-04:00\n"
    grades = {a: kit.file(f"{a}.csv", text) for a, text in kit.grades.items()}
    dues = {A1: DUES[A1], A4: at("2027-03-26T23:59:00-05:00")}  # as assignments/mlp/spec.toml has it
    summary = build_gradebook(COURSE, GradebookInputs(grades, kit.folder / "g.csv", kit.file("times.csv", kit.times),
                                                      dues=dues))
    assert summary.warnings[0] == (
        'assignments/mlp/spec.toml: due 2027-03-26T23:59:00-05:00 is 2027-03-27T00:59:00-04:00 in America/Toronto; '
        'if 2027-03-26 23:59 there was meant, write due = "2027-03-26T23:59:00-04:00"')
    dues[A4] = at("2027-03-26T23:59:00-04:00")
    summary = build_gradebook(COURSE, GradebookInputs(grades, kit.folder / "g.csv", kit.times_path, dues=dues))
    assert not any("spec.toml" in w for w in summary.warnings)


def test_is_the_output_the_same_bytes_every_time(tmp_path):
    first = example_build(tmp_path / "a" / "gradebook.csv")
    second = example_build(tmp_path / "b" / "gradebook.csv")
    assert first.gradebook.read_bytes() == second.gradebook.read_bytes()
    assert first.explanations.read_bytes() == second.explanations.read_bytes()


def test_do_explanations_go_next_to_the_csv():
    assert explanations_path(Path("out/term.csv")) == Path("out/term.explanations.txt")
    assert explanations_path(Path("out/term")) == Path("out/term.explanations.txt")


def test_is_the_example_policy_file_the_default():
    assert load_policy(EXAMPLES / "gradebook" / "policy.toml", ASSIGNMENTS) == DEFAULT_POLICY


def test_does_the_gradebook_run_without_importing_torch():
    # The gradebook reads CSVs and the specs' due dates: a term's grades in well under a second, not ~2 s of torch.
    code = ("import sys; import autograder.cli, autograder.course, autograder.gradebook.build; "
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=KIT_LAYOUT.root)
    assert out.stdout.strip() == "False"
