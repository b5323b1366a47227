"""When hidden details are released (one function for Gradescope and `grade --details`), and the daily
feedback budget: times from spec.toml, course.toml and Gradescope's submission_metadata.json, unknown
dates failing closed, and results.json with the hidden cases' counts withheld."""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from pathlib import Path
from types import SimpleNamespace

import pytest

from autograder import cli
from autograder.checks import rules
from autograder.checks.verdict import CaseVerdict, Finding, PartVerdict, Status, zero_part
from autograder.course import load_course
from autograder.disclosure import (DAY, DEFAULT_FEEDBACK, Budget, Feedback, Metadata, Release, daily_budget,
                                   hidden_details_release, read_feedback, require_released, when)
from autograder.errors import KitError, SpecError
from autograder.gradebook import DEFAULT_POLICY, Policy
from autograder.gradescope.run import Shown, what_is_shown
from autograder.grading.grade import SubmissionResult
from autograder.grading.results import HIDDEN_CASES_SUFFIX, results_json
from autograder.layout import KIT_LAYOUT
from autograder.spec import load_spec

TORONTO = zoneinfo.ZoneInfo("America/Toronto")
DUE = "2027-02-05T23:59:00.000000-05:00"
T = dt.datetime.fromisoformat


def spec(due: str = DUE, after: str | None = None) -> SimpleNamespace:
    return SimpleNamespace(due=T(due), hidden_details_after=T(after) if after else None)


def meta(tmp_path: Path, data: object, name: str = "submission_metadata.json") -> Metadata:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return Metadata.read(path)


def gradescope(due: str | None = DUE, late: str | None = None, users: list | None = None, **extra) -> dict:
    assignment = {"due_date": due, "late_due_date": late, "title": "Linear regression", "total_points": "17.0"}
    return {"id": 1, "created_at": "2027-02-01T12:00:00.000000-05:00", "assignment": assignment,
            "users": users if users is not None else [{"email": "s@example.com", "id": 7, "name": "S. Tudent"}],
            "previous_submissions": [], **extra}


def user(**dates: str | None) -> dict:
    return {"email": "s@example.com", "id": 7, "name": "S. Tudent", "assignment": {"release_date": None, **dates}}


# ---------------------------------------------------------------- when hidden details are released


def test_is_the_local_release_the_due_date_plus_grace_and_late_days():
    release = hidden_details_release(spec(), policy=DEFAULT_POLICY)
    assert release.at == T(DUE) + 10 * DAY
    assert release.why.startswith("the due date + 7 grace days + 3 late days of course.toml's [late_policy]")
    assert not release.shown(T(DUE) + 10 * DAY)  # the last accepted moment itself: still closed
    assert release.shown(T(DUE) + 10 * DAY + dt.timedelta(microseconds=1))
    strict = hidden_details_release(spec(), policy=Policy(grace_days=0, max_late_days=0))
    assert strict.at == T(DUE) and strict.why.startswith("the due date + 0 grace days + 0 late days")
    assert hidden_details_release(spec(), policy=Policy(grace_days=1, max_late_days=1)).why.startswith(
        "the due date + 1 grace day + 1 late day")


def test_is_an_unknown_policy_never_released():
    release = hidden_details_release(spec("2000-01-01T00:00:00+00:00"))
    assert release.at is None and not release.shown()


def test_does_an_explicit_time_win_everywhere(tmp_path):
    explicit = spec(after="2027-03-01T00:00:00-05:00")
    for release in (hidden_details_release(explicit, policy=DEFAULT_POLICY),
                    hidden_details_release(explicit, metadata=meta(tmp_path, gradescope(late="2027-05-01T00:00:00Z"))),
                    hidden_details_release(explicit, metadata=Metadata.read(tmp_path / "absent.json"))):
        assert release == Release(T("2027-03-01T00:00:00-05:00"), "spec.toml's hidden_details_after")


@pytest.mark.parametrize("data, at, why", [
    (gradescope(), DUE, "Gradescope's due date"),
    (gradescope(late="2027-02-08T23:59:00.000000-05:00"), "2027-02-08T23:59:00-05:00", "Gradescope's late due date"),
    (gradescope(late="2027-02-08T23:59:00-05:00", users=[user(due_date="2027-02-10T23:59:00-05:00")]),
     "2027-02-10T23:59:00-05:00", "an extension's due date"),
    (gradescope(late="2027-02-08T23:59:00-05:00", users=[user(due_date="2027-02-09T00:00:00-05:00",
                                                              late_due_date="2027-02-12T00:00:00-05:00")]),
     "2027-02-12T00:00:00-05:00", "an extension's late due date"),
    (gradescope(late="2027-02-08T23:59:00-05:00", users=[user(due_date="2027-02-06T23:59:00-05:00", late_due_date=None)]),
     "2027-02-08T23:59:00-05:00", "Gradescope's late due date"),  # an extension earlier than the late due date
    (gradescope(users=[user(), {"email": "t@example.com", "assignment": {"due_date": "2027-02-07T10:00:00Z"}}]),
     "2027-02-07T10:00:00+00:00", "an extension's due date"),  # a group: the latest of its users
    # Time zones: instants compared, not wall clocks. 04:30Z is after 04:00Z.
    (gradescope(due="2027-02-06T04:00:00Z", late="2027-02-05T23:30:00-05:00"), "2027-02-06T04:30:00+00:00",
     "Gradescope's late due date"),
    (gradescope(due="2027-02-06T05:00:00+01:00", late="2027-02-05T23:30:00-05:00"), "2027-02-06T04:30:00+00:00",
     "Gradescope's late due date"),
])
def test_is_gradescopes_release_the_last_moment_it_accepts_a_submission(tmp_path, data, at, why):
    release = hidden_details_release(spec(), metadata=meta(tmp_path, data))
    assert release.at == T(at) and release.why == f"{why}: the last moment Gradescope accepts a submission"
    assert not release.shown(T(at)) and release.shown(T(at) + dt.timedelta(seconds=1))


def test_is_the_issue_fixed_details_closed_while_the_late_window_is_open(tmp_path):
    """The reported case: the due date is past but Gradescope's late due date (or an extension) is not."""
    now = T("2027-02-07T12:00:00-05:00")
    late = hidden_details_release(spec(), metadata=meta(tmp_path, gradescope(late="2027-02-08T23:59:00-05:00")))
    extended = hidden_details_release(spec(), metadata=meta(tmp_path, gradescope(
        late="2027-02-06T23:59:00-05:00", users=[user(late_due_date="2027-02-09T23:59:00-05:00")])))
    assert not late.shown(now) and not extended.shown(now)
    assert hidden_details_release(spec(), metadata=meta(tmp_path, gradescope())).shown(now)  # no late window


@pytest.mark.parametrize("data, why", [
    (None, "there is no submission_metadata.json"),
    ("{", "submission_metadata.json cannot be read (JSONDecodeError)"),
    ("[1, 2]", "submission_metadata.json is not a JSON object"),
    ("[" * 100_000 + "]" * 100_000, "submission_metadata.json cannot be read (RecursionError)"),
    ({"created_at": DUE}, "submission_metadata.json has no valid assignment.due_date"),
    (gradescope(due=None), "submission_metadata.json has no valid assignment.due_date"),
    (gradescope(due="Feb 5"), "submission_metadata.json has no valid assignment.due_date"),
    (gradescope(due="2027-02-05T23:59:00"), "submission_metadata.json has no valid assignment.due_date"),  # no offset
    (gradescope(due=1801000000), "submission_metadata.json has no valid assignment.due_date"),
    (gradescope(late="tomorrow"),
     "submission_metadata.json: assignment.late_due_date is not a date-time with its UTC offset"),
    (gradescope(users={"email": "s@example.com"}), "submission_metadata.json has users that are not a list"),
    (gradescope(users=[user(due_date="2027-02-10")]),
     "submission_metadata.json: users[0].assignment.due_date is not a date-time with its UTC offset"),
    (gradescope(users=[user(), {"assignment": "2027-02-10T00:00:00Z"}]),
     "submission_metadata.json: users[1].assignment is not an object"),
    (gradescope(users=[user(), "t@example.com"]), "submission_metadata.json: users[1] is not an object"),
])
def test_does_an_unknown_or_malformed_date_fail_closed(tmp_path, data, why):
    """A date that is there but cannot be read could have been the latest: no details, whatever the time."""
    metadata = Metadata.read(tmp_path / "submission_metadata.json") if data is None else meta(tmp_path, data)
    release = hidden_details_release(spec(), metadata=metadata)
    assert release == Release(None, why)
    assert not release.shown(dt.datetime(2999, 1, 1, tzinfo=dt.timezone.utc))


def test_is_the_release_time_said_in_the_courses_zone_across_daylight_time():
    """Ten days are 240 hours, as lateness.py counts them: across the change to daylight time the clock
    reads an hour later in Toronto."""
    release = hidden_details_release(spec("2027-03-10T23:59:00-05:00"), policy=DEFAULT_POLICY)
    assert release.at == T("2027-03-21T04:59:00+00:00")
    assert when(release.at, TORONTO) == "2027-03-21 00:59 UTC-04:00"
    assert when(T("2027-02-05T23:59:00-05:00")) == "2027-02-05 23:59 UTC-05:00"
    assert when(T("2027-02-05T23:59:00.5-05:00")) == "2027-02-06 00:00 UTC-05:00"  # rounded up: 'after' stays true
    assert when(T("2027-02-05T10:00:00+05:30")) == "2027-02-05 10:00 UTC+05:30"
    assert when(T("2027-02-05T10:00:00+00:00"), dt.timezone(-dt.timedelta(hours=3, minutes=30))) == \
        "2027-02-05 06:30 UTC-03:30"


def test_does_grade_details_refuse_before_the_release_saying_when_and_how_to_override():
    release = hidden_details_release(spec(), policy=DEFAULT_POLICY)
    with pytest.raises(KitError) as info:
        require_released(release, "linear_regression", TORONTO, now=T("2027-02-10T00:00:00-05:00"))
    assert str(info.value) == (
        "the hidden cases' details of linear_regression are shown only after 2027-02-15 23:59 UTC-05:00 (the due "
        "date + 7 grace days + 3 late days of course.toml's [late_policy]: the last moment a submission still earns "
        "marks); until then a student may still submit: grade again then, or pass --details-now to show them now")
    assert "\n" not in str(info.value)
    require_released(release, "linear_regression", TORONTO, now=T("2027-02-16T00:00:00-05:00"))
    with pytest.raises(KitError, match=r"when submissions stop is unknown \(x\); pass --details-now"):
        require_released(Release(None, "x"), "linear_regression")


def test_does_the_cli_refuse_details_before_the_release_and_take_details_now(toy_course, toy_layout, monkeypatch,
                                                                              capsys):
    monkeypatch.chdir(toy_course)
    sub = toy_course / "s.py"
    sub.write_text("")
    assert cli.main(["grade", "toy", str(sub), "--out", str(toy_course / "out"), "--details", "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: the hidden cases' details of toy are shown only after 2027-02-08 23:59 UTC-05:00 "
                          "(the due date + 7 grace days + 3 late days") and err.endswith("--details-now to show them now")
    assert "\n" not in err and not (toy_course / "out").exists()
    spec_file = toy_course / "assignments" / "toy" / "spec.toml"
    spec_file.write_text(spec_file.read_text().replace('due = "2027-01-29T23:59:00-05:00"',
                                                       'due = "2020-01-29T23:59:00-05:00"'))
    cli._require_details_released(load_course(toy_layout), "toy")  # long past: no complaint
    spec_file.write_text(spec_file.read_text().replace('due = "2020-01-29T23:59:00-05:00"',
                                                       'due = "2020-01-29T23:59:00-05:00"\n'
                                                       'hidden_details_after = "2999-01-01T00:00:00Z"'))
    with pytest.raises(KitError, match=r"shown only after 2998-12-31 19:00 UTC-05:00 \(spec.toml's hidden_details_after"):
        cli._require_details_released(load_course(toy_layout), "toy")


# ---------------------------------------------------------------- spec.toml's hidden_details_after


def edit_spec(course: Path, old: str, new: str) -> None:
    path = course / "assignments" / "toy" / "spec.toml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


@pytest.mark.parametrize("written, at", [
    ('hidden_details_after = "2027-02-20T00:00:00-05:00"', "2027-02-20T00:00:00-05:00"),
    ("hidden_details_after = 2027-02-20T05:00:00Z", "2027-02-20T05:00:00+00:00"),  # a TOML date-time
])
def test_is_hidden_details_after_read_from_spec_toml(toy_course, toy_layout, written, at):
    assert load_spec(toy_layout, "toy").hidden_details_after is None
    edit_spec(toy_course, "time_limit_s = 5", f"{written}\ntime_limit_s = 5")
    loaded = load_spec(toy_layout, "toy")
    assert loaded.hidden_details_after == T(at)
    assert hidden_details_release(loaded, policy=DEFAULT_POLICY).at == T(at)


@pytest.mark.parametrize("written, message", [
    ('hidden_details_after = "after the exam"',
     "assignments/toy/spec.toml:4: hidden_details_after 'after the exam' is not an ISO 8601 date-time"),
    ('hidden_details_after = "2027-02-20T00:00:00"',
     "assignments/toy/spec.toml:4: hidden_details_after must be a date-time with a UTC offset, "
     "e.g. 2027-01-29T23:59:00-05:00"),
    ("hidden_details_after = 2027-02-20",
     "assignments/toy/spec.toml:4: hidden_details_after must be a date-time with a UTC offset, "
     "e.g. 2027-01-29T23:59:00-05:00"),
    ('hidden_details_after = "2027-01-20T00:00:00-05:00"',
     "assignments/toy/spec.toml:4: hidden_details_after = 2027-01-20T00:00:00-05:00 is before the due date: hidden "
     "cases' details would reach students who can still submit; write a later date-time or leave the key out "
     "(then: after the last accepted submission)"),
    ('hidden_detail_after = "2027-02-20T00:00:00-05:00"',
     "assignments/toy/spec.toml:4: unknown key 'hidden_detail_after' - did you mean 'hidden_details_after'? "
     "(spec.toml's keys: due, hidden_details_after, id, parts, questions, time_limit_s, title, tolerances)"),
])
def test_is_a_bad_hidden_details_after_one_line_naming_file_line_and_key(toy_course, toy_layout, written, message):
    edit_spec(toy_course, "time_limit_s = 5", f"{written}\ntime_limit_s = 5")
    with pytest.raises(SpecError) as info:
        load_spec(toy_layout, "toy")
    assert str(info.value) == message


# ---------------------------------------------------------------- course.toml's [feedback]


def test_is_the_feedback_table_read_alone_where_the_rest_of_the_course_is_not_needed(tmp_path):
    assert read_feedback(tmp_path / "course.toml") == DEFAULT_FEEDBACK == Feedback(None)  # a zip without one
    (tmp_path / "course.toml").write_text('timezone = "Mars/Olympus"\n\n[feedback]\ndaily_submissions = 4\n')
    assert read_feedback(tmp_path / "course.toml") == Feedback(4)
    (tmp_path / "course.toml").write_text('[feedback]\ndaily_submissions = "4"\n')
    with pytest.raises(KitError, match=r'^course.toml:2: daily_submissions = "4" is not allowed'):
        read_feedback(tmp_path / "course.toml")


def test_is_the_bundled_course_without_a_budget():
    from conftest import ROOT
    assert load_course(KIT_LAYOUT).feedback == DEFAULT_FEEDBACK
    assert "# [feedback]" in (ROOT / "course.toml").read_text()  # there, commented, to be found


# ---------------------------------------------------------------- the daily budget


CREATED = "2027-02-03T12:00:00.000000-05:00"


def submissions(*times: str, created: str = CREATED) -> dict:
    return {**gradescope(), "created_at": created,
            "previous_submissions": [{"submission_time": t, "score": 1.0, "results": {}} for t in times]}


def test_are_the_submissions_of_the_last_24_hours_counted_from_created_at(tmp_path):
    times = ("2027-02-02T12:00:00-05:00",        # exactly 24 h before: counted
             "2027-02-02T11:59:59-05:00",        # a second more: not
             "2027-02-03T09:00:00.123456-05:00",
             "2027-02-03T17:30:00+01:00",        # 11:30 in Toronto: counted, whatever its offset
             "2027-02-03T12:00:01-05:00",        # after this one (a rerun of an older submission): not
             "2027-01-20T10:00:00-05:00")
    budget = daily_budget(meta(tmp_path, submissions(*times)), 5)
    assert budget == Budget(5, 4) and not budget.spent
    assert budget.message() == "submissions in the last 24 h: 4 of 5 with hidden-case results"
    assert daily_budget(meta(tmp_path, submissions()), 1) == Budget(1, 1)  # the first: within any limit


def test_is_the_budget_spent_past_the_limit_saying_when_results_come_back(tmp_path):
    times = ("2027-02-02T15:00:00-05:00", "2027-02-03T09:00:00-05:00", "2027-02-03T10:30:20-05:00")
    budget = daily_budget(meta(tmp_path, submissions(*times)), 2)
    # Four in 24 h, two allowed: a later submission gets its results once at most one other (this one, at
    # 12:00) is within 24 h of it, that is once the 2nd latest (10:30:20) has left the window.
    assert budget.spent and budget.count == 4 and budget.again == T("2027-02-04T10:30:20-05:00")
    assert budget.message() == (
        "hidden-case results are withheld: you have made 4 submissions in the last 24 h (limit 2); they are shown "
        "again for a submission after 2027-02-04 10:31 UTC-05:00 (each submission until then counts too). "
        "The score is recorded as usual.")
    # Checked: a submission a second after that time counts itself and this one: two, within the limit.
    later = daily_budget(meta(tmp_path, submissions(*times, CREATED, created="2027-02-04T10:30:21-05:00")), 2)
    assert later == Budget(2, 2)
    at_it = daily_budget(meta(tmp_path, submissions(*times, CREATED, created="2027-02-04T10:30:20-05:00")), 2)
    assert at_it.spent and at_it.count == 3 and at_it.again == T("2027-02-04T12:00:00-05:00")
    limit_one = daily_budget(meta(tmp_path, submissions("2027-02-03T11:00:00-05:00")), 1)
    assert limit_one.again == T("2027-02-04T12:00:00-05:00")  # this very submission must leave the window
    assert "after 2027-02-04 12:00 UTC-05:00" in limit_one.message()


@pytest.mark.parametrize("data, problem", [
    ({**submissions(), "previous_submissions": None}, "submission_metadata.json has no list of previous_submissions"),
    ({k: v for k, v in submissions().items() if k != "previous_submissions"},
     "submission_metadata.json has no list of previous_submissions"),
    ({**submissions(), "previous_submissions": [{"score": 3.0}]},
     "submission_metadata.json: previous_submissions[0] has no valid submission_time"),
    ({**submissions("2027-02-03T09:00:00-05:00"), "previous_submissions": [
        {"submission_time": "2027-02-03T09:00:00-05:00"}, "2027-02-03T10:00:00-05:00"]},
     "submission_metadata.json: previous_submissions[1] has no valid submission_time"),
    (submissions("2027-02-03 09:00"), "submission_metadata.json: previous_submissions[0] has no valid submission_time"),
    ({**submissions(), "created_at": "now"}, "submission_metadata.json has no valid created_at"),
    ("{", "submission_metadata.json cannot be read (JSONDecodeError)"),
])
def test_are_unreadable_earlier_submissions_a_spent_budget(tmp_path, data, problem):
    budget = daily_budget(meta(tmp_path, data), 50)
    assert budget == Budget(50, None, problem=problem) and budget.spent
    assert budget.message() == (f"hidden-case results are withheld: the limit of 50 submissions in 24 h cannot be "
                                f"checked ({problem}). The score is recorded as usual.")


# ---------------------------------------------------------------- what a Gradescope run shows, without grading


def write_metadata(root: Path, data: dict) -> Path:
    root.mkdir(exist_ok=True)
    (root / "submission_metadata.json").write_text(json.dumps(data))
    return root


def test_does_a_gradescope_run_decide_with_the_same_function(toy_course, toy_layout, tmp_path):
    now = T("2027-02-07T12:00:00-05:00")
    root = write_metadata(tmp_path / "gs", gradescope(due="2027-02-01T00:00:00-05:00"))
    assert what_is_shown(toy_layout, "toy", root, now) == Shown(details=True)
    for late_window in (gradescope(due="2027-02-01T00:00:00-05:00", late="2027-02-08T00:00:00-05:00"),
                        gradescope(due="2027-02-01T00:00:00-05:00", users=[user(due_date="2027-02-10T00:00:00Z")]),
                        gradescope(due="2027-02-01T00:00:00-05:00", late="soon")):
        assert what_is_shown(toy_layout, "toy", write_metadata(root, late_window), now) == Shown(details=False)
    edit_spec(toy_course, "time_limit_s = 5", 'hidden_details_after = "2027-02-07T00:00:00-05:00"\ntime_limit_s = 5')
    # the instructor's time, late window or not
    assert what_is_shown(toy_layout, "toy", root, now) == Shown(details=True)


def test_does_the_budget_apply_only_before_the_release(toy_course, toy_layout, tmp_path):
    (toy_course / "course.toml").write_text('github = "https://github.com/teacher/dl-kit/blob/main"\n\n'
                                            "[feedback]\ndaily_submissions = 1\n")
    root = write_metadata(tmp_path / "gs", submissions("2027-02-03T11:00:00-05:00"))
    shown = what_is_shown(toy_layout, "toy", root, T("2027-02-03T12:00:01-05:00"))
    assert shown.details is False and shown.lines == ()
    assert shown.withheld.startswith("hidden-case results are withheld: you have made 2 submissions")
    within = write_metadata(tmp_path / "gs2", submissions())
    assert what_is_shown(toy_layout, "toy", within, T("2027-02-03T12:00:01-05:00")) == Shown(
        False, None, ("submissions in the last 24 h: 1 of 1 with hidden-case results",))
    # Once Gradescope takes no more submissions there is nothing left to probe: details, budget or not.
    assert what_is_shown(toy_layout, "toy", root, T("2027-02-06T00:00:00-05:00")) == Shown(details=True)


# ---------------------------------------------------------------- results.json with the counts withheld


def part() -> PartVerdict:
    failure = Finding("dw", Status.WRONG_VALUE, "(atol 1e-08, rtol 1e-06)", 1.0, (2,), 3.0, 2.0)
    return PartVerdict("cost_gradients", 4.0, 2.0, (
        CaseVerdict("float64 N=7 D=3", False, Status.WRONG_VALUE, (failure,)),
        CaseVerdict("float64 N=12 D=2", False, Status.OK),
        CaseVerdict("float64 N=1 D=1", True, Status.ERROR, message="raised ValueError: x=[0.25]", hints=("look",)),
        CaseVerdict("float64 N=40 D=5", True, Status.OK)))


def test_does_a_spent_budget_withhold_every_hidden_count_but_keep_the_score():
    missing = zero_part("predict", 2.0, "no function named predict was found in the submission")
    result = SubmissionResult(Path("s.py"), [missing, part()])
    normal = results_json(result)
    data = results_json(result, withheld="hidden-case results are withheld: you have made 6 submissions ...")
    assert data["score"] == normal["score"] == 2.0
    assert sum(t["score"] for t in data["tests"]) == data["score"]
    assert sum(t["max_score"] for t in data["tests"]) == 6.0
    tests = {t["name"]: t for t in data["tests"]}
    assert list(tests) == ["predict", "cost_gradients", "cost_gradients" + HIDDEN_CASES_SUFFIX]
    assert tests["predict"] == normal["tests"][0]  # no hidden cases ran: nothing to withhold
    visible = tests["cost_gradients"]
    assert (visible["number"], visible["score"], visible["max_score"], visible["status"]) == ("2", 1.0, 2.0, "failed")
    assert visible["output"].split("\n") == [
        "cost_gradients   1 / 2   (1/2 public cases passed)",
        "  case float64 N=7 D=3   dw  FAIL  max |diff| 1.0e+00 at [2]   (atol 1e-08, rtol 1e-06)   got 3, expected 2",
        "  hidden cases: results withheld for this submission (the top of the page says why and until when)"]
    hidden = tests["cost_gradients" + HIDDEN_CASES_SUFFIX]
    assert (hidden["number"], hidden["score"], hidden["max_score"], hidden["visibility"]) == (
        "2.1", 1.0, 2.0, "after_published")  # Gradescope shows it once the grades are published
    assert "hidden cases: 1/2 passed" in hidden["output"] and "0.25" not in hidden["output"]
    shown = [t for t in data["tests"] if t["visibility"] == "visible"]
    text = data["output"] + "".join(t["output"] for t in shown)
    for leak in ("1/2 passed", "2/4", "2 / 6", "0.25", "look", "N=1 D=1"):
        assert leak not in text
    first, second, *_ = data["output"].split("\n\n")
    assert first == "s.py: 1 / 4 shown; the other 2 points, of the hidden cases, are scored and recorded but not shown"
    assert second.startswith("hidden-case results are withheld")


def test_is_a_submission_with_nothing_graded_said_as_ever_when_withheld():
    result = SubmissionResult(Path("s.py"), [zero_part("predict", 2.0, "no function named predict")])
    data = results_json(result, withheld="withheld")
    assert data["tests"] == results_json(result)["tests"]
    assert data["output"].split("\n\n")[:2] == ["s.py: 0 / 2", "withheld"]


def test_does_a_part_that_broke_the_rules_in_public_show_zero_with_its_reason_when_withheld():
    broken = PartVerdict("cost_gradients", 4.0, 0.0, part().cases, rules.runtime_rule_message(
        ["Tensor.backward()"], in_hidden=True), Status.RULE_BROKEN)
    tests = results_json(SubmissionResult(Path("s.py"), [broken]), withheld="withheld")["tests"]
    assert [(t["score"], t["max_score"], t["status"]) for t in tests] == [(0.0, 2.0, "failed"), (0.0, 2.0, "failed")]
    assert tests[0]["output"].split("\n")[1] == f"  {rules.runtime_rule_message(['Tensor.backward()'])}"
    assert rules.HIDDEN_USE not in tests[0]["output"]


def test_does_a_rule_break_only_in_a_hidden_case_tell_nothing_when_withheld():
    """A banned call made only when a hidden input meets a condition would tell that bit of the hidden inputs past
    the budget: the shown test is what the public cases alone give, and the run's time is not said."""
    broken = PartVerdict("cost_gradients", 4.0, 0.0, part().cases, rules.runtime_rule_message([], in_hidden=True),
                         Status.RULE_BROKEN)
    clean = PartVerdict("cost_gradients", 4.0, 3.0, part().cases)
    seen = []
    for verdict in (broken, clean):
        data = results_json(SubmissionResult(Path("s.py"), [verdict]), withheld="withheld")
        assert "execution_time" not in data
        shown = [t for t in data["tests"] if t["visibility"] == "visible"]
        seen.append((data["output"], shown))
    assert seen[0] == seen[1]
