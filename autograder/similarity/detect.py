"""Compare every pair of submissions with copydetect's fingerprints (k-grams of the token stream).

copydetect tokenizes Python with Pygments and replaces every name by one letter (variables
V, functions F, classes O) and drops comments and whitespace, so renamed identifiers, new
comments and reformatting change nothing; fingerprints are order-free, so reordered
functions change nothing either. What the starter code gives everyone (signatures,
docstrings, imports) is removed from every fingerprint set before comparing.

Every k-gram is kept (window 1) rather than winnowed: winnowing picks the smallest hash of
each window, and Python's string hashes change from run to run, so winnowed scores would
too. Submissions are a few kilobytes, so keeping them all costs nothing.
"""

from __future__ import annotations

import io
import itertools
from dataclasses import dataclass

import numpy as np

from .sources import Code

NOISE = 25   # the shortest match that counts, in characters of the token stream (copydetect's default)


@dataclass(frozen=True)
class Pair:
    a: Code
    b: Code
    share_a: float                 # the fraction of a's own code (beyond the starter) also in b
    share_b: float
    slices_a: tuple[tuple[int, int], ...]   # (start, end) character ranges of a.source that match b
    slices_b: tuple[tuple[int, int], ...]

    @property
    def score(self) -> float:
        """The larger share: a short submission wholly inside a long one is still a copy."""
        return max(self.share_a, self.share_b)


def _fingerprint(source: str, boilerplate: np.ndarray | None):
    """copydetect's fingerprint of one module; the .py name picks its Python tokenizer."""
    from copydetect import CodeFingerprint
    return CodeFingerprint("submission.py", NOISE, 1, boilerplate=boilerplate, fp=io.StringIO(source))


def compare_all(codes: list[Code], starter: str) -> tuple[list[Pair], list[str]]:
    """Every pair with a this-term submission in it, most similar first, and the names left out
    because nothing of theirs goes beyond the starter code."""
    from copydetect import compare_files
    boilerplate = np.unique(np.array(list(_fingerprint(starter, None).hashes)))
    prints, empty = {}, []
    for code in codes:
        fp = _fingerprint(code.source, boilerplate)
        if fp.token_coverage == 0:
            empty.append(code.name)
        else:
            prints[code.name] = fp
    pairs = []
    for a, b in itertools.combinations([c for c in codes if c.name in prints], 2):
        if a.reference and b.reference:
            continue  # earlier terms among themselves were compared back then
        _, (share_a, share_b), (slices_a, slices_b) = compare_files(prints[a.name], prints[b.name])
        pairs.append(Pair(a, b, float(share_a), float(share_b), _ranges(slices_a), _ranges(slices_b)))
    pairs.sort(key=lambda p: (-p.score, p.a.name, p.b.name))
    return pairs, empty


def _ranges(slices: np.ndarray) -> tuple[tuple[int, int], ...]:
    if slices.size == 0:
        return ()
    return tuple((int(s), int(e)) for s, e in zip(slices[0], slices[1]))
