"""The grader's own failures: counted and shown as such, never as a student's zero; and a submission whose
grading gets stuck on the grader's side ends at the deadline with any number of jobs, on Gradescope too.

Each failure is injected into a real grading session (the sandbox, the forked worker, the files written):
a method of ours patched in this process is what the forked worker runs.
"""

from __future__ import annotations

import errno
import json
import os
import re
import socket
import time
from pathlib import Path

import pytest

from autograder import cli
from autograder.grading import grade, task
from autograder.grading.options import GradingOptions
from autograder.grading.session import GradingSession
from autograder.layout import KIT_LAYOUT
from autograder.grading.task import GRADER_FAILED
from autograder.grading.workers import overdue
from autograder.sandbox import client
from conftest import EXAMPLES

CORRECT = (EXAMPLES / "linear_regression" / "alice_correct.py").read_text()
KILLED = "the grader's worker process was killed while running this submission"

# What the sandbox client may raise on the grader's side, none of it an outcome of the student's code.
RAISED = {
    "oserror": OSError(errno.EMFILE, "Too many open files"),
    "runtime": RuntimeError("the sandbox worker failed to start"),
    "value": ValueError("filedescriptor out of range in select()"),
    "bug": AttributeError("'NoneType' object has no attribute 'get'"),
}


def marker(data: bytes | str) -> str | None:
    """The kind of failure a test submission asks for: a function named fail_<kind> in its source (the source
    the grader sends to the sandbox keeps it, not comments or docstrings)."""
    found = re.search(r"def fail_([a-z_]+)\(", data.decode("utf-8", "replace") if isinstance(data, bytes) else data)
    return found.group(1) if found else None


def failing(kind: str) -> str:
    return f"def fail_{kind}():\n    return 0\n\n\n{CORRECT}"


def inject_into_the_sandbox_client(monkeypatch: pytest.MonkeyPatch) -> None:
    """_Run.go raises what the submission's marker names, or the zygote's socket fails under it."""
    go = client._Run.go
    send_fds = socket.send_fds

    def patched(self):
        kind = marker(self.load)
        if kind in RAISED:
            raise RAISED[kind]
        if kind == "died":
            raise client.WorkerDied("the sandbox worker exited")
        if kind in ("zygote_gone", "emfile_on_fork"):  # the first request to the zygote (a fork) fails
            error = BrokenPipeError(errno.EPIPE, "Broken pipe") if kind == "zygote_gone" else \
                OSError(errno.EMFILE, "Too many open files")
            socket.send_fds = lambda *a, **k: (_ for _ in ()).throw(error)  # (in the worker: its own copy)
            try:
                return go(self)
            finally:
                socket.send_fds = send_fds
        return go(self)

    monkeypatch.setattr(client._Run, "go", patched)


@pytest.mark.slow
def test_is_every_internal_error_of_the_sandbox_client_a_counted_grader_failure(tmp_path, monkeypatch, capsys):
    """Before: every OSError, RuntimeError and ValueError of the client was 'the grader's worker process was
    killed while running this submission': the student scored 0 for every case, `grade` exited 0 and neither
    the failure count nor the summary said anything. Only a dead zygote is that."""
    inject_into_the_sandbox_client(monkeypatch)
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "a_fine.py").write_text(CORRECT)
    for kind in [*RAISED, "emfile_on_fork", "died", "zygote_gone"]:
        (subs / f"{kind}.py").write_text(failing(kind))
    (subs / "z_fine.py").write_text(CORRECT)
    out = tmp_path / "out"
    code = cli.main(["grade", "linear_regression", str(subs), "--out", str(out), "--jobs", "1", "--quiet"])
    err = capsys.readouterr().err

    grader_failures = [*RAISED, "emfile_on_fork"]
    assert code == 1
    assert f"the grader failed on {len(grader_failures)} submission(s): " in err
    rows = {line.split(",")[0]: line for line in (out / "grades.csv").read_text().splitlines()[1:]}
    summary = (out / "summary.md").read_text()
    assert f"{len(grader_failures)} failed to grade (the grader failed: " \
           f"{', '.join(sorted(grader_failures))})" in summary
    for kind in grader_failures:
        record = json.loads((out / kind / "record.json").read_text())
        assert record["grader_failed"] and record["error"].startswith("grader failure: the sandbox failed on the "
                                                                      "grader's side (")
        said = f"{type(RAISED.get(kind, OSError())).__name__}: "
        assert said in record["error"] and said in rows[kind] and "not graded: grader failure" in rows[kind]
        results = json.loads((out / kind / "results.json").read_text())
        assert results["score"] == 0 and all(t["output"].endswith(GRADER_FAILED) for t in results["tests"])
        assert KILLED not in json.dumps(results)
    for kind in ("died", "zygote_gone"):  # the zygote itself is gone: the cases crashed, as before
        record = json.loads((out / kind / "record.json").read_text())
        assert not record["grader_failed"] and record["error"] is None
        assert KILLED in (out / kind / "results.json").read_text() and rows[kind].endswith(",graded")
    for name in ("a_fine", "z_fine"):  # the sandbox starts afresh after each: the rest of the batch is graded
        assert rows[name].startswith(f"{name},17,17,") and rows[name].endswith(",graded")


# --- one kind of grader failure, whichever way it comes; a rerun with --only grades them ----------

def slow_ingest(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reading a submission marked 'slow' never ends: the grader-side step gets stuck."""
    ingest = grade.ingest

    def patched(path: Path):
        if marker(path.read_text()) == "slow":
            time.sleep(10_000)
        return ingest(path)

    monkeypatch.setattr(grade, "ingest", patched)


def failing_tasks(monkeypatch: pytest.MonkeyPatch) -> None:
    """grade_one (in the worker) raises, or its worker dies, for the submissions marked so."""
    grade_one = task.grade_one

    def patched(plan, sub, sandbox):
        kind = marker(sub.path.read_text())
        if kind == "task_raises":
            raise KeyError("a bug of ours outside grade_one")
        if kind == "worker_dies":
            os._exit(3)
        return grade_one(plan, sub, sandbox)

    monkeypatch.setattr(task, "grade_one", patched)


@pytest.mark.slow
@pytest.mark.parametrize("jobs", [1, 2])
def test_is_every_way_of_losing_a_submission_the_same_grader_failure_and_does_only_rerun_them(tmp_path, monkeypatch,
                                                                                               jobs):
    """A deadline, a task that raises outside grade_one (workers' Failed), a worker that dies (task.lost) and
    the sandbox client's own failure (grade_one) give one kind of result; before, with one job, a stuck
    submission hung the batch for good (no deadline: the task ran in the grader's own process)."""
    slow_ingest(monkeypatch)
    failing_tasks(monkeypatch)
    inject_into_the_sandbox_client(monkeypatch)
    subs = tmp_path / "subs"
    subs.mkdir()
    lost = ["b_slow", "c_task_raises", "d_worker_dies", "e_oserror"]
    for name in lost:
        (subs / f"{name}.py").write_text(failing(name.split("_", 1)[1]))
    for name in ("a_fine", "z_fine"):
        (subs / f"{name}.py").write_text(CORRECT)
    out = tmp_path / "out"
    deadline = 25
    options = GradingOptions(jobs=jobs, progress=False, max_deadline_s=deadline)
    with GradingSession(KIT_LAYOUT, "linear_regression", out, options, inputs=[subs]) as session:
        session.start()
        assert session.deadline_s == deadline
        start = time.monotonic()
        outcome = session.run()
    took = time.monotonic() - start

    assert deadline < took < deadline + 90  # the stuck one ended at its deadline, the rest went on
    failures = dict(line.split(": ", 1) for line in outcome.failures)
    assert sorted(Path(p).stem for p in failures) == lost
    by_name = {Path(p).stem: why for p, why in failures.items()}
    assert by_name["b_slow"] == f"grader failure: {overdue(deadline)}"
    assert by_name["c_task_raises"] == "grader failure: KeyError: 'a bug of ours outside grade_one'"
    assert by_name["d_worker_dies"] == "grader failure: the grading worker died (exit code 3) while grading it"
    assert by_name["e_oserror"].startswith("grader failure: the sandbox failed on the grader's side (OSError: ")
    rows = {r.name: r for r in outcome.rows}
    for name in lost:
        assert rows[name].grader_failed and rows[name].error == by_name[name] and rows[name].score == 0
        record = json.loads((out / name / "record.json").read_text())
        assert record["grader_failed"] and record["error"] == by_name[name]
        results = json.loads((out / name / "results.json").read_text())
        assert f"This submission could not be graded: {by_name[name]}" in results["output"].replace("\\", "")
        assert all(t["output"].endswith(GRADER_FAILED) for t in results["tests"])
    assert outcome.summary is not None and outcome.summary.grader_failures == lost
    assert rows["a_fine"].score == rows["z_fine"].score == 17 and not rows["z_fine"].error

    # Fixed (the patches gone): --only reruns exactly those, and the batch has no failure left.
    monkeypatch.undo()
    for name in lost:
        (subs / f"{name}.py").write_text(CORRECT)
    options = GradingOptions(jobs=jobs, progress=False, only=tuple(lost))
    with GradingSession(KIT_LAYOUT, "linear_regression", out, options, inputs=[subs]) as session:
        session.start()
        rerun = session.run()
    assert rerun.failures == [] and sorted(r.name for r in rerun.rows) == lost
    assert [(r.name, r.score, r.error) for r in rerun.batch] == [(n, 17, None) for n in sorted([*lost, "a_fine",
                                                                                                 "z_fine"])]
    assert rerun.summary is not None and rerun.summary.grader_failures == []

    # --parts keeps no part of a grader failure: the whole submission is graded again.
    monkeypatch.setattr(task, "grade_one", lambda plan, sub, sandbox: (_ for _ in ()).throw(KeyError("again")))
    options = GradingOptions(jobs=jobs, progress=False, only=("c_task_raises",))
    with GradingSession(KIT_LAYOUT, "linear_regression", out, options, inputs=[subs]) as session:
        session.start()
        assert session.run().failures != []
    monkeypatch.undo()
    options = GradingOptions(jobs=jobs, progress=False, parts=("predict",))
    with GradingSession(KIT_LAYOUT, "linear_regression", out, options, inputs=[subs]) as session:
        session.start()
        partial = session.run()
    assert partial.failures == [] and partial.notes == [
        "c_task_raises: every part graded (it was not graded before, the grader failed on it)"]
    assert {r.name: r.score for r in partial.rows}["c_task_raises"] == 17


# --- Gradescope: one submission, one job -----------------------------------------------------------

@pytest.mark.slow
def test_does_a_stuck_submission_on_gradescope_end_at_the_deadline_and_say_so(tmp_path, monkeypatch, capsys):
    """Before: the Gradescope run (one job: the task in the grader's own process) had no deadline at all, so a
    submission stuck on the grader's side ran into Gradescope's own time-out, which shows the student nothing."""
    from autograder.gradescope import run
    slow_ingest(monkeypatch)
    monkeypatch.setattr(run, "MAX_DEADLINE_S", 8)
    root = tmp_path / "autograder"
    (root / "submission").mkdir(parents=True)
    (root / "submission" / "linear_regression.py").write_text(failing("slow"))
    start = time.monotonic()
    code = run.main(["linear_regression", "--root", str(root)])
    took = time.monotonic() - start
    out, err = capsys.readouterr()
    assert code == 0 and took < 8 + 90
    results = json.loads((root / "results" / "results.json").read_text())
    why = f"grader failure: {overdue(8)}"
    assert results["score"] == 0 and f"This submission could not be graded: {why}" in results["output"]
    assert all(t["output"].endswith(GRADER_FAILED) for t in results["tests"])
    assert f"the grader failed: submission/linear_regression.py: {why}" in err.replace(str(root) + "/", "")


def test_is_gradescopes_deadline_below_its_own_time_out():
    from autograder.gradescope import run
    assert run.MAX_DEADLINE_S < 40 * 60  # Gradescope's default; docs/gradescope.md says to keep it above


def test_is_the_deadline_the_tasks_own_unless_capped(tmp_path):
    from autograder.assignment import load_assignment
    plan = grade.make_plan(load_assignment(KIT_LAYOUT, "linear_regression"))
    own = task.SubmissionTask("linear_regression", tmp_path, GradingOptions(), plan).deadline_s
    assert own == 2 * sum(p.spec.time_limit_s for p in plan.parts) + 120
    for cap, expected in ((None, own), (own + 1, own), (7, 7)):
        session = GradingSession(KIT_LAYOUT, "linear_regression", tmp_path, GradingOptions(max_deadline_s=cap),
                                 submissions=[])
        session.task = task.SubmissionTask("linear_regression", tmp_path, GradingOptions(max_deadline_s=cap), plan)
        assert session.deadline_s == expected
