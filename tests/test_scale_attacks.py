"""Attacks on grading at scale: long-lived workers, the batch's bookkeeping, shards and merge, stopping a run.

Each test is a reproducer of something a hostile student or a careless instructor could do to the
session/worker/shard design (issue 11) that went wrong before it was fixed.
"""

from __future__ import annotations

import gc
import os
import signal
import subprocess
import sys
import time
import weakref
from pathlib import Path

import pytest
import torch

from autograder.checks.compare import Tolerance
from autograder.checks.judging import Outcome, judge_case
from autograder.errors import KitError
from autograder.grading import regrade
from autograder.grading.collect import find_submissions, safe_name
from autograder.assignment import load_assignment
from autograder.layout import KIT_LAYOUT
from autograder.grading.grade import SubmissionResult, grade_submission, make_plan
from autograder.grading.merge import merge_shards
from autograder.grading.scores import Graded, ScoreRow
from autograder.grading.shards import ShardManifest, listing_digest, shard_of
from autograder.grading.workers import WorkerPool, overdue
from autograder.sandbox import isolation
from conftest import EXAMPLES, ROOT, live_processes_of
from host_needs import is_root, needs

pytestmark = pytest.mark.slow  # whole batches, shards and merges under attack

CORRECT = (EXAMPLES / "linear_regression" / "alice_correct.py").read_text()


# --- a worker keeps nothing of one submission for the next -------------------------------------

def test_does_judging_keep_nothing_of_what_a_submission_returned():
    """A known mistake that does not apply to a case used to be re-raised from the plan's cache: each raise
    grew the cached exception's traceback by the judging frames, which hold the returned values, so a
    long-lived worker kept every failing submission's results (a hostile one: up to 64 MB each) for good."""
    plan = make_plan(load_assignment(KIT_LAYOUT, "mlp")).compute_everything()
    planned = next(p for p in plan.parts if p.spec.name == "mlp_loss_and_gradients")
    index, case = next((i, c) for i, c in enumerate(planned.cases)
                       if any(not ok for ok, _ in c._alternatives.values()))
    returned = torch.zeros(300, 300)
    alive = weakref.ref(returned)
    verdict = judge_case("mlp_loss_and_gradients", planned.part.judge, case.label, case.hidden, case.call,
                         Outcome("ok", result=returned, inputs_after=[]), planned.expected[index],
                         Tolerance(1e-8, 1e-6), case.mistake_outputs())
    assert not verdict.passed
    del returned, verdict
    gc.collect()
    assert alive() is None


FORGED_INPUTS_AFTER = '''
import json as _json, os as _os, struct as _struct
_calls = [0]


def predict(X, w, b):
    head = _json.dumps({"event": "case", "part": 0, "case": _calls[0], "status": "ok", "result": {"v": 1},
                        "inputs_after": {"v": 5}}).encode()
    _os.write(3, b"KIT1" + _struct.pack(">I", len(head)) + head + _struct.pack(">Q", 0))
    _calls[0] += 1
    return torch.mv(X, w) + b
'''


def test_is_a_forged_result_frame_the_students_fault_not_a_grader_failure(sandbox, lr_plan, tmp_path):
    """A frame whose inputs_after was not a list made judging raise: the instructor was told the grader
    failed on that submission (and the student's other parts were lost with it)."""
    path = tmp_path / "forger.py"
    path.write_text(CORRECT.replace("def predict(X, w, b):\n    return torch.mv(X, w) + b\n", FORGED_INPUTS_AFTER))
    result = grade_submission(lr_plan, path, sandbox)
    assert result.error is None and not result.grader_failed
    parts = {p.name: p for p in result.parts}
    assert any("returned something the grader cannot read" in (c.message or "") for c in parts["predict"].cases)
    assert parts["squared_error_cost"].score == parts["squared_error_cost"].points


def test_does_a_childs_claim_of_a_gpu_tensor_never_start_cuda_in_a_cpu_batch(monkeypatch):
    """On a GPU machine grading a CPU batch, a frame saying 'device: cuda' made the worker start CUDA (hundreds
    of MB a worker, and in a one-job run the grader's own process, whose later forks lose the GPU)."""
    from autograder.sandbox import client, wire
    asked = []
    monkeypatch.setattr(torch.cuda, "is_available", lambda: asked.append(1) or True)
    monkeypatch.setattr(torch.cuda, "is_initialized", lambda: False)  # the batch's cases are on the CPU
    header = {"status": "ok", "result": {"tensor": "t0", "device": "cuda"}, "inputs_after": {"list": []}}
    outcome = client._outcome(header, {"t0": torch.zeros(2)}, ())
    assert isinstance(outcome.result, wire.Opaque) and asked == []


# --- the batch's bookkeeping: names --------------------------------------------------------------

@pytest.mark.parametrize("text", ["_.x\U0001f600", "_..bashrc\U0001f600", "_." + "a" * 130])
def test_is_no_results_folder_hidden(text):
    """'_.x😀' was given the folder '.x-985761a9': hidden, so a regrade (--only, --parts) left the student
    out of grades.csv."""
    assert not safe_name(text).startswith(".")


def test_is_a_fifo_in_a_students_folder_never_opened(tmp_path):
    """A FIFO named like a submission (a tar unpacked by a TA) was chosen, and reading it blocked the
    worker, and so the batch, for ever."""
    student = tmp_path / "subs" / "dave"
    student.mkdir(parents=True)
    os.mkfifo(student / "linear_regression.py")
    (sub,) = find_submissions([tmp_path / "subs"], "linear_regression")
    assert sub.problem is not None and "no .py or .ipynb file" in sub.problem


def test_are_names_that_differ_only_in_case_a_clash(tmp_path):
    """Alice/ and alice/ are one folder on macOS or Windows: one student's pages would overwrite the other's
    (two workers writing at once could even mix them), and merged shards would lose one."""
    (tmp_path / "Alice.py").write_text(CORRECT)
    (tmp_path / "alice.py").write_text(CORRECT)
    with pytest.raises(KitError, match="differ only in case, Alice/ and alice/"):
        find_submissions([tmp_path], "linear_regression")


# --- merge: shard folders are data, not instructions --------------------------------------------

def make_shards(root: Path, names: list[str], count: int = 2) -> list[Path]:
    """Shard folders as grade --shard K/N writes them (a record per student), for the given names."""
    folders = []
    for k in range(count):
        mine = [n for n in names if shard_of(n, count) == k]
        folder = root / f"shard{k}"
        for name in mine:
            regrade.write_record(SubmissionResult(Path(f"{name}.py"), []), folder / name)
        ShardManifest("linear_regression", k, count, listing_digest(names), len(names), mine, []).write(folder)
        folders.append(folder)
    return folders


NAMES = ["alice", "bob", "carol", "dave", "erin"]


def rewrite_manifest(folder: Path, **changes) -> None:
    m = ShardManifest.read(folder)
    ShardManifest(**{**m.__dict__, **changes}).write(folder)


def test_do_consistent_shards_merge(tmp_path):
    outcome = merge_shards(make_shards(tmp_path, NAMES), tmp_path / "out")
    assert [r.name for r in outcome.rows] == NAMES


@pytest.mark.parametrize("name", ["../victim", "ABSOLUTE", ".", "", "a/../../victim", "grades.csv"])
def test_does_the_merge_refuse_a_name_that_is_no_results_folder(tmp_path, name):
    """A shard.json naming '../victim' made merge rmtree a folder beside --out (and copy into it)."""
    victim = tmp_path / "victim"
    name = str(victim) if name == "ABSOLUTE" else name
    regrade.write_record(SubmissionResult(Path("v.py"), []), victim)
    (victim / "notes.txt").write_text("the instructor's")
    folders = make_shards(tmp_path, NAMES)
    rewrite_manifest(folders[0], names=[*ShardManifest.read(folders[0]).names, name])
    with pytest.raises(KitError, match="not the name of a submission's results folder"):
        merge_shards(folders, tmp_path / "out")
    assert (victim / "notes.txt").read_text() == "the instructor's"


def test_does_the_merge_refuse_links_in_a_shard(tmp_path):
    """A shard synced from object storage may hold links: merge copied a linked student folder's target
    (any folder with a record.json), and links inside one were copied as links to anything on the machine."""
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "key").write_text("private")
    folders = make_shards(tmp_path, NAMES)
    name = ShardManifest.read(folders[0]).names[0]
    (folders[0] / name / "feedback.html").symlink_to(secret / "key")
    with pytest.raises(KitError, match="feedback.html is a symbolic link"):
        merge_shards(folders, tmp_path / "out")
    assert not (tmp_path / "out" / name).exists()


def test_does_the_merge_refuse_a_linked_student_folder(tmp_path):
    folders = make_shards(tmp_path, NAMES)
    name = ShardManifest.read(folders[1]).names[0]
    (tmp_path / "elsewhere").mkdir()
    (folders[1] / name).rename(tmp_path / "elsewhere" / name)
    (folders[1] / name).symlink_to(tmp_path / "elsewhere" / name)
    with pytest.raises(KitError, match=f"{name} is a symbolic link"):
        merge_shards(folders, tmp_path / "out")


def test_does_the_merge_refuse_names_that_are_not_the_graded_list(tmp_path):
    """Names swapped for others (as many) passed: only the count was checked against the listing."""
    folders = make_shards(tmp_path, NAMES)
    names = ShardManifest.read(folders[0]).names
    other = next(n for n in (f"x{i}" for i in range(100)) if shard_of(n, 2) == 0)
    regrade.write_record(SubmissionResult(Path("x.py"), []), folders[0] / other)
    rewrite_manifest(folders[0], names=[*names[:-1], other])
    with pytest.raises(KitError, match="not the ones they were graded from"):
        merge_shards(folders, tmp_path / "out")


def test_does_the_merge_refuse_a_student_in_the_wrong_shard(tmp_path):
    folders = make_shards(tmp_path, NAMES)
    first, second = ShardManifest.read(folders[0]).names, ShardManifest.read(folders[1]).names
    moved = second[0]
    (folders[1] / moved).rename(folders[0] / moved)
    rewrite_manifest(folders[0], names=[*first, moved])
    rewrite_manifest(folders[1], names=second[1:])
    with pytest.raises(KitError, match=f"lists {moved}, which belongs to shard 1/2"):
        merge_shards(folders, tmp_path / "out")


def test_does_the_merge_never_write_over_a_shard_folder(tmp_path):
    """merge shard-* --out results, with results/ holding the shards and a student named shard1: the copy
    of that student's folder deleted a shard folder."""
    names = [*NAMES, "shard1"]
    folders = make_shards(tmp_path, names)
    with pytest.raises(KitError, match="would overwrite the shard folder"):
        merge_shards(folders, tmp_path)
    assert all(ShardManifest.read(f) for f in folders)
    with pytest.raises(KitError, match="is inside the shard folder"):
        merge_shards(folders, folders[0] / "merged")


def test_does_the_merge_replace_a_link_in_out_without_following_it(tmp_path):
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "keep").write_text("x")
    out = tmp_path / "out"
    out.mkdir()
    (out / "alice").symlink_to(victim)
    merge_shards(make_shards(tmp_path, NAMES), out)
    assert (victim / "keep").exists() and not (out / "alice").is_symlink()
    assert (out / "alice" / "record.json").is_file()


def test_does_the_merge_refuse_shards_graded_differently(tmp_path):
    """Shard 0 graded with --details, shard 1 without: the merge mixed students shown their hidden cases'
    details with students who were not (as it would have mixed two versions of the hidden cases)."""
    subs = tmp_path / "subs"
    subs.mkdir()
    buggy = (EXAMPLES / "linear_regression" / "bob_forgot_mean.py").read_text()
    for name in NAMES:
        (subs / f"{name}.py").write_text(buggy)
    for k, details in ((0, ["--details-now"]), (1, [])):
        subprocess.run([sys.executable, "-m", "autograder", "grade", "linear_regression", str(subs), "--out",
                        str(tmp_path / f"s{k}"), "--shard", f"{k}/2", "--quiet", *details], cwd=ROOT, check=True,
                       capture_output=True, timeout=600)
    with pytest.raises(KitError, match="were graded differently"):
        merge_shards([tmp_path / "s0", tmp_path / "s1"], tmp_path / "out")
    assert not (tmp_path / "out").exists()


# --- stopping a run leaves nothing of the students' code running ----------------------------------

UID_BASE = 62000  # this module's own sandbox users: other graders on the machine use the default range
SLEEPS = CORRECT.replace("def predict(X, w, b):\n", "import time\n\n\ndef predict(X, w, b):\n    time.sleep(10_000)\n")


def sandbox_processes() -> list[int]:
    """Processes alive (not zombies) as one of this module's sandbox users."""
    return live_processes_of(range(UID_BASE, UID_BASE + isolation.UID_COUNT))


def wait_for_sleepers(proc: subprocess.Popen, count: int, stderr: Path | None = None) -> set[int]:
    """The sandbox processes once `count` of them have stayed alive a whole second: a sandbox user's process
    seen for a moment (a child setting up, one that ends quickly) is not yet the students' sleeping code."""
    deadline = time.monotonic() + 180
    steady: set[int] = set()
    polls = 0
    while time.monotonic() < deadline and proc.poll() is None:
        now = set(sandbox_processes())
        steady = steady & now if polls else now
        polls = polls + 1 if len(steady) >= count else 0
        if polls > 5:
            return steady
        time.sleep(0.2)
    said = stderr.read_text()[-3000:] if stderr is not None and stderr.exists() else ""
    raise AssertionError(f"the sleepers never ran (grader exit {proc.poll()}): {said}")


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


@needs(is_root(), "the sandbox users exist only when the grader is root")
@pytest.mark.parametrize("stop, jobs, alone", [(signal.SIGINT, 2, False), (signal.SIGTERM, 2, False),
                                               (signal.SIGINT, 1, False), (signal.SIGTERM, 1, False),
                                               (signal.SIGTERM, 1, True), (signal.SIGTERM, 2, True)])
def test_does_stopping_the_grader_kill_the_students_code(tmp_path, stop, jobs, alone):
    """Ctrl-C (SIGINT to the process group) or a scheduler's SIGTERM while students' code sleeps: the zygote
    died without a word to its children, which slept on as orphans, for good. And a SIGTERM to the grader
    alone (kill PID) left its workers grading on, each slot's child running the student's code meanwhile."""
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "a_sleeper.py").write_text(SLEEPS)
    (subs / "b_sleeper.py").write_text(SLEEPS)
    (subs / "c_fine.py").write_text(CORRECT)
    assert sandbox_processes() == []
    workers: list[int] = []
    proc = subprocess.Popen([sys.executable, "-m", "autograder", "grade", "linear_regression", str(subs), "--out",
                             str(tmp_path / "out"), "--jobs", str(jobs), "--quiet"], cwd=ROOT,
                            start_new_session=True, stdout=subprocess.DEVNULL, stderr=(tmp_path / "stderr").open("w"),
                            env={**os.environ, "KIT_SANDBOX_UID_BASE": str(UID_BASE)},
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        wait_for_sleepers(proc, 1, tmp_path / "stderr")
        time.sleep(1)
        workers += workers_of(proc.pid)
        if alone:
            os.kill(proc.pid, stop)
        else:
            os.killpg(proc.pid, stop)
        proc.wait(timeout=60)
        deadline = time.monotonic() + 10
        while (sandbox_processes() or any(map(alive, workers))) and time.monotonic() < deadline:
            time.sleep(0.2)
        left = sandbox_processes()
        workers_left = [w for w in workers if alive(w)]
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        for pid in sandbox_processes():  # never leave them to the next test
            os.kill(pid, signal.SIGKILL)
        for pid in [w for w in workers if alive(w)]:
            os.kill(pid, signal.SIGKILL)
    assert len(workers) == jobs and left == [] and workers_left == []


def workers_of(grader: int) -> list[int]:
    """The grading workers: the grader's children forked from it (the zygote is an interpreter of its own)."""
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                stat = Path(f"/proc/{entry.name}/stat").read_text()
                cmdline = Path(f"/proc/{entry.name}/cmdline").read_bytes()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == grader and b"autograder\0grade" in cmdline:
                found.append(int(entry.name))
    return found


@needs(is_root(), "the sandbox users exist only when the grader is root")
def test_does_a_dead_workers_child_die_with_it(tmp_path):
    """A worker killed in the middle of a submission (out of memory, say) left the child running the
    student's code alive until the end of the batch: the grader still held the slot's socket."""
    subs = tmp_path / "subs"
    subs.mkdir()
    for name in ("a_sleeper", "b_sleeper", "c_sleeper"):
        (subs / f"{name}.py").write_text(SLEEPS)
    proc = subprocess.Popen([sys.executable, "-m", "autograder", "grade", "linear_regression", str(subs), "--out",
                             str(tmp_path / "out"), "--jobs", "2", "--quiet"], cwd=ROOT, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=(tmp_path / "stderr").open("w"),
                            env={**os.environ, "KIT_SANDBOX_UID_BASE": str(UID_BASE)})
    try:
        first = wait_for_sleepers(proc, 2, tmp_path / "stderr")
        for worker in workers_of(proc.pid):
            os.kill(worker, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while set(first) & set(sandbox_processes()) and time.monotonic() < deadline:
            time.sleep(0.2)
        left = set(first) & set(sandbox_processes())
        assert proc.poll() is None  # the batch goes on with new workers
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        for pid in sandbox_processes():
            os.kill(pid, signal.SIGKILL)
    assert left == set()


# --- a stuck worker never hangs the batch --------------------------------------------------------

def stuck_on_three(index: int, sandbox) -> Graded:
    if index == 3:
        time.sleep(10_000)  # whatever a worker may get stuck on: a read that never returns, a bug of ours
    return Graded(index, ScoreRow(f"s{index}", (), None, False))


@pytest.mark.parametrize("slots", [1, 2])
def test_does_a_stuck_worker_cost_only_its_submission(slots):
    """The grader waited on its workers without a limit: one worker stuck on one submission hung the batch; and
    with one slot (--jobs 1, Gradescope) the task ran in the grader's own process, where no deadline held."""
    from test_scale import FakeSandbox
    done, lost = [], {}
    pool = WorkerPool(stuck_on_three, [FakeSandbox(i) for i in range(slots)], lambda: None, FakeSandbox,
                      deadline_s=3)
    start = time.monotonic()
    pool.run(list(range(8)), lambda g: done.append(g.index), lambda i, why: lost.__setitem__(i, why))
    assert lost == {3: overdue(3)} and overdue(3) == ("grading it took longer than the grader's limit of 3 s per "
                                                      "submission, so it was stopped")
    assert sorted(done) == [0, 1, 2, 4, 5, 6, 7] and time.monotonic() - start < 60


def test_is_the_results_folder_inside_the_submissions_never_a_student(tmp_path):
    """grade lr subs --out subs/out, run again: the first run's results were graded as a student named 'out'
    (a 0 row in grades.csv, in the summary and in every shard's listing)."""
    subs = tmp_path / "subs"
    (subs / "out" / "alice").mkdir(parents=True)
    (subs / "out" / "alice" / "results.json").write_text("{}")
    (subs / "alice.py").write_text(CORRECT)
    proc = subprocess.run([sys.executable, "-m", "autograder", "grade", "linear_regression", str(subs), "--out",
                           str(subs / "out"), "--quiet"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert f"{subs / 'out'}: not graded - it is the results folder (--out)" in proc.stderr
    rows = (subs / "out" / "grades.csv").read_text().splitlines()
    assert [r.split(",")[0] for r in rows[1:]] == ["alice"]
