"""``run_similarity``: find, compare, write. The one function the CLI calls."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..atomic import write_atomically
from ..errors import KitError
from ..layout import Layout
from .detect import Pair, compare_all
from .report import similarity_csv, similarity_html
from .sources import starter_code, submission_code


@dataclass(frozen=True)
class Summary:
    html: Path
    csv: Path
    pairs: tuple[Pair, ...]      # most similar first
    notes: tuple[str, ...]       # submissions left out, and why


def run_similarity(layout: Layout, assignment: str, inputs: list[Path], out: Path,
                   references: list[Path] | None = None) -> Summary:
    """Compare every pair of submissions in inputs (and each with references); write DIR/similarity.*."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise KitError(f"--out {out} is a file, not a folder")
    starter = starter_code(layout, assignment)
    codes, notes = submission_code(inputs, assignment)
    refs, ref_notes = submission_code(references or [], assignment, reference=True)
    pairs, empty = compare_all(codes + refs, starter)
    notes += ref_notes + [f"{name}: left out: nothing beyond the starter code" for name in empty]
    if not pairs:  # fewer than two of this term's, and no earlier term's to compare one with
        own = len([c for c in codes if c.name not in empty])
        raise KitError(f"fewer than two submissions to compare ({own} with code of their own"
                       + (f", {len(refs)} of earlier terms" if refs else "") + ")")
    out.mkdir(parents=True, exist_ok=True)
    html_path, csv_path = out / "similarity.html", out / "similarity.csv"
    write_atomically(csv_path, similarity_csv(pairs))
    write_atomically(html_path, similarity_html(assignment, pairs, submissions=len(codes), references=len(refs), notes=notes))
    return Summary(html_path, csv_path, tuple(pairs), tuple(notes))
