"""The package's type hints hold: mypy (settings in pyproject.toml) finds nothing in autograder/."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import ROOT

pytestmark = pytest.mark.slow  # a minute with a cold cache


def test_does_mypy_find_no_error_in_the_package():
    run = subprocess.run([sys.executable, "-m", "mypy", "--no-error-summary", "--cache-dir",
                          str(ROOT / ".mypy_cache")], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, f"mypy exit {run.returncode}:\n{run.stdout[-6000:]}{run.stderr[-2000:]}"
