"""Splitting one batch across machines: which submissions shard K of N grades, and what it leaves behind.

A submission's shard depends on its name alone (a hash of it), so every machine that lists the
same submissions, in any order, agrees on the split without talking to the others. Each shard's
results folder gets ``shard.json``: the assignment, K and N, a digest of the whole list of names
and the names it graded, which is what ``merge`` checks before it puts the shards together.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..atomic import write_atomically
from ..errors import KitError
from .collect import is_results_name

MANIFEST = "shard.json"
MANIFEST_KIND = "course-kit grading shard"
MANIFEST_VERSION = 2
# Where a scheduler puts an array job's index, in the order they are tried.
INDEX_VARIABLES = ("SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX", "AWS_BATCH_JOB_ARRAY_INDEX")


@dataclass(frozen=True)
class Shard:
    index: int          # K, from 0
    count: int          # N
    source: str | None = None  # the environment variable K came from (--shard auto/N)

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def takes(self, name: str) -> bool:
        return shard_of(name, self.count) == self.index


def shard_of(name: str, count: int) -> int:
    """The shard (0 .. count-1) of a submission's name: the same on every machine and in every order."""
    return int.from_bytes(hashlib.sha256(name.encode("utf-8", "surrogatepass")).digest()[:8], "big") % count


def parse_shard(text: str, environ: Mapping[str, str] | None = None) -> Shard:
    """``K/N``, or ``auto/N`` with K from the scheduler's array index (Slurm, Kubernetes, AWS Batch)."""
    env = os.environ if environ is None else environ
    index_text, sep, count_text = text.partition("/")
    if not sep or not count_text.strip().isdigit() or int(count_text) < 1:
        raise KitError(f"--shard {text}: write K/N, K from 0 to N-1 (e.g. --shard 0/4), or auto/N")
    count = int(count_text)
    if index_text.strip() == "auto":
        return _from_environment(count, env, text)
    if not index_text.strip().isdigit() or int(index_text) >= count:
        raise KitError(f"--shard {text}: K must be a whole number from 0 to {count - 1}")
    return Shard(int(index_text), count)


def _from_environment(count: int, env: Mapping[str, str], text: str) -> Shard:
    name = next((v for v in INDEX_VARIABLES if env.get(v, "").strip()), None)
    if name is None:
        raise KitError(f"--shard {text}: none of {', '.join(INDEX_VARIABLES)} is set; give K/N instead")
    raw = env[name].strip()
    # Slurm numbers an array from wherever --array starts (1-8, say): count from its first index.
    first = env.get("SLURM_ARRAY_TASK_MIN", "0").strip() if name == "SLURM_ARRAY_TASK_ID" else "0"
    if not raw.isdigit() or not first.isdigit():
        raise KitError(f"--shard {text}: {name}={raw!r} is not a whole number")
    index = int(raw) - int(first)
    if not 0 <= index < count:
        offset = f" minus SLURM_ARRAY_TASK_MIN={first}" if first != "0" else ""
        raise KitError(f"--shard {text}: {name}={raw}{offset} gives shard {index}, outside 0..{count - 1}; "
                       f"the array must have exactly {count} tasks")
    return Shard(index, count, name)


def listing_digest(names: list[str]) -> str:
    """One digest of the whole list of submission names (in any order): shards of one batch share it."""
    return hashlib.sha256("\n".join(sorted(names)).encode("utf-8", "surrogatepass")).hexdigest()


def grading_digest(grading_files: dict[str, str], hidden_details: bool) -> str:
    """What decides the grades besides the submissions: the assignment's spec, cases and checks (name -> text,
    as loaded), the kit's version, and whether students see hidden cases' details. Shards of one batch share it."""
    from .. import __version__
    digest = hashlib.sha256(f"{__version__}\n{hidden_details}\n".encode())
    for name, text in sorted(grading_files.items()):
        digest.update(name.encode() + b"\0" + text.encode("utf-8", "surrogatepass") + b"\0")
    return digest.hexdigest()


@dataclass(frozen=True)
class ShardManifest:
    """What a shard's results folder says of itself (shard.json)."""

    assignment: str
    index: int
    count: int
    listing: str            # listing_digest of every submission in the batch, all shards together
    submissions: int        # how many there are in the batch
    names: list[str]        # the ones this shard graded
    parts: list[str]        # the parts graded (a --parts rerun names only those)
    grading: str = ""       # grading_digest: the same assignment files, kit and --details on every shard
    sandbox: dict = field(default_factory=dict)  # protections.SandboxReport.to_json(): what held on its host

    def write(self, folder: Path) -> None:
        data = {"kind": MANIFEST_KIND, "version": MANIFEST_VERSION, **asdict(self)}
        write_atomically(folder / MANIFEST, json.dumps(data, indent=1) + "\n")

    @classmethod
    def read(cls, folder: Path) -> "ShardManifest":
        path = folder / MANIFEST
        if not folder.is_dir():
            raise KitError(f"{folder} is not a folder: give the --out folders of 'grade --shard K/N'")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise KitError(f"{folder} has no {MANIFEST}: it is not the --out folder of 'grade --shard K/N'") from None
        except (OSError, ValueError) as e:
            raise KitError(f"cannot be read ({e})", path=path) from None
        if not isinstance(data, dict) or data.get("kind") != MANIFEST_KIND or data.get("version") != MANIFEST_VERSION:
            raise KitError(f"not a shard manifest this kit reads (version {MANIFEST_VERSION})", path=path)
        sandbox = data.get("sandbox")
        try:
            manifest = cls(str(data["assignment"]), int(data["index"]), int(data["count"]), str(data["listing"]),
                           int(data["submissions"]), [str(n) for n in data["names"]], [str(p) for p in data["parts"]],
                           str(data["grading"]), sandbox if isinstance(sandbox, dict) else {})
        except (KeyError, TypeError, ValueError) as e:
            raise KitError(f"a shard manifest without a valid {e}", path=path) from None
        # The names become folders under merge's --out: only names grade itself could have written.
        bad = next((n for n in manifest.names if not is_results_name(n)), None)
        if bad is not None:
            raise KitError(f"lists {bad!r}, which is not the name of a submission's results folder", path=path)
        return manifest
