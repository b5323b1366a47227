"""The kit as an installed package: `pip install -e .` (scripts/setup.sh) gives `course-kit`."""

from __future__ import annotations

import pytest

import importlib.metadata
import subprocess
import sys
import tomllib
from pathlib import Path

import autograder
from conftest import ROOT

pytestmark = pytest.mark.slow  # installs the kit and runs its command from other folders

SCRIPT = Path(sys.executable).parent / "course-kit"


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    assert SCRIPT.is_file(), f"{SCRIPT} is missing: run 'bash scripts/setup.sh' (it runs pip install -e .)"
    return subprocess.run([str(SCRIPT), *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def test_is_the_installed_distribution_this_checkout_with_its_version():
    assert importlib.metadata.version("pytorch-course-kit") == autograder.__version__
    entry = {e.name: e.value for e in importlib.metadata.entry_points(group="console_scripts")}
    assert entry["course-kit"] == "autograder.cli:run"
    with (ROOT / "pyproject.toml").open("rb") as f:
        assert tomllib.load(f)["project"]["scripts"] == {"course-kit": "autograder.cli:run"}


def test_does_course_kit_print_its_version():
    proc = run("--version", cwd=Path("/"))
    assert (proc.returncode, proc.stdout) == (0, f"course-kit {autograder.__version__}\n")


def test_does_course_kit_run_a_command_from_a_folder_deep_inside_the_course():
    proc = run("release", "--check", "mlp", cwd=ROOT / "assignments" / "mlp")
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "generated files are up to date\n", "")


def test_does_python_m_autograder_work_inside_an_assignment_folder_too():
    # notebook.py and checks.py there must not shadow modules of those names
    proc = subprocess.run([sys.executable, "-m", "autograder", "release", "--check", "mlp"],
                          cwd=ROOT / "assignments" / "mlp", capture_output=True, text=True, timeout=300)
    assert (proc.returncode, proc.stdout) == (0, "generated files are up to date\n"), proc.stderr
