"""Similarity of submissions: which pairs share more code than independent work would.

``python -m autograder similarity ASSIGNMENT SUBMISSIONS... --out DIR [--reference DIR]``
compares the code the grader takes from each submission (a notebook's imports and
definitions, not its experiments), minus what the starter code gives everyone, pair by pair,
and against earlier terms' submissions when given. Modules, one job each:

- ``sources``  which code each submission contributes (the grader's own discovery and ingest)
- ``detect``   the comparison itself: copydetect's winnowed fingerprints of the token stream
- ``report``   similarity.csv and the self-contained similarity.html
- ``run``      ``run_similarity``, the one function the CLI calls
"""

from .run import Summary, run_similarity

__all__ = ["Summary", "run_similarity"]
