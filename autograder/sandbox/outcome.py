"""How one case of a student's code ended, as the sandbox reports it (checks.judging.Outcome's status).

A str enum: the child writes the first four in its case frames (JSON), and the checks that judge an
outcome, which the notebook's check() runs too, compare its status with these same words.
"""

from __future__ import annotations

import enum


class CaseStatus(str, enum.Enum):  # not enum.StrEnum (3.11): Gradescope's image grades on Python 3.10
    OK = "ok"                # it returned (a value to judge)
    ERROR = "error"          # it raised
    MISSING = "missing"      # the function it was to call is not in the submission
    INVALID = "invalid"      # what it returned cannot be read back
    TIMEOUT = "timeout"      # it ran past its part's wall-time limit (the grader's verdict, never the child's)
    CRASHED = "crashed"      # its process stopped, or broke the protocol (the grader's verdict, never the child's)

    # As StrEnum does: printed and formatted as the plain word.
    def __str__(self) -> str:
        return str.__str__(self)

    def __format__(self, spec: str) -> str:
        return str.__format__(self, spec)
