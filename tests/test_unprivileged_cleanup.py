"""An ordinary user's grader leaves no student process behind (found by attacking the sandbox; failed before its fix)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from conftest import EXAMPLES, ROOT

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


def _alive(uid: int) -> list[int]:
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                lines = Path(f"/proc/{entry.name}/status").read_text().splitlines()
            except OSError:
                continue
            fields = dict(line.split(":", 1) for line in lines if ":" in line)
            if int(fields["Uid"].split()[0]) == uid and not fields["State"].strip().startswith(("Z", "X")):
                found.append(int(entry.name))
    return found


@pytest.mark.skipif(os.geteuid() != 0, reason="builds an ordinary user's grader with tests/as_user.py (needs root)")
def test_no_student_process_outlives_an_ordinary_users_grader():
    """An ordinary user's grader: the child forks into a namespace of its own, and its init (the student's code)
    is no longer in the process group the zygote kills; the zygote must kill it as well."""
    assert _alive(UNPRIVILEGED_UID) == [], "processes of the test user before the run"
    base = Path(tempfile.mkdtemp(prefix="redteam-"))
    try:
        subs, out = base / "subs", base / "out"
        subs.mkdir()
        out.mkdir()
        correct = (EXAMPLES / "linear_regression" / "alice_correct.py").read_text()
        (subs / "outlives.py").write_text(correct + OUTLIVES)
        (subs / "alice.py").write_text(correct)
        for path in (base, subs, out, *subs.iterdir()):
            os.chown(path, UNPRIVILEGED_UID, UNPRIVILEGED_UID)
        os.chmod(base, 0o755)
        proc = subprocess.run([sys.executable, str(ROOT / "tests" / "as_user.py"), str(UNPRIVILEGED_UID), str(ROOT),
                               "--", sys.executable, "-m", "autograder", "grade", "linear_regression", str(subs),
                               "--out", str(out), "--jobs", "1", "--quiet"],
                              cwd=ROOT, capture_output=True, text=True, timeout=300,
                              env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(base)})
        assert proc.returncode == 0, proc.stderr[-3000:]
        time.sleep(0.5)
        left = _alive(UNPRIVILEGED_UID)
        for pid in left:  # clean up before failing
            try:
                os.kill(pid, 9)
            except OSError:
                pass
        assert left == [], f"processes left running after the batch: {left}"
    finally:
        shutil.rmtree(base, ignore_errors=True)
