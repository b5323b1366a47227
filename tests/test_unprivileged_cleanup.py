"""An ordinary user's grader leaves no student process behind (found by attacking the sandbox; failed before its fix)."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

import pytest

from conftest import EXAMPLES, grade_as_user, live_processes_of

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


@pytest.mark.skipif(os.geteuid() != 0, reason="builds an ordinary user's grader with tests/as_user.py (needs root)")
def test_no_student_process_outlives_an_ordinary_users_grader():
    """An ordinary user's grader: the child forks into a namespace of its own, and its init (the student's code)
    is no longer in the process group the zygote kills; the zygote must kill it as well."""
    assert live_processes_of([UNPRIVILEGED_UID]) == [], "processes of the test user before the run"
    base = Path(tempfile.mkdtemp(prefix="redteam-"))
    try:
        subs, out = base / "subs", base / "out"
        subs.mkdir()
        out.mkdir()
        correct = (EXAMPLES / "linear_regression" / "alice_correct.py").read_text()
        (subs / "outlives.py").write_text(correct + OUTLIVES)
        (subs / "alice.py").write_text(correct)
        proc = grade_as_user(UNPRIVILEGED_UID, base, subs, out, jobs=1, timeout=300)
        assert proc.returncode == 0, proc.stderr[-3000:]
        time.sleep(0.5)
        left = live_processes_of([UNPRIVILEGED_UID])
        for pid in left:  # clean up before failing
            try:
                os.kill(pid, 9)
            except OSError:
                pass
        assert left == [], f"processes left running after the batch: {left}"
    finally:
        shutil.rmtree(base, ignore_errors=True)
