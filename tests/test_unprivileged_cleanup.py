"""An ordinary user's grader leaves no student process behind (found by attacking the sandbox; failed before its fix).

On both ordinary users' hosts of tests/host_modes.py: with user namespaces (the child forks into a
process namespace of its own, whose init is the student's code) and without (no process namespace at
all: what escapes the child's group is re-parented to the zygote, a subreaper, which must kill it).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from conftest import EXAMPLES, grade_as_user, live_processes_of
from host_needs import is_root, needs

pytestmark = pytest.mark.slow  # grades as an ordinary user and checks what is left

UNPRIVILEGED_UID = 4243  # its own throwaway user: processes left behind are found by it

# The student's code runs as init of a namespace that the child made itself (isolation._become_init: what an
# ordinary user's grader does); it leaves the process group the zygote kills and never exits.
OUTLIVES = '''

def cost_gradients(X, t, w, b):
    import os, time
    try:
        os.setsid()
    except OSError:
        pass
    os._exit = lambda code=0: time.sleep(120)
    n = X.shape[0]
    err = X @ w + b - t
    return X.T @ err / n, err.mean()
'''
# A detached grandchild (setsid, double fork) that outlives the part: without a process namespace only the
# zygote, its subreaper, can find it.
ESCAPES = '''

_escaped = []


def fit_direct(X, t):
    import os, time
    if not _escaped:
        _escaped.append(True)
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                time.sleep(120)
            os._exit(0)
    Xb = torch.cat([X, torch.ones(X.shape[0], 1, dtype=X.dtype)], dim=1)
    sol = torch.linalg.lstsq(Xb, t.unsqueeze(1)).solution.squeeze(1)
    return sol[:-1], sol[-1]
'''


@needs(is_root(), "builds an ordinary user's grader with tests/host_modes.py (needs root)")
@pytest.mark.parametrize("mode", ["user", "user-no-userns"])
def test_no_student_process_outlives_an_ordinary_users_grader(mode):
    """The child forks into a namespace of its own (user) or escapes its group with setsid and a double fork
    (both hosts); the zygote must kill all of it, and the correct student beside them gets full marks."""
    assert live_processes_of([UNPRIVILEGED_UID]) == [], "processes of the test user before the run"
    base = Path(tempfile.mkdtemp(prefix="redteam-"))
    try:
        subs, out = base / "subs", base / "out"
        subs.mkdir()
        out.mkdir()
        correct = (EXAMPLES / "linear_regression" / "alice_correct.py").read_text()
        (subs / "outlives.py").write_text(correct + OUTLIVES)
        (subs / "escapes.py").write_text(correct + ESCAPES)
        (subs / "zz_alice.py").write_text(correct)
        proc = grade_as_user(UNPRIVILEGED_UID, base, subs, out, jobs=1, timeout=300, mode=mode)
        assert proc.returncode == 0, proc.stderr[-3000:]
        time.sleep(0.5)
        left = live_processes_of([UNPRIVILEGED_UID])
        for pid in left:  # clean up before failing
            try:
                os.kill(pid, 9)
            except OSError:
                pass
        assert left == [], f"processes left running after the batch: {left}"
        grades = (out / "grades.csv").read_text().splitlines()
        assert any(line.startswith("zz_alice,17") for line in grades), grades
        # Its forks run in the sandbox (which kills them all, above); the rules refuse os.fork, so the part
        # that forks (fit_direct, 3 points) earns nothing.
        assert any(line.startswith("escapes,14") for line in grades), grades
    finally:
        shutil.rmtree(base, ignore_errors=True)


# Honest code that starts one worker process (as multiprocessing or a DataLoader would).
FORKS_ONCE = '''

def cost_gradients(X, t, w, b):
    import os
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    n = X.shape[0]
    err = X @ w + b - t
    return X.T @ err / n, err.mean()
'''
# The TA's other work on the same account (an editor, a notebook server): 100 threads, as many tasks.
BUSY_ACCOUNT = ("import os, sys, threading, time; uid = int(sys.argv[1]); os.setgroups([]); "
                "os.setresgid(uid, uid, uid); os.setresuid(uid, uid, uid); "
                "[threading.Thread(target=time.sleep, args=(120,), daemon=True).start() for _ in range(100)]; "
                "print('ready', flush=True); time.sleep(120)")


@needs(is_root(), "builds an ordinary user's grader with tests/host_modes.py (needs root)")
@pytest.mark.parametrize("mode", ["user", "user-no-userns"])
def test_does_a_busy_account_grade_code_that_forks(mode):
    """The TA's account runs other things (100 threads here): the grader still runs code that forks once, to the
    end. A child's process limit that counted every task of the TA's account would refuse."""
    base = Path(tempfile.mkdtemp(prefix="busy-"))
    busy = subprocess.Popen([sys.executable, "-c", BUSY_ACCOUNT, str(UNPRIVILEGED_UID)], stdout=subprocess.PIPE,
                            text=True)
    try:
        assert busy.stdout.readline().strip() == "ready"
        subs, out = base / "subs", base / "out"
        subs.mkdir()
        out.mkdir()
        (subs / "forks_once.py").write_text((EXAMPLES / "linear_regression" / "alice_correct.py").read_text()
                                            + FORKS_ONCE)
        proc = grade_as_user(UNPRIVILEGED_UID, base, subs, out, jobs=1, timeout=300, mode=mode)
        assert proc.returncode == 0, proc.stderr[-3000:]
        grades = (out / "grades.csv").read_text().splitlines()
        # The fork runs (a process limit that counted the account's 100 threads would make it fail in the
        # child); the rules refuse os.fork, so cost_gradients and gradient_descent earn nothing: 17 - 8.
        assert any(line.startswith("forks_once,9") for line in grades), grades
    finally:
        busy.kill()
        busy.wait()
        shutil.rmtree(base, ignore_errors=True)
