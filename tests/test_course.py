"""course.toml: found by walking up, read by every command, one-line errors naming file, line and key."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from autograder import cli, course as course_module
from autograder.course import Course, find_root, load_course
from autograder.disclosure import Feedback
from autograder.errors import KitError
from autograder.gradebook import DEFAULT_POLICY, GradebookInputs, Policy, build_gradebook
from autograder.layout import KIT_LAYOUT, Layout
from conftest import ROOT

GOOD = ('name = "DL"\ngithub = "https://github.com/teacher/dl-kit/blob/main"\ntimezone = "Europe/Paris"\n'
        'jobs = 3\n\n[late_policy]\ngrace_days = 2\npenalty = "cap"\n')


def course_at(tmp_path: Path, text: str) -> Layout:
    (tmp_path / "course.toml").write_text(text)
    return Layout(tmp_path)


def error(tmp_path: Path, text: str) -> str:
    with pytest.raises(KitError) as info:
        load_course(course_at(tmp_path, text))
    return str(info.value).replace(str(tmp_path / "course.toml"), "course.toml")


def test_is_the_repositorys_course_the_lectures_with_its_github_home():
    course = load_course(KIT_LAYOUT)
    assert course == Course(layout=KIT_LAYOUT, name="Deep learning with PyTorch",
                            github="https://github.com/dl-course/pytorch-assignment-kit/blob/main",
                            timezone="America/Toronto", jobs=None, late_policy=DEFAULT_POLICY)
    assert course.github_base == "dl-course/pytorch-assignment-kit/blob/main"
    assert course.default_jobs == 2 * (os.cpu_count() or 1)


def test_does_every_key_of_course_toml_reach_the_course(tmp_path):
    course = load_course(course_at(tmp_path, GOOD + "\n[feedback]\ndaily_submissions = 5\n"))
    assert course.feedback == Feedback(daily_submissions=5)
    assert load_course(course_at(tmp_path, GOOD)).feedback == Feedback(daily_submissions=None)  # no limit
    assert (course.name, course.github_base, course.timezone, course.jobs) == (
        "DL", "teacher/dl-kit/blob/main", "Europe/Paris", 3)
    assert course.late_policy == Policy(grace_days=2, penalty="cap", penalty_per_day=Decimal(10),
                                        max_late_days=3, min_on_time=3, timezone="Europe/Paris")


@pytest.mark.parametrize("text, message", [
    ('githb = "x"\n',
     "course.toml:1: unknown key 'githb' - did you mean 'github'? "
     "(course.toml's keys: name, github, timezone, jobs, late_policy, feedback)"),
    ('name = "DL"\n',
     "course.toml: missing key 'github': write github = \"https://github.com/OWNER/REPO/blob/BRANCH\", where the "
     "notebooks/ folder is on GitHub (the notebooks' Open in Colab badges point there)"),
    ('github = "your-org/dl-course-kit/blob/main"\n',
     'course.toml:1: github = "your-org/dl-course-kit/blob/main" is not a GitHub location: write '
     'github = "https://github.com/OWNER/REPO/blob/BRANCH"'),
    ('github = "https://github.com/a/b/blob/main"\ntimezone = "America/Tornto"\n',
     'course.toml:2: timezone = "America/Tornto" is not an IANA time zone name - did you mean "America/Toronto"?'),
    ('github = "https://github.com/a/b/blob/main"\njobs = 0\n',
     'course.toml:2: jobs = 0 is not allowed: write jobs = "auto" (two workers per core) or a whole number of '
     "workers, 1 or more"),
    ('github = "https://github.com/a/b/blob/main"\n[late_policy]\ngrace_day = 5\n',
     "course.toml:3: unknown key 'grace_day' in [late_policy] - did you mean 'grace_days'? "
     "(known keys: grace_days, penalty, penalty_per_day, max_late_days, min_on_time)"),
    ('github = "https://github.com/a/b/blob/main"\n[late_policy]\ntimezone = "Europe/Paris"\n',
     "course.toml:3: unknown key 'timezone' in [late_policy] "
     "(known keys: grace_days, penalty, penalty_per_day, max_late_days, min_on_time)"),
    ('github = "https://github.com/a/b/blob/main"\n[late_policy]\npenalty_per_day = 110\n',
     "course.toml:3: penalty_per_day = 110 is not allowed: it must be a number of points from 0 to 100"),
    ('github = "https://github.com/a/b/blob/main"\nlate_policy = 3\n',
     "course.toml:2: late_policy must be a table: write [late_policy] with keys such as grace_days = 7"),
    ("github = \n", "course.toml: not valid TOML: Invalid value (at line 1, column 10)"),
    ('github = "https://github.com/a/b/blob/main"\nfeedback = 5\n',
     "course.toml:2: feedback must be a table: write [feedback] with keys such as daily_submissions = 5"),
    ('github = "https://github.com/a/b/blob/main"\n[feedback]\ndaily_submission = 5\n',
     "course.toml:3: unknown key 'daily_submission' in [feedback] - did you mean 'daily_submissions'? "
     "(known keys: daily_submissions)"),
    ('github = "https://github.com/a/b/blob/main"\n\n[feedback]\ndaily_submissions = 0\n',
     "course.toml:4: daily_submissions = 0 is not allowed: write a whole number of submissions a day with "
     "hidden-case results, 1 or more (leave the key out for no limit)"),
    ('github = "https://github.com/a/b/blob/main"\n[feedback]\ndaily_submissions = 2.5\n',
     "course.toml:3: daily_submissions = 2.5 is not allowed: write a whole number of submissions a day with "
     "hidden-case results, 1 or more (leave the key out for no limit)"),
    ('github = "https://github.com/a/b/blob/main"\n[feedback]\ndaily_submissions = true\n',
     "course.toml:3: daily_submissions = true is not allowed: write a whole number of submissions a day with "
     "hidden-case results, 1 or more (leave the key out for no limit)"),
])
def test_is_a_course_toml_mistake_one_line_with_its_fix(tmp_path, text, message):
    assert error(tmp_path, text) == message


def test_may_min_on_time_exceed_the_assignments_written_so_far(tmp_path):
    # a new term's course.toml comes before its assignments; the gradebook warns when it matters
    course = load_course(course_at(tmp_path, 'github = "https://github.com/a/b/blob/main"\n'
                                             "[late_policy]\nmin_on_time = 9\n"))
    assert course.late_policy.min_on_time == 9
    assert error(tmp_path, 'github = "https://github.com/a/b/blob/main"\n[late_policy]\nmin_on_time = -1\n') == (
        "course.toml:3: min_on_time = -1 is not allowed: it must be a whole number, 0 or more")


def test_is_the_course_found_from_any_folder_inside_it(tmp_path):
    root = course_at(tmp_path, GOOD).root
    deep = root / "assignments" / "toy" / "notes"
    deep.mkdir(parents=True)
    assert find_root(deep) == root == find_root(root)


def test_is_a_folder_outside_any_course_a_clear_error(tmp_path):
    with pytest.raises(KitError) as info:
        find_root(tmp_path)
    assert str(info.value) == (f"not inside a course: no course.toml in {tmp_path.resolve()} or any folder "
                               "above it (run the command inside the course's folder, the one with course.toml)")


def test_does_the_gradebook_apply_the_courses_late_policy(tmp_path):
    strict = dataclasses.replace(load_course(KIT_LAYOUT), late_policy=dataclasses.replace(DEFAULT_POLICY, grace_days=0))
    grades = tmp_path / "lr.csv"
    grades.write_text("submission,score,max_score,predict,squared_error_cost,cost_gradients,gradient_descent,"
                      "fit_direct,polynomial_features,status\nbob,17,17,2,2,4,4,3,2,graded\n")
    times = tmp_path / "times.csv"
    times.write_text("student,assignment,submitted_at\nbob,linear_regression,2027-02-06T20:00:00-05:00\n")
    out = tmp_path / "gradebook.csv"
    build_gradebook(strict, GradebookInputs({"linear_regression": grades}, out, times))
    assert out.read_text().splitlines()[1] == "bob,90.00,0,no"  # a day late, no grace days: -10


def test_does_grade_take_its_default_jobs_from_the_course(tmp_path, monkeypatch):
    seen = {}
    monkeypatch.chdir(course_at(tmp_path, 'github = "https://github.com/a/b/blob/main"\njobs = 5\n').root)
    monkeypatch.setattr(cli, "_cmd_grade", lambda args, course: seen.setdefault("jobs", args.jobs) and 0)
    assert cli.main(["grade", "linear_regression", "x.py", "--out", str(tmp_path)]) == 0
    assert seen == {"jobs": 5}


def test_is_course_toml_read_once_and_handed_to_the_command(toy_course, monkeypatch, capsys):
    """The CLI loads the course once and passes it on: no command reads course.toml again (new did)."""
    read = []
    real = course_module.read_toml
    monkeypatch.setattr(course_module, "read_toml",
                        lambda path, *rest, **kw: read.append(path) or real(path, *rest, **kw))
    monkeypatch.chdir(toy_course / "assignments")  # found by walking up
    assert cli.main(["new", "ridge", "--due", "2030-01-01"]) == 0
    assert read == [toy_course / "course.toml"]
    assert "wrote assignments/ridge/spec.toml" in capsys.readouterr().out


def test_does_every_command_refuse_to_run_outside_a_course(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "autograder", "validate"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr.startswith("error: not inside a course: no course.toml in ") and proc.stderr.count("\n") == 1


def test_does_a_bad_course_toml_stop_every_command_with_exit_2(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(course_at(tmp_path, 'github = "https://github.com/a/b/blob/main"\njobs = "all"\n').root)
    assert cli.main(["release", "--check"]) == 2
    assert capsys.readouterr().err == ('error: course.toml:2: jobs = "all" is not allowed: write jobs = "auto" '
                                       "(two workers per core) or a whole number of workers, 1 or more\n")
