"""The starter file a student downloads: a short header, then the solution file with stubs."""

from __future__ import annotations

from .solution import Solution


def starter_header(assignment: str, title: str) -> str:
    return (
        f"# Starter code for {title}.\n"
        "# Implement every TODO: replace each `raise NotImplementedError(...)` with your code.\n"
        f"# Check your work locally with: python check_{assignment}.py {assignment}.py\n"
        "\n"
    )


def build_starter(assignment: str, title: str, solution: Solution) -> str:
    """starter_code/<id>.py: header + the solution file with every region stubbed."""
    return starter_header(assignment, title) + solution.starter()
