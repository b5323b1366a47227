"""User-facing errors: one sentence that says what was wrong and where.

The CLI prints ``str(error)`` on one line and exits non-zero; it never shows a
traceback from our internals for a mistake in the user's input.
"""

from __future__ import annotations

from pathlib import Path


class KitError(Exception):
    """A mistake in the user's input (a file, an argument, a marker, a spec)."""

    def __init__(self, message: str, *, path: str | Path | None = None,
                 line: int | None = None, cell: int | None = None) -> None:
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line
        self.cell = cell
        super().__init__(self.__str__())

    def location(self) -> str:
        """``file:line`` or ``file, cell N, line M``; empty when nothing is known."""
        if self.path is None:
            return ""
        where = self.path
        if self.cell is not None:
            where += f", cell {self.cell}"
            if self.line is not None:
                where += f", line {self.line}"
        elif self.line is not None:
            where += f":{self.line}"
        return where

    def __str__(self) -> str:
        where = self.location()
        return f"{where}: {self.message}" if where else self.message


class MarkerError(KitError):
    """A BEGIN/END SOLUTION marker problem in a solution file."""


class LeakError(KitError):
    """A student-facing file would contain solution code or hidden-case data."""


class SpecError(KitError):
    """An assignment's spec.toml or cases.toml is missing a key or has a bad value."""


class ChecksError(KitError):
    """An assignment's checks.py disagrees with its spec or cases, or fails on a case."""
