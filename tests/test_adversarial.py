"""Hostile submissions: the grader survives, the attacked part gets the right verdict, and
nothing else changes - every submission gets in a batch exactly what it gets alone.

Each attack in tests/hostile/ is appended to a correct submission (a later definition
replaces the correct one), so all its other parts are correct code.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time

import pytest

from autograder import paths
from autograder.assignment import load_assignment
from autograder.grading.grade import grade_submission, make_plan
from autograder.grading.results import results_json
from autograder.sandbox import isolation
from autograder.sandbox.client import Sandbox
from conftest import EXAMPLES, ROOT, live_processes_of, notebook_json

HOSTILE = ROOT / "tests" / "hostile"
CORRECT = EXAMPLES / "linear_regression" / "alice_correct.py"

# attack -> (the part it attacks, its score there, what the feedback must say)
VERDICTS = {
    "monkeypatch_comparisons": ("cost_gradients", 0, "dw  FAIL  max |diff|"),
    "lying_objects": ("cost_gradients", 0, "db  FAIL  expected a tensor, got a Liar"),
    "sys_exit": ("cost_gradients", 0, "raised SystemExit"),
    "os_exit": ("cost_gradients", 0, "stopped before it finished this case (did it call os._exit?)"),
    "kill_everything": ("cost_gradients", 0, "expected a tuple (dw, db), got None"),  # it outlives its own SIGKILL as init of its namespace
    "infinite_loop": ("fit_direct", 0, "did not finish within 10 s"),
    "sleeps": ("fit_direct", 0, "did not finish within 10 s"),
    "fork_bomb": ("fit_direct", 0, "did not finish within 10 s"),
    "setsid_escape": ("cost_gradients", 4, "6/6 cases passed"),
    "memory_bomb": ("fit_direct", 0, "DefaultCPUAllocator: can't allocate memory"),
    "floods_output": ("cost_gradients", 4, "6/6 cases passed"),
    "forged_results": ("cost_gradients", 0, ""),
    "reads_secrets": ("cost_gradients", 0, "raised FileNotFoundError: nothing to read"),
    "writes_and_deletes": ("cost_gradients", 0, "raised PermissionError: no damage done"),
    "network": ("cost_gradients", 0, "raised ConnectionError: no network"),
    "modifies_inputs": ("cost_gradients", 0, "modified one of its inputs in place"),
    "uses_autograd": ("cost_gradients", 0, "uses torch.autograd.grad (line"),
    "obfuscated_autograd": ("cost_gradients", 0, "uses importlib.import_module (line"),
    "nan_inf_zero": ("cost_gradients", 0, "got nan - use a numerically stable form"),
    "code_at_import": ("cost_gradients", 4, "6/6 cases passed"),
    "floods_frames": ("cost_gradients", 0, "wrote garbage where its results go"),
    "nested_frames": ("cost_gradients", 0, "wrote garbage where its results go"),
    "scans_memory": ("cost_gradients", 0, "raised PermissionError: no secret in memory"),
    "undo_sandbox": ("cost_gradients", 0, "raised PermissionError: the sandbox held"),
}
ENV_CANARY = "grader-env-canary-" + os.urandom(6).hex()
STUDENT_CANARY = "student-canary-" + os.urandom(6).hex()
PEAK_MEMORY_MB = 1000  # the grader's (or a worker's) largest resident size for this whole batch
_PEAK = ("import resource, subprocess, sys; code = subprocess.run(sys.argv[1:]).returncode; "
         "print('peak', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024, file=sys.stderr); "
         "sys.exit(code)")


class Listener:
    """A TCP port on 127.0.0.1 that records whether anything connected."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
                self.connections += 1
                conn.close()
            except OSError:
                continue

    def close(self) -> None:
        self.stop = True
        self.thread.join()
        self.sock.close()


def scored(data: dict) -> list[dict]:
    """The scored tests of a results.json: one per part ("<part> (hidden case details)" are not)."""
    return [t for t in data["tests"] if not t["name"].endswith(" (hidden case details)")]


def strip_timings(data: dict) -> dict:
    return {k: v for k, v in data.items() if k != "execution_time"}


def differences(a: dict, b: dict) -> str:
    """The tests whose entries differ, both versions, for a readable failure."""
    out = [f"top: {a.get('output')!r} != {b.get('output')!r}"] if a.get("output") != b.get("output") else []
    for x, y in zip(a.get("tests", []), b.get("tests", [])):
        if x != y:
            out.append(f"{x['name']}:\n--- one ---\n{x['output']}\n--- other ---\n{y['output']}")
    return "\n".join(out)


UID_BASE = 64000  # this module's own sandbox users: other graders on the machine use the default range


def sandbox_processes() -> list[int]:
    """Processes still alive (not zombies) as one of this module's sandbox users."""
    return live_processes_of(range(UID_BASE, UID_BASE + isolation.UID_COUNT))


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """The hostile submissions and two clean ones, graded twice as one batch and once each alone."""
    subs = tmp_path_factory.mktemp("subs")
    out = tmp_path_factory.mktemp("out")
    other = subs / "zz_other_student.py"
    other.write_text(f"# {STUDENT_CANARY}\n" + CORRECT.read_text() + f"\nNOTE = {STUDENT_CANARY!r}\n")
    listener = Listener()
    fill = {"{ROOT}": str(ROOT), "{OTHER}": str(other), "{OUT}": str(out), "{PORT}": str(listener.port),
            "{CANARIES}": repr([ENV_CANARY.encode().hex(), STUDENT_CANARY.encode().hex()])}
    for attack in VERDICTS:
        text = (HOSTILE / f"{attack}.py").read_text()
        for key, value in fill.items():
            text = text.replace(key, value)
        (subs / f"{attack}.py").write_text(CORRECT.read_text() + "\n\n# ---- the attack ----\n" + text)
    cells = [("code", CORRECT.read_text()), ("code", "x = 1\n" * 300_000), ("markdown", "`" * 10)]
    (subs / "huge_cell.ipynb").write_text(notebook_json(*cells))
    (subs / "deep_nesting.ipynb").write_text('{"cells": ' + "[" * 200_000 + "]" * 200_000 + "}")
    guarded = {p: p.read_bytes() for p in (paths.solution_file("linear_regression"), other, ROOT / "README.md")
               if p.exists()}

    def grade_batch() -> tuple[subprocess.CompletedProcess, dict[str, dict]]:
        proc = subprocess.run([sys.executable, "-c", _PEAK, sys.executable, "-m", "autograder", "grade",
                               "linear_regression", str(subs),
                               "--out", str(out), "--jobs", "2", "--quiet"], cwd=ROOT, capture_output=True,
                              text=True, timeout=900, env={**os.environ, "KIT_GRADER_TOKEN": ENV_CANARY,
                                                             "KIT_SANDBOX_UID_BASE": str(UID_BASE)})
        found = {p.parent.name: json.loads(p.read_text()) for p in out.glob("*/results.json")}
        return proc, found

    first_proc, first = grade_batch()
    time.sleep(3)  # give a detached process the time it wanted for its forged write
    after_wait = {p.parent.name: p.read_text() for p in out.glob("*/results.json")}
    second_proc, second = grade_batch()
    plan = make_plan(load_assignment("linear_regression"))
    os.environ["KIT_GRADER_TOKEN"] = ENV_CANARY  # this process is the grader now
    saved_base, isolation.UID_BASE = isolation.UID_BASE, UID_BASE  # what the zygote is told to use
    with Sandbox(hide=(str(subs), str(out))) as sandbox:
        alone = {path.stem: results_json(grade_submission(plan, path, sandbox))
                 for path in sorted(subs.iterdir())}
    del os.environ["KIT_GRADER_TOKEN"]
    isolation.UID_BASE = saved_base
    listener.close()
    yield {"first": first, "second": second, "alone": alone, "procs": (first_proc, second_proc), "out": out,
           "after_wait": after_wait, "guarded": guarded, "listener": listener}


def test_does_the_grader_survive_and_exit_0(batch):
    for proc in batch["procs"]:
        assert proc.returncode == 0, proc.stderr
    assert len(batch["first"]) == len(VERDICTS) + 3


@pytest.mark.parametrize("attack", VERDICTS)
def test_does_the_attacked_part_get_the_right_verdict(batch, attack):
    part, score, says = VERDICTS[attack]
    tests = {t["name"]: t for t in scored(batch["first"][attack])}
    assert tests[part]["score"] == score, tests[part]["output"]
    assert says in tests[part]["output"]


@pytest.mark.parametrize("attack", VERDICTS)
def test_do_the_parts_it_does_not_touch_keep_full_marks(batch, attack):
    part, _, _ = VERDICTS[attack]
    callers = {"cost_gradients": {"gradient_descent"}}.get(part, set())  # they call the attacked function
    for test in scored(batch["first"][attack]):
        if test["name"] != part and test["name"] not in callers:
            assert test["score"] == test["max_score"], test["output"]


def test_does_every_submission_get_in_the_batch_what_it_gets_alone(batch):
    for stem, alone in batch["alone"].items():
        assert strip_timings(batch["first"][stem]) == strip_timings(alone), \
            f"{stem}\n{differences(batch['first'][stem], alone)}"


def test_does_grading_twice_give_identical_results(batch):
    for stem in batch["first"]:
        assert strip_timings(batch["first"][stem]) == strip_timings(batch["second"][stem]), \
            f"{stem}\n{differences(batch['first'][stem], batch['second'][stem])}"


def test_are_forged_and_delayed_writes_powerless(batch):
    out = batch["out"]
    for text in batch["after_wait"].values():
        assert '"score": 1000' not in text
    assert not any(out.glob("pwned*")) and not (out / "hacked.txt").exists()
    assert json.loads((out / "forged_results" / "results.json").read_text())["score"] < 17


def test_are_the_kit_and_other_students_files_untouched(batch):
    for path, content in batch["guarded"].items():
        assert path.read_bytes() == content, path
    assert (ROOT / "assignments" / "linear_regression" / "cases.toml").exists()
    assert not (ROOT / "autograder" / "hacked.py").exists()


def test_did_nothing_reach_the_network(batch):
    assert batch["listener"].connections == 0


def test_is_no_sandbox_process_left_running(batch):
    deadline = time.monotonic() + 5  # the kernel tears a process namespace down asynchronously
    while sandbox_processes() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert sandbox_processes() == []


def test_does_no_canary_reach_any_output(batch):
    texts = [p.read_bytes().decode("utf-8", "replace") for p in batch["out"].rglob("*") if p.is_file()
             and p.parent.name != "zz_other_student"]  # that student's own feedback may quote its own file
    texts += [text for proc in batch["procs"] for text in (proc.stdout, proc.stderr)]
    texts += [json.dumps(r) for name, r in batch["alone"].items() if name != "zz_other_student"]
    assert len(texts) > 40
    assert [t for t in texts if ENV_CANARY in t or STUDENT_CANARY in t] == []


def test_does_the_batch_stay_within_its_memory_and_time(batch):
    for proc in batch["procs"]:
        peak = int(proc.stderr.rsplit("peak ", 1)[1].split()[0])
        assert peak < PEAK_MEMORY_MB, proc.stderr[-2000:]
    for attack in ("floods_frames", "nested_frames"):
        assert (batch["out"] / attack / "results.json").stat().st_size < 100_000


def test_does_a_flood_of_output_keep_results_small(batch):
    assert (batch["out"] / "floods_output" / "results.json").stat().st_size < 1_000_000


def test_are_hostile_notebooks_handled(batch):
    huge = batch["first"]["huge_cell"]
    assert huge["score"] == 17 and "skipped - the cell has more than" in huge["output"]
    deep = batch["first"]["deep_nesting"]
    assert deep["score"] == 0 and "nested too deeply" in deep["output"]
