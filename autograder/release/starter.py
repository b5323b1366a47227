"""The starter file a student downloads: a short header, then the solution file with stubs."""

from __future__ import annotations

from .markers import make_starter
from .sources import AssignmentSources, display_path, load_sources


def starter_header(assignment: str, title: str) -> str:
    return (
        f"# Starter code for {title}.\n"
        "# Implement every TODO: replace each `raise NotImplementedError(...)` with your code.\n"
        f"# Check your work locally with: python -m autograder check {assignment} {assignment}.py\n"
        "\n"
    )


def build_starter(assignment: str, sources: AssignmentSources | None = None) -> str:
    """starter_code/<id>.py: header + the solution file with every region stubbed."""
    src = sources or load_sources(assignment)
    body = make_starter(src.solution_text, display_path(src.solution_path))
    return starter_header(assignment, src.title) + body
