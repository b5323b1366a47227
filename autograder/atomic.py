"""Write a file that readers see whole or not at all: every file the kit writes for people or for itself
(results.json, feedback pages, grades.csv, summary.md, record.json, shard.json, the gradebook, the
Gradescope zip, the similarity report)."""

from __future__ import annotations

import os
from pathlib import Path


def write_atomically(path: Path, data: str | bytes) -> None:
    """Write data to path (text as UTF-8, with Python's newline translation) through a temporary file
    in the same folder and a rename, so a reader, or a run stopped half-way, never sees half a file;
    path's folder is made if it is missing. The temporary file (.NAME.tmp) is removed if the write fails.

    No fsync, as none of the writers it replaced had one: this guards against a reader and an interrupted
    run, not against the machine losing power (the next run rewrites each file whole)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        if isinstance(data, str):
            tmp.write_text(data, encoding="utf-8")
        else:
            tmp.write_bytes(data)
        os.replace(tmp, path)
    except BaseException:  # a full disk, an unencodable character, Ctrl-C: leave no temporary file behind
        tmp.unlink(missing_ok=True)
        raise
