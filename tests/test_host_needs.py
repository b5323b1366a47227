"""A security test that cannot run on this machine is a skip with its reason locally, and a failure in CI."""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import ROOT

PROBE = '''
from host_needs import cannot_run, host_variant, needs

@needs(False, "this machine has no frobnicator")
def test_marked():
    pass

def test_called():
    cannot_run("no cgroups here: probe")

def test_other_host():
    host_variant("covers a cgroup v2 host")

@needs(True, "never said")
def test_can_run():
    pass
'''


def run_probe(tmp_path, kit_ci: str | None) -> str:
    (tmp_path / "test_probe.py").write_text(PROBE)
    env = {k: v for k, v in os.environ.items() if k != "KIT_CI"}
    if kit_ci is not None:
        env["KIT_CI"] = kit_ci
    # The kit's own conftest (its hook, loaded as a plugin) and pyproject (markers, -rs) apply.
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(ROOT),
                           "-c", str(ROOT / "pyproject.toml"), "-p", "conftest", str(tmp_path / "test_probe.py")],
                          cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**env, "PYTHONPATH": str(ROOT / "tests")})
    return proc.stdout + proc.stderr


def test_does_a_missing_capability_skip_with_its_reason_outside_ci(tmp_path):
    out = run_probe(tmp_path, None)
    assert "1 passed, 3 skipped" in out, out
    assert "this machine has no frobnicator" in out and "no cgroups here: probe" in out  # -rs lists the reasons
    assert "test_probe.py" in out and "host_needs.py" not in out  # at each test's own place


def test_does_a_missing_capability_fail_under_kit_ci(tmp_path):
    out = run_probe(tmp_path, "1")
    assert "1 failed, 1 passed, 1 skipped, 1 error" in out, out  # a marked test fails at setup: an error
    assert "KIT_CI=1 and this security test cannot run on this machine: this machine has no frobnicator" in out
    assert "covers a cgroup v2 host" in out  # another kind of host: a skip, in CI too
