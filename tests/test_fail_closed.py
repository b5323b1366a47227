"""Below the sandbox's floor no student code runs, unless the instructor says so; every output says which.

The host is a container whose runtime's seccomp profile predates Landlock (tests/host_modes.py's
container-no-landlock): no namespaces, no Landlock, so a child could read the kit and write elsewhere.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import EXAMPLES, ROOT
from host_modes import command_in
from host_needs import host_variant, is_root, needs

# slow: builds an emulated container and grades in it
pytestmark = [pytest.mark.slow, needs(is_root(), "the emulated container is built as root")]
ALICE = EXAMPLES / "linear_regression" / "alice_correct.py"


def kit(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    argv = command_in("container-no-landlock", [sys.executable, "-m", "autograder", *args], keep=(str(ROOT),))
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=600,
                          env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")})


def test_does_grade_refuse_below_the_floor_and_say_what_is_missing(tmp_path):
    out = tmp_path / "out"
    proc = kit("grade", "linear_regression", str(ALICE), "--out", str(out), "--quiet")
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("error: the sandbox cannot hold its floor on this host, so no student code was run.")
    assert "reads nothing but the system" in proc.stderr and "--allow-weak-sandbox" in proc.stderr
    assert "Landlock (" in proc.stderr  # named among the layers the host refused
    assert not (out / "grades.csv").exists()


def test_does_the_sandbox_command_measure_the_same_and_exit_1():
    proc = kit("sandbox", "--json")
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    held = {g["key"]: g["held"] for g in report["guarantees"]}
    assert report["floor_held"] is False and held["read"] is False and held["network"] is True


def test_does_allow_weak_sandbox_grade_and_say_below_the_floor_everywhere(tmp_path):
    subs, out = tmp_path / "subs", tmp_path / "out"
    subs.mkdir()
    for name in ("alice", "bob"):
        shutil.copy(ALICE, subs / f"{name}.py")
    proc = kit("grade", "linear_regression", str(subs), "--out", str(out), "--quiet", "--allow-weak-sandbox",
               "--shard", "0/1")
    assert proc.returncode == 0, proc.stderr
    said = [line for line in proc.stderr.splitlines() if line.startswith("sandbox:")]
    assert len(said) == 1 and said[0].startswith("sandbox: BELOW THE FLOOR: not held: read")
    summary = (out / "summary.md").read_text()
    assert "## Sandbox" in summary and "BELOW THE FLOOR" in summary and "| Landlock | no |" in summary
    shard = json.loads((out / "shard.json").read_text())
    assert shard["sandbox"]["floor_held"] is False
    assert "17,17" in (out / "grades.csv").read_text()


def test_does_the_gradescope_run_tell_the_student_their_code_was_not_run(tmp_path):
    root = tmp_path / "autograder"
    (root / "submission").mkdir(parents=True)
    shutil.copy(ALICE, root / "submission" / "linear_regression.py")
    argv = command_in("container-no-landlock", [sys.executable, "-m", "autograder.gradescope.run", "linear_regression",
                                                "--root", str(root)], keep=(str(ROOT),))
    proc = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")})
    assert proc.returncode == 2
    results = json.loads((root / "results" / "results.json").read_text())
    assert results["score"] == 0 and results["tests"] == []
    assert results["output"].startswith("Your code was not run") and "BELOW THE FLOOR" in results["output"]


def test_is_a_child_that_keeps_uid_0_below_the_floor():
    # A container whose Python lies under /root (0700): no sandbox user can import from it, so the child keeps
    # uid 0, whose processes the kernel never counts. The probe's fork with its limit at 0 goes through.
    argv = command_in("container-python-under-root", [sys.executable, "-m", "autograder", "sandbox", "--json"],
                      keep=(str(ROOT),))
    proc = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")})
    report = json.loads(proc.stdout)
    if all(os.stat(folder).st_mode & 0o001 for folder in Path(sys.executable).resolve().parents):
        host_variant("this machine's interpreter is open to every user: nothing to cover")
    held = {g["key"]: g for g in report["guarantees"]}
    assert proc.returncode == 1 and report["floor_held"] is False
    assert held["processes"]["held"] is False and "a fork still worked (uid 0" in held["processes"]["evidence"]
    assert held["imports"]["held"] is True  # it kept uid 0 so that honest imports work
    user = next(layer for layer in report["layers"] if layer["name"] == "separate user")
    assert user["on"] is False and "cannot reach" in user["detail"]
