"""Every command's exit status, as README.md's "Exit status" table and each command's --help document it
(autograder/cli.py's EXIT_STATUS): each command is run in the ways that give each code it documents.

0 and 1 come from real runs (``python -m autograder``, in a released copy of the toy course); 2, 3 and 130
are decided by cli.main for every command alike, so they are run in this process.
"""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from autograder import cli
from autograder.cli import COMMON, EXIT_STATUS, FAILED, INTERNAL_ERROR, INTERRUPTED, OK, REFUSED
from conftest import ROOT

COMMANDS = list(EXIT_STATUS)


def kit(course: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "autograder", *args], cwd=course, capture_output=True, text=True,
                          timeout=600)


@pytest.fixture(scope="module")
def released(tmp_path_factory) -> Path:
    """The toy course (tests/fixtures/release), released, with a correct and a wrong submission beside it."""
    base = tmp_path_factory.mktemp("exit")
    course = base / "course"
    shutil.copytree(ROOT / "tests" / "fixtures" / "release", course)
    (course / "course.toml").write_text('github = "https://github.com/teacher/dl-kit/blob/main"\n')
    proc = kit(course, "release")
    assert proc.returncode == OK, proc.stderr
    subs = base / "subs"
    subs.mkdir()
    solution = (course / "solutions" / "toy.py").read_text()
    (subs / "good.py").write_text(solution)
    assert "loss = (diff ** 2).mean()" in solution
    (subs / "bad.py").write_text(solution.replace("loss = (diff ** 2).mean()", "loss = (diff ** 2).sum()"))
    (base / "times.csv").write_text("student,assignment,submitted_at\ngood,toy,2027-01-20T10:00:00-05:00\n"
                                    "bad,toy,2027-01-20T10:00:00-05:00\n")
    return course


def copy_of(course: Path, tmp_path: Path) -> Path:
    shutil.copytree(course, tmp_path / "course")
    return tmp_path / "course"


@pytest.mark.slow
def test_does_every_command_exit_0_when_it_did_its_job(released, tmp_path):
    subs, base = released.parent / "subs", released.parent
    out = {name: str(tmp_path / name) for name in ("shard", "merged", "sim")}
    runs = {
        "release": [("release", "toy"), ("release", "--check")],
        "check": [("check", "toy", str(subs / "good.py"))],
        "grade": [("grade", "toy", str(subs), "--out", out["shard"], "--shard", "0/1", "--quiet")],  # bad.py too
        "merge": [("merge", out["shard"], "--out", out["merged"])],
        "gradebook": [("gradebook", "--grades", f"toy={out['merged']}/grades.csv", "--times",
                       str(base / "times.csv"), "--out", str(tmp_path / "gradebook.csv"))],
        "gradescope": [("gradescope", "toy", "--out", str(tmp_path / "toy.zip"))],
        "similarity": [("similarity", "toy", str(subs), "--out", out["sim"])],
        "validate": [("validate", "toy", "--skip-notebooks")],
        "new": [("new", "ridge_regression")],  # last: it adds an assignment to the course
    }
    for command, argvs in runs.items():
        for argv in argvs:
            proc = kit(released, *argv)
            assert proc.returncode == OK, (argv, proc.stdout, proc.stderr)
    assert "bad" in Path(out["merged"], "grades.csv").read_text()  # a wrong submission's score is no failure
    # grading-room: serves until Ctrl-C, which is how it is stopped
    room = subprocess.Popen([sys.executable, "-m", "autograder", "grading-room", "toy", out["merged"]], cwd=released,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        said = [room.stdout.readline() for _ in range(2)] if room.stdout else []
        assert any(line.startswith("open http://127.0.0.1:") for line in said), (said, room.stderr)
        room.send_signal(signal.SIGINT)
        assert room.wait(timeout=60) == OK
    finally:
        room.kill()
    # sandbox: 0 where this host holds the floor, else 1 (test_fail_closed.py runs it below the floor)
    proc = kit(released, "sandbox", "--json")
    assert proc.returncode == (OK if json.loads(proc.stdout)["floor_held"] else FAILED), proc.stderr
    assert set(runs) | {"sandbox", "grading-room"} == set(COMMANDS)  # a command added to the table is run here too


@pytest.mark.slow
def test_does_every_command_that_checks_something_exit_1_when_it_failed(released, tmp_path, monkeypatch, capsys):
    subs = released.parent / "subs"
    proc = kit(released, "check", "toy", str(subs / "bad.py"))
    assert proc.returncode == FAILED and "1 of 2 functions pass their public checks" in proc.stdout, proc.stdout
    (tmp_path / "broken.ipynb").write_text('{"cells": [')
    proc = kit(released, "check", "toy", str(tmp_path / "broken.ipynb"))
    assert proc.returncode == FAILED and "not valid JSON" in proc.stdout, proc.stdout + proc.stderr

    stale = copy_of(released, tmp_path)
    starter = stale / "starter_code" / "toy.py"
    starter.write_text(starter.read_text() + "\n# edited by hand\n")
    proc = kit(stale, "release", "--check")
    assert proc.returncode == FAILED and "stale: starter_code/toy.py" in proc.stdout, proc.stdout + proc.stderr
    proc = kit(stale, "validate", "toy", "--skip-notebooks")
    assert proc.returncode == FAILED, proc.stdout + proc.stderr
    assert "  FAIL  generated files up to date" in proc.stdout and "validate toy: FAILED" in proc.stdout

    # grade: the grader itself fails on one submission (in its forked worker, patched here); the other is graded
    from autograder.grading import task
    grade_one = task.grade_one

    def patched(plan, sub, sandbox):
        if sub.name == "bad":
            raise KeyError("a bug of ours")
        return grade_one(plan, sub, sandbox)

    monkeypatch.setattr(task, "grade_one", patched)
    monkeypatch.chdir(released)
    assert cli.main(["grade", "toy", str(subs), "--out", str(tmp_path / "out"), "--jobs", "1", "--quiet"]) == FAILED
    assert "the grader failed on 1 submission(s)" in capsys.readouterr().err
    assert (tmp_path / "out" / "good" / "results.json").is_file()

    # sandbox: below the floor (the report's verdict patched here; test_fail_closed.py emulates such a host)
    from autograder.sandbox.protections import SandboxReport
    monkeypatch.setattr(SandboxReport, "floor_held", property(lambda self: False))
    assert cli.main(["sandbox"]) == FAILED
    documented = {(c, code) for c, codes in EXIT_STATUS.items() for code in codes if code == FAILED}
    assert documented == {("release", 1), ("check", 1), ("grade", 1), ("validate", 1), ("sandbox", 1)}


# A mistake in an input file or argument value, for each command: one line, exit 2.
INPUT_MISTAKES = {
    "release": (["release", "nope"], "error: cannot release 'nope': solutions/nope.py does not exist"),
    "new": (["new", "Bad-Id"], "error: 'Bad-Id' is not an assignment id"),
    "check": (["check", "toy", "missing.py"], "error: no such file: missing.py"),
    "grade": (["grade", "toy", "missing.py", "--out", "o"], "error: no such file or folder: missing.py"),
    "merge": (["merge", "missing", "--out", "m"], "error: missing is not a folder"),
    "validate": (["validate", "nope"], "error: unknown assignment 'nope'"),
    "gradebook": (["gradebook", "--grades", "toy=missing.csv", "--out", "gb.csv"],
                  "error: missing.csv: grades file not found"),
    "gradescope": (["gradescope", "nope", "--out", "z.zip"], "error: unknown assignment 'nope'"),
    "sandbox": (["sandbox"], 'error: course.toml:2: jobs = "many" is not allowed'),  # course.toml, for any command
    "similarity": (["similarity", "nope", "x.py", "--out", "s"], "error: unknown assignment 'nope'"),
    "grading-room": (["grading-room", "toy", "missing"], "error: no such folder: missing"),
}


@pytest.mark.parametrize("command", COMMANDS)
def test_does_every_command_exit_2_for_a_wrong_argument_or_input_file(command, toy_course, monkeypatch, capsys):
    monkeypatch.chdir(toy_course)
    with pytest.raises(SystemExit) as exited:
        cli.main([command, "--no-such-option"])
    assert exited.value.code == REFUSED
    assert capsys.readouterr().err.startswith(f"usage: {cli._prog()} {command} [-h]")

    argv, said = INPUT_MISTAKES[command]
    if command == "sandbox":
        with (toy_course / "course.toml").open("a") as f:
            f.write('jobs = "many"\n')
    assert cli.main(argv) == REFUSED
    err = capsys.readouterr().err
    assert err.startswith(said) and err.count("\n") == 1, err


@pytest.mark.parametrize("raised, code, said", [
    (RuntimeError("a bug"), INTERNAL_ERROR, "internal error: RuntimeError: a bug (set KIT_DEBUG=1 for a traceback)\n"),
    (KeyboardInterrupt(), INTERRUPTED, "interrupted\n"),
])
def test_is_a_bug_3_and_an_interrupt_130_for_any_command(raised, code, said, toy_course, monkeypatch, capsys):
    """Not 1: a script or CI step reading 1 as 'the checked thing failed' must not take a crash of ours for it."""
    from autograder.release import pipeline

    def release(*args, **kwargs):
        raise raised

    monkeypatch.setattr(pipeline, "release", release)
    monkeypatch.chdir(toy_course)
    monkeypatch.delenv("KIT_DEBUG", raising=False)
    assert cli.main(["release"]) == code
    assert capsys.readouterr().err == said


def _readme_rows() -> dict[str, list[str]]:
    section = (ROOT / "README.md").read_text().split("### Exit status", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        found = re.match(r"\| `([a-z-]+)` \| (.*) \|$", line)
        if found:
            rows[found[1]] = found[2].split(" | ")
    return rows


def test_does_the_readme_table_say_what_the_code_does():
    rows = _readme_rows()
    assert list(rows) == COMMANDS
    for command, codes in EXIT_STATUS.items():
        assert rows[command] == [codes.get(c, "-") for c in (OK, FAILED, REFUSED)], command


@pytest.mark.parametrize("command", COMMANDS)
def test_does_each_commands_help_end_with_its_exit_status(command, capsys):
    with pytest.raises(SystemExit) as exited:
        cli.main([command, "--help"])
    assert exited.value.code == OK
    help_text = capsys.readouterr().out
    assert help_text.rstrip().endswith(cli.exit_epilog(command).rstrip())
    flat = " ".join(help_text.split())
    for code, text in [*EXIT_STATUS[command].items(), *COMMON.items()]:
        assert f"  {code} " in help_text and " ".join(text.split()) in flat, (code, text)
