"""Put the results of ``grade --shard K/N`` back together, as one unsharded run would have written them.

Each shard's folder holds its students' folders and a shard.json (shards.py). The merge refuses
shards that do not make one whole: another assignment, another list of submissions, a shard
given twice or missing, a student in two shards, a student's folder missing. Only then does it
copy the students' folders and write grades.csv and the summary from their records.
"""

from __future__ import annotations

import os
import shutil
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from ..errors import KitError
from . import regrade
from .scores import ScoreRow
from .shards import ShardManifest, listing_digest, shard_of
from ..sandbox.protections import SandboxReport
from .summary import BatchSummary, write_batch_files


@dataclass
class MergeOutcome:
    assignment: str
    shards: int
    rows: list[ScoreRow]
    part_names: list[str]
    summary: BatchSummary | None


def merge_shards(folders: list[Path], out: Path) -> MergeOutcome:
    """Merge the --out folders of every shard of one batch into out, as one run would have written it; a
    KitError, with nothing written, when they do not make one whole."""
    manifests = [ShardManifest.read(f) for f in folders]
    _check_whole(folders, manifests, out)
    rows = _read_rows(folders, manifests)
    _copy_students(folders, manifests, out)  # only once every shard has been read
    rows.sort(key=lambda r: r.name)
    first = manifests[0]
    summary = write_batch_files(rows, first.parts, out, first.assignment, _sandbox_sections(manifests))
    return MergeOutcome(first.assignment, first.count, rows, first.parts, summary)


def _read_rows(folders: list[Path], manifests: list[ShardManifest]) -> list[ScoreRow]:
    """Each listed student's row, from the record.json in its folder."""
    rows = []
    for folder, manifest in zip(folders, manifests):
        for name in manifest.names:
            source = folder / name
            record = regrade.read_record(source)
            if record is None:
                raise KitError(f"shard {manifest.index}/{manifest.count} lists {name} but has no {regrade.RECORD} "
                               f"for it", path=source)
            rows.append(record.row(name))
    return rows


def _copy_students(folders: list[Path], manifests: list[ShardManifest], out: Path) -> None:
    """Copy each student's folder into out, replacing what is there (a link is removed, never followed)."""
    out.mkdir(parents=True, exist_ok=True)
    for folder, manifest in zip(folders, manifests):
        for name in manifest.names:
            target = out / name
            if target.is_symlink() or target.is_file():
                target.unlink()
            elif target.exists():
                shutil.rmtree(target)
            shutil.copytree(folder / name, target)


def _sandbox_sections(manifests: list[ShardManifest]) -> list[str]:
    """summary.md's Sandbox section: each shard ran on a host of its own, so what its sandbox held; once, as
    a run says it, when all agree."""
    reports = [SandboxReport.from_json(m.sandbox) for m in manifests if m.sandbox]
    if reports and all(r == reports[0] for r in reports) and len(reports) == len(manifests):
        return [reports[0].markdown_section()]
    return [SandboxReport.from_json(m.sandbox).markdown_section(f"## Sandbox of shard {m.index}/{m.count}")
            for m in manifests]


def _check_whole(folders: list[Path], manifests: list[ShardManifest], out: Path) -> None:
    """Refuse shards that do not make one whole, and an --out that would write over them: each check a
    KitError saying what is wrong and what to do, in this order, before anything is written."""
    _check_graded_alike(folders, manifests)
    resolved = [f.resolve() for f in folders]
    _check_out_apart(folders, resolved, out)
    _check_every_shard_once(folders, manifests)
    names = _check_students(folders, manifests, resolved, out)
    _check_listing(folders, manifests, names)


def _check_graded_alike(folders: list[Path], manifests: list[ShardManifest]) -> None:
    """Every shard is of one batch: the same assignment, N, submissions, grading files and parts."""
    first, where = manifests[0], folders[0]
    for folder, m in zip(folders[1:], manifests[1:]):
        if m.assignment != first.assignment:
            raise KitError(f"{folder} holds shards of {m.assignment}, {where} of {first.assignment}: merge the "
                           "shards of one assignment")
        if m.count != first.count:
            raise KitError(f"{folder} is shard {m.index}/{m.count}, {where} is {first.index}/{first.count}: "
                           "every shard of one batch has the same N")
        if m.listing != first.listing or m.submissions != first.submissions:
            raise KitError(f"{folder} and {where} were graded from different lists of submissions ({m.submissions} "
                           f"and {first.submissions}): grade every shard from the same submissions")
        if m.grading != first.grading:
            raise KitError(f"{folder} and {where} were graded differently: another version of the assignment's spec, "
                           "cases or checks, or of the kit, or --details on one and not the other - grade every "
                           "shard alike")
        if m.parts != first.parts:
            raise KitError(f"{folder} graded the parts {', '.join(m.parts)}, {where} graded {', '.join(first.parts)}")


def _check_out_apart(folders: list[Path], resolved: list[Path], out: Path) -> None:
    """--out is neither a shard's folder nor inside one (resolved: the shards' folders, resolved)."""
    if out.resolve() in resolved:
        raise KitError(f"--out {out} is one of the shards' folders: give a new folder for the merged results")
    inside = next((f for f, r in zip(folders, resolved) if r in out.resolve().parents), None)
    if inside is not None:
        raise KitError(f"--out {out} is inside the shard folder {inside}: give a folder outside the shards")


def _check_every_shard_once(folders: list[Path], manifests: list[ShardManifest]) -> None:
    """Each of the N shards is given, and none twice."""
    count = manifests[0].count
    given = Counter(m.index for m in manifests)
    for index, times in given.items():
        if times > 1:
            twice = [str(f) for f, m in zip(folders, manifests) if m.index == index]
            raise KitError(f"shard {index}/{count} is given {times} times: {', '.join(twice)}")
    missing = [i for i in range(count) if i not in given]
    if missing:
        raise KitError(f"shard{'s' if len(missing) > 1 else ''} {', '.join(f'{i}/{count}' for i in missing)} "
                       f"{'are' if len(missing) > 1 else 'is'} missing: {len(manifests)} of {count} shards given")


def _check_students(folders: list[Path], manifests: list[ShardManifest], resolved: list[Path],
                    out: Path) -> list[str]:
    """Every listed student is in one shard only, with a folder holding no link, whose copy in out would not
    land on a shard's folder. The students' names, in the shards' order."""
    owner: dict[str, Path] = {}
    for folder, m in zip(folders, manifests):
        for name in m.names:
            if name in owner:
                raise KitError(f"{name} was graded in two shards, {owner[name]} and {folder}: grade each shard "
                               "into its own empty folder")
            owner[name] = folder
            if not (folder / name).is_dir():
                raise KitError(f"shard {m.index}/{m.count} lists {name} but has no folder for it", path=folder)
            _refuse_links(folder / name)
            target = (out / name).resolve()
            clash = next((f for f, r in zip(folders, resolved) if r == target or target in r.parents), None)
            if clash is not None:
                raise KitError(f"merging {name} into {out} would overwrite the shard folder {clash}: give an --out "
                               "folder apart from the shards")
    return list(owner)


def _check_listing(folders: list[Path], manifests: list[ShardManifest], names: list[str]) -> None:
    """The students are the very submissions the shards were graded from, each in the shard its name falls in."""
    first = manifests[0]
    if len(names) != first.submissions:
        raise KitError(f"the shards hold {len(names)} of the {first.submissions} submissions listed: some shard "
                       "was graded with --only, or its folder was changed since")
    if listing_digest(names) != first.listing:
        raise KitError("the shards' submissions are not the ones they were graded from (the names differ from the "
                       "list in their shard.json): was a shard folder changed since it was graded?")
    for folder, m in zip(folders, manifests):
        stray = next((n for n in m.names if shard_of(n, m.count) != m.index), None)
        if stray is not None:
            raise KitError(f"shard {m.index}/{m.count} lists {stray}, which belongs to shard "
                           f"{shard_of(stray, m.count)}/{m.count}: was its folder changed since it was graded?",
                           path=folder)


def _refuse_links(student: Path) -> None:
    """grade writes no symbolic links: one in a shard folder (synced from elsewhere, or edited) could make the
    merge copy whatever it points at into the results."""
    links = [student] if student.is_symlink() else []
    for dirpath, dirnames, filenames in os.walk(student):
        links += [p for p in (Path(dirpath) / n for n in dirnames + filenames) if p.is_symlink()]
    if links:
        raise KitError(f"{links[0]} is a symbolic link; a shard folder holds only the files grade wrote - "
                       "copy the shards without links and merge again")
