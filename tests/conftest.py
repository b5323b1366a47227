"""Shared fixtures: one warm sandbox and grading plans for the whole test session."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

EXAMPLES = ROOT / "examples"


@pytest.fixture(scope="session")
def sandbox():
    from autograder.sandbox.client import Sandbox
    with Sandbox() as sb:
        yield sb


@pytest.fixture(scope="session")
def lr_plan():
    from autograder.grading.grade import make_plan
    return make_plan("linear_regression")


@pytest.fixture
def write(tmp_path):
    """write(name, text) -> path of a new file in a temporary folder."""
    def _write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.write_text(text)
        return path
    return _write


def notebook_json(*cells: tuple[str, str] | tuple[str, str, list[str]]) -> str:
    """A minimal nbformat-4 notebook from (cell_type, source[, tags]) tuples."""
    import json
    out = []
    for cell in cells:
        kind, source = cell[0], cell[1]
        tags = cell[2] if len(cell) > 2 else []
        entry = {"cell_type": kind, "metadata": {"tags": tags} if tags else {}, "source": source}
        if kind == "code":
            entry.update(outputs=[], execution_count=None)
        out.append(entry)
    return json.dumps({"cells": out, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
