"""Where the kit's files live, relative to the repository root."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENTS = ROOT / "assignments"
SOLUTIONS = ROOT / "solutions"
STARTER_CODE = ROOT / "starter_code"
NOTEBOOKS = ROOT / "notebooks"
DIST = ROOT / "dist"

ASSIGNMENT_IDS = ("linear_regression", "logistic_regression", "softmax_regression", "mlp")


def assignment_dir(assignment: str) -> Path:
    return ASSIGNMENTS / assignment


def solution_file(assignment: str) -> Path:
    return SOLUTIONS / f"{assignment}.py"


def starter_file(assignment: str) -> Path:
    return STARTER_CODE / f"{assignment}.py"


def notebook_file(assignment: str) -> Path:
    return NOTEBOOKS / f"{assignment}.ipynb"
