"""A source file of the course (solution, checks.py, notebook source) as read once, byte for byte."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .layout import Layout


def read_text(path: Path) -> str:
    """File text with its line endings untouched, so outputs can stay byte-identical."""
    with Path(path).open(encoding="utf-8", newline="") as f:
        return f.read()


@dataclass(frozen=True)
class SourceFile:
    path: Path
    text: str
    shown: str  # its path as messages name it (relative to the course root)

    @classmethod
    def read(cls, layout: Layout, path: Path) -> "SourceFile":
        return cls(Path(path), read_text(path), layout.shown(path))
