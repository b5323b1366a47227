"""The benchmark scripts still run against the code as it is (a smoke run each, a few submissions): a benchmark that
breaks silently when an API moves reports nothing the next time someone needs its figures."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from conftest import ROOT
from host_needs import is_root, needs

pytestmark = pytest.mark.slow  # runs the benchmark scripts


def run_benchmark(*args: str) -> str:
    proc = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def test_does_the_throughput_benchmark_run_and_print_its_ratio():
    out = run_benchmark("benchmarks/grading_throughput.py", "--count", "4", "--rounds", "1", "--fresh-sample", "1")
    assert "ratio to a bare import:" in out and "grade, fresh process each" in out and "submissions:            4" in out


@needs(is_root(), "emulating a container host needs root")
def test_does_the_throughput_benchmark_time_the_floor_against_full_root():
    out = run_benchmark("benchmarks/grading_throughput.py", "--count", "4", "--rounds", "1", "--fresh-sample", "0",
                        "--modes", "root,container")
    assert "ratio to a bare import:" in out and "on a container host:" in out and "x the root host's ratio" in out


def test_does_the_scaling_benchmark_run_and_print_its_table():
    out = run_benchmark("benchmarks/grading_scaling.py", "--count", "4", "--jobs", "2", "--no-halves")
    assert "jobs    wall N" in out and "\n   2 " in out


@needs(is_root(), "reads the sandbox children's memory, which only root may")
def test_does_the_gradescope_memory_benchmark_run_and_grade_the_reference_fully():
    out = run_benchmark("benchmarks/gradescope_memory.py", "--assignments", "linear_regression")
    assert "linear_regression: score 17/17" in out and "worst peak:" in out
