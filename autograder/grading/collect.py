"""Find the submissions to grade, whatever shape they arrive in, and give each a stable name.

Understood layouts (they may be mixed on one command line):

- a file: ``alice.py`` -> ``alice``
- a folder of files: ``subs/alice.py``, ``subs/bob.ipynb`` -> ``alice``, ``bob``
- a folder of per-student folders: ``subs/alice/anything.ipynb`` -> ``alice``
- a Gradescope bulk export ("Download submissions", unzipped): ``submission_metadata.yml``
  beside one ``submission_<id>/`` folder per submission -> each submitter's sid, or the
  local part of their email when there is no sid (a group submission: one entry per member)

The name is where the results go (``OUT/<name>/``) and the row in grades.csv, so it must
not depend on anything but the input. Two files that would get one name are an error that
names both, never an overwrite. The exception is one student's own files: in a student's
folder, or a notebook beside a .py of the same name, one file is graded by the Gradescope
autograder's rule (a notebook wins) and a note says which, and which were not.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import KitError

SUBMISSION_SUFFIXES = (".py", ".ipynb")  # in any case: alice.PY is graded as alice.py
ONLY_PY_AND_IPYNB = "only .py and .ipynb files are graded"
NOT_A_SUBMISSION = f"not graded - not a submission ({ONLY_PY_AND_IPYNB})"
GRADESCOPE_METADATA = "submission_metadata.yml"
_UNSAFE = re.compile(r"[^\w.-]+")  # \w: the letters and digits of every script, and _
_MAX_NAME_BYTES = 120
_SKIPPED_FOLDERS = {"__MACOSX", "__pycache__"}
MAX_FOLDER_DEPTH = 40  # folders inside a student's folder (a real upload nests a few); deeper is refused
# What a batch writes beside the students' folders: no student's folder may take one of these names.
BATCH_FILES = ("grades.csv", "summary.md", "shard.json")


@dataclass
class Submission:
    """One student's submission: the name its results go under and the file to grade."""

    name: str
    path: Path                      # the file to grade; the student's folder when problem is set
    notes: list[str] = field(default_factory=list)  # said in the batch output and to the student
    problem: str | None = None      # nothing gradable was handed in: graded 0 with this message
    student: dict[str, str] = field(default_factory=dict)  # name, email, sid from a Gradescope export
    submitted_at: dt.datetime | None = None
    origin: str = "file"            # "file", "folder" (a student's folder) or "gradescope"
    folder: Path | None = None      # the student's folder, for "folder" and "gradescope"


def safe_name(text: str) -> str:
    """A readable folder name that cannot climb out of the results folder, the same for the same text.

    Letters and digits of any script are kept (Müller stays Müller); other ASCII characters
    become _ (so "alice smith" and "alice_smith" still clash, and that is an error). Where
    characters outside ASCII had to go (emoji, undecodable bytes) or the name is cut short,
    a short hash of the whole text is added, so that two such names never meet; so too when the
    name is one of the files a batch writes beside the students' folders (grades.csv ...).
    """
    text = unicodedata.normalize("NFC", str(text))
    cleaned = _UNSAFE.sub("_", text).lstrip(".")
    lost = any(not c.isascii() for c in "".join(_UNSAFE.findall(text)))
    if len(cleaned.encode("utf-8", "surrogatepass")) > _MAX_NAME_BYTES:
        cleaned, lost = cleaned[:40], True
    lost = lost or cleaned.lower() in BATCH_FILES
    if not lost:
        return cleaned or "submission"
    digest = hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    # lstrip again: "_.x" would otherwise become ".x-...", a hidden folder that regrading does not see.
    return f"{cleaned.strip('_').lstrip('.') or 'submission'}-{digest}"


def is_results_name(name: str) -> bool:
    """Could safe_name have given this name: one plain folder name inside the results folder, never a
    hidden one or a batch file (what merge requires of the names a shard.json lists)."""
    return (bool(name) and _UNSAFE.search(name) is None and not name.startswith(".")
            and name.lower() not in BATCH_FILES and len(name.encode("utf-8", "surrogatepass")) <= _MAX_NAME_BYTES + 9)


def is_submission_file(path: Path) -> bool:
    """Whether the name ends in .py or .ipynb, in any case (a Windows or macOS upload may say ALICE.PY)."""
    return path.suffix.lower() in SUBMISSION_SUFFIXES


def is_notebook(path: Path) -> bool:
    return path.suffix.lower() == ".ipynb"


def find_submissions(inputs: list[Path], assignment: str | None = None,
                     skipped: list[str] | None = None) -> list[Submission]:
    """Every submission in the given files and folders, sorted by name; clashing names are a KitError.

    assignment: in a student's folder with several files, the one named after it is graded first.
    skipped: receives one line for each file that is not graded and why: one given by name that is no
    submission (a .txt), and each such file at the top of a folder given (notes.txt beside the students'
    files); hidden files (.DS_Store) and archive debris (__MACOSX/) are passed over without a word.
    """
    candidates: list[Submission] = []
    for item in inputs:
        if item.is_dir():
            candidates += _from_folder(item, assignment, skipped)
        elif item.is_file():
            if item.suffix.lower() == ".zip":
                raise KitError(f"{item} is a zip archive; unzip it and give the folder instead")
            if not is_submission_file(item):  # an instructor's slip, not a student scoring 0
                if skipped is not None:
                    skipped.append(f"{item}: {NOT_A_SUBMISSION}")
                continue
            candidates.append(Submission(safe_name(item.stem), item))
        else:
            raise KitError(f"no such file or folder: {item}")
    by_name: dict[str, list[Submission]] = {}
    for sub in candidates:
        by_name.setdefault(sub.name, []).append(sub)
    found = [_one_per_name(name, subs) for name, subs in sorted(by_name.items())]
    _refuse_names_equal_but_for_case(found)
    return found


def _refuse_names_equal_but_for_case(subs: list[Submission]) -> None:
    """Alice/ and alice/ are one folder on a case-insensitive disk (macOS, Windows, some synced storage):
    one student's files would overwrite the other's, so the two are a clash like any other."""
    seen: dict[str, Submission] = {}
    for sub in subs:
        other = seen.setdefault(sub.name.casefold(), sub)
        if other is not sub:
            raise KitError(f"two submissions would be written to folders whose names differ only in case, "
                           f"{other.name}/ and {sub.name}/ (one folder on a case-insensitive disk): {other.path} "
                           f"and {sub.path} - rename one of them")


def choose_file(files: list[Path], folder: Path | None = None,
                assignment: str | None = None) -> tuple[Path, str | None]:
    """The one file to grade among one student's .py/.ipynb files, and a note naming the others.

    The rule of the Gradescope autograder (autograder/gradescope/run.py), so that regrading a
    bulk export grades the file Gradescope graded: a notebook wins over .py files (a Colab user
    who also uploads an exported .py ran the notebook); among several, the one named after the
    assignment, else the first by depth and name. Names are relative to folder when given.
    """
    rel = lambda p: p.relative_to(folder).as_posix() if folder else p.name  # noqa: E731
    files = sorted(set(files), key=lambda p: (len(Path(rel(p)).parts), rel(p)))
    notebooks = [f for f in files if is_notebook(f)]
    pool = notebooks or files
    named = [f for f in pool if assignment and f.stem == assignment]
    chosen = (named or pool)[0]
    others = [rel(f) for f in files if f != chosen]
    if not others:
        return chosen, None
    rules = []
    if notebooks and len(notebooks) < len(files):
        rules.append("a notebook is graded when the submission has one")
    if len(pool) > 1:
        rules.append(f"of several, the one named {chosen.name} is graded" if named
                     else "of several, the first in name order, top folder first, is graded")
    return chosen, f"graded {rel(chosen)}; not graded: {', '.join(others)} ({'; '.join(rules)})"


def _one_per_name(name: str, subs: list[Submission]) -> Submission:
    distinct: list[Submission] = []
    for sub in subs:  # a file named twice (itself and in its folder) is one submission
        if all(sub.path.resolve() != d.path.resolve() for d in distinct):
            distinct.append(sub)
    if len(distinct) == 1:
        return distinct[0]
    # Only a notebook and a .py of one name side by side are one student's; anything else may be two.
    notebooks = [s for s in distinct if is_notebook(s.path)]
    pair = (len(distinct) == 2 and len(notebooks) == 1 and all(s.origin == "file" for s in distinct)
            and distinct[0].path.parent.resolve() == distinct[1].path.parent.resolve())
    if not pair:
        a, b = distinct[0].path, distinct[1].path
        raise KitError(f"two submissions would both be written to {name}/: {a} and {b} - rename one of them")
    path, note = choose_file([s.path for s in distinct])
    chosen = notebooks[0]
    if note is not None:  # always, with two files: it names the other
        chosen.notes.append(note)
    return chosen


class FolderTooDeep(Exception):
    """A student's folder holds folders nested deeper than MAX_FOLDER_DEPTH."""


def walk(folder: Path, max_depth: int = MAX_FOLDER_DEPTH) -> Iterator[tuple[str, list[str], list[str]]]:
    """os.walk(folder) top down, without following linked folders, but iterative: FolderTooDeep for a folder
    more than max_depth levels below folder (os.walk and Path.rglob recurse, and a tree 1,000 levels deep
    raises RecursionError). Folders that cannot be read are passed over, as os.walk does."""
    todo = [(os.fspath(folder), 0)]
    while todo:
        top, depth = todo.pop()
        try:
            with os.scandir(top) as scan:
                entries = list(scan)
        except OSError:
            continue
        dirnames: list[str] = []
        filenames: list[str] = []
        for entry in entries:
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            (dirnames if is_dir else filenames).append(entry.name)
        yield top, dirnames, filenames  # the caller may prune dirnames, as with os.walk
        below = [d for d in dirnames if not os.path.islink(os.path.join(top, d))]
        if below and depth >= max_depth:
            outer = Path(top).relative_to(folder).parts[0]
            raise FolderTooDeep(f"folders nested deeper than {max_depth} levels were handed in (in {outer}/); "
                                "nothing was graded - hand in your .ipynb or .py file itself, not folders around it")
        todo += [(os.path.join(top, d), depth + 1) for d in reversed(below)]


def _submission_files(folder: Path) -> tuple[list[Path], list[Path]]:
    """.py/.ipynb files under folder (skipping hidden ones, checkpoints and archive debris), and the
    symbolic links met on the way, which are never followed: a link may point at anything on the machine."""
    files, links = [], []
    for dirpath, dirnames, filenames in walk(folder):  # linked folders are not followed
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d not in _SKIPPED_FOLDERS)
        for name in [*dirnames, *filenames]:
            path = here / name
            if path.is_symlink() and not name.startswith("."):
                links.append(path)
        for name in filenames:
            path = here / name
            # Regular files only: a FIFO or device named x.py (a tar unpacked as root) would block the read.
            if is_submission_file(path) and not name.startswith(".") and not path.is_symlink() \
                    and path.is_file():
                files.append(path)
    return sorted(files), sorted(links)


def _link_note(links: list[Path], folder: Path) -> str:
    shown = ", ".join(p.relative_to(folder).as_posix() for p in links[:5])
    more = f" and {len(links) - 5} more" if len(links) > 5 else ""
    return f"not followed: {shown}{more} (a symbolic link; hand in the file itself)"


def _visible(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if not p.name.startswith(".") and p.name not in _SKIPPED_FOLDERS)


def _from_folder(folder: Path, assignment: str | None, skipped: list[str] | None = None) -> list[Submission]:
    if (folder / GRADESCOPE_METADATA).is_file():
        _skip_loose_files(_visible(folder), skipped, GRADESCOPE_METADATA)
        return _from_gradescope_export(folder, assignment)
    entries = _visible(folder)
    exports = [d for d in entries if d.is_dir() and (d / GRADESCOPE_METADATA).is_file()]
    if exports and len(exports) == len([d for d in entries if d.is_dir()]):
        _skip_loose_files(entries, skipped)
        return [s for export in exports for s in _from_folder(export, assignment, skipped)]
    found = []
    for link in (e for e in entries if e.is_symlink()):  # never followed: it may point anywhere
        if is_submission_file(link) or link.is_dir():
            name = safe_name(link.stem if is_submission_file(link) else link.name)
            found.append(Submission(name, link, problem=f"{link.name} is a symbolic link; it was not followed - "
                                    "hand in the file itself"))
    found += [Submission(safe_name(f.stem), f) for f in entries
              if not f.is_symlink() and f.is_file() and is_submission_file(f)]
    for student in (d for d in entries if d.is_dir() and not d.is_symlink()):
        found.append(student_submission(student, safe_name(student.name), assignment, origin="folder"))
    if not found:
        others = [e.name for e in entries][:5]
        what = f"found: {', '.join(others)}{' ...' if len(entries) > 5 else ''}" if others else "the folder is empty"
        raise KitError(f"no submissions found in {folder} ({ONLY_PY_AND_IPYNB}; {what})")
    _skip_loose_files(entries, skipped)
    return found


def _skip_loose_files(entries: list[Path], skipped: list[str] | None, *keep: str) -> None:
    """One line in skipped for each visible entry of a submissions folder that is neither a submission
    file nor a folder (notes.txt, README.md, a link to something else): the instructor sees what was
    left out, and why, instead of a student missing from grades.csv without a word."""
    if skipped is None:
        return
    for entry in entries:
        if entry.name in keep:
            continue
        if entry.is_symlink():
            if not (is_submission_file(entry) or entry.is_dir()):  # those are graded 0 with a note
                skipped.append(f"{entry}: not graded - a symbolic link, never followed (and not a .py or .ipynb "
                               "file)")
        elif entry.is_dir():
            continue
        elif not entry.is_file():
            skipped.append(f"{entry}: not graded - not a regular file")
        elif not is_submission_file(entry):
            skipped.append(f"{entry}: {NOT_A_SUBMISSION}")


def student_submission(folder: Path, name: str, assignment: str | None, **extra) -> Submission:
    """The one file to grade in a student's folder (a Gradescope upload, an export entry, a folder of
    per-student folders), or a Submission whose problem says why there is none."""
    if folder.is_symlink():
        return Submission(name, folder, problem=f"{folder.name} is a symbolic link; it was not followed", **extra)
    try:
        return _read_student_folder(folder, name, assignment, **extra)
    except FolderTooDeep as e:  # nor one that nests folders a thousand deep
        return Submission(name, folder, problem=str(e), folder=folder, **extra)
    except OSError as e:  # one unreadable folder must not cost the batch
        return Submission(name, folder, problem=f"the folder {folder.name} could not be read ({e.strerror or e}); "
                                                "nothing in it was graded", folder=folder, **extra)


def _read_student_folder(folder: Path, name: str, assignment: str | None, **extra) -> Submission:
    if not os.access(folder, os.R_OK | os.X_OK):
        raise PermissionError(13, "Permission denied")
    files, links = _submission_files(folder)
    link_notes = [_link_note(links, folder)] if links else []
    if not files:
        others = [name for top, _, names in walk(folder) for name in sorted(names)
                  if not os.path.islink(os.path.join(top, name)) and os.path.isfile(os.path.join(top, name))][:5]
        expected = f"expected {assignment}.ipynb or {assignment}.py; " if assignment else ""
        what = f" ({expected}found: {', '.join(others)})" if others else f" ({expected}the folder is empty)"
        return Submission(name, folder, notes=link_notes, problem=f"no .py or .ipynb file was handed in{what}",
                          folder=folder, **extra)
    path, note = choose_file(files, folder, assignment)
    return Submission(name, path, notes=([note] if note else []) + link_notes, folder=folder, **extra)


# --- Gradescope bulk export -----------------------------------------------------------------

def _from_gradescope_export(export: Path, assignment: str | None) -> list[Submission]:
    metadata = read_gradescope_metadata(export / GRADESCOPE_METADATA)
    found = []
    for folder_name, entry in sorted(metadata.items()):
        folder = export / folder_name
        if Path(folder_name).name != folder_name or folder_name.startswith("."):
            raise KitError(f"{folder_name!r} is not a submission folder's name", path=export / GRADESCOPE_METADATA)
        if not folder.is_dir():
            raise KitError(f"{GRADESCOPE_METADATA} lists {folder_name}, but {folder} is not there - "
                           "was the export unzipped completely?")
    people = [(folder_name, entry, submitter_of(person))
              for folder_name, entry in sorted(metadata.items()) for person in entry.get(":submitters") or [{}]]
    for (folder_name, entry, student), name in zip(people, gradescope_names([p[2] for p in people])):
        folder = export / folder_name
        own = gradescope_name(student)
        name = name or safe_name(folder_name)
        sub = student_submission(folder, name, assignment, student=student, origin="gradescope",
                                 submitted_at=_timestamp(entry.get(":created_at")))
        if own is not None and name != own:  # another person of the export has this sid or local part
            which = "sid" if student.get("sid") else "email's local part"
            sub.notes.append(f"another submitter in this export has the {which} {own!r} too: graded as {name} "
                             f"(with a hash of the email) so that both are graded - check the roster's {which}s")
        found.append(sub)
    listed = set(metadata)
    for extra in (d for d in _visible(export) if d.is_dir() and d.name not in listed):
        raise KitError(f"{extra} is in the Gradescope export but not in its {GRADESCOPE_METADATA}; "
                       "remove it or download the export again")
    return found


def submitter_of(person: dict) -> dict[str, str]:
    """A :submitters entry of submission_metadata.yml as {"name", "email", "sid"} (stripped text)."""
    return {k: str(person.get(f":{k}") or "").strip() for k in ("name", "email", "sid")}


def gradescope_name(student: dict[str, str]) -> str | None:
    """The results name of a submitter: the sid, else the email's local part (lower case), else None.
    (Of a whole export, gradescope_names: two submitters' local parts may be the same.)"""
    if student.get("sid"):
        return safe_name(student["sid"])
    if "@" in student.get("email", ""):
        return safe_name(student["email"].split("@", 1)[0].lower())
    return None


def gradescope_names(students: list[dict[str, str]]) -> list[str | None]:
    """The results name of every submitter of one export, in order: gradescope_name's, except where that
    name is another person's too (alice@a.edu and alice@b.edu without sids; a student who typed a
    classmate's sid): then each of them gets the name and a short hash of their email (alice-1f0e3dad), the
    same in every run and distinct, so one student's data never stops the export. A name only one person
    has is left as it is. One person listed twice (the same sid and email) is left to clash."""
    names = [gradescope_name(s) for s in students]
    for round_ in range(8):  # a later round only if a hashed name met another's name (one chosen to meet it)
        holders: dict[str, set[str]] = {}
        for student, name in zip(students, names):
            if name is not None:
                holders.setdefault(name.casefold(), set()).add(_identity(student))
        shared = {name for name, people in holders.items() if len(people) > 1}
        if not shared:
            break
        for i, (student, name) in enumerate(zip(students, names)):
            if name is not None and name.casefold() in shared:
                source = student.get("email", "").lower() or _identity(student)
                digest = hashlib.sha1(f"{round_}:{source}".encode("utf-8", "surrogatepass") if round_ else
                                      source.encode("utf-8", "surrogatepass")).hexdigest()[:8]
                base = student.get("sid") or student["email"].split("@", 1)[0].lower()
                names[i] = safe_name(f"{base}-{digest}")
    return names


def _identity(student: dict[str, str]) -> str:
    """Who a submitter is, as far as the export says: two entries with one sid and one email are one person."""
    return "\0".join((student.get("sid", ""), student.get("email", "").lower()))


def read_gradescope_metadata(path: Path) -> dict[str, dict]:
    """submission_metadata.yml -> {"submission_<id>": {":submitters": [...], ":created_at": ...}}.

    Gradescope writes the file with Ruby's YAML (symbol keys such as ``:sid:``, now and then a
    ``!ruby/...`` tag); it is read with PyYAML's safe loader, tags taken as plain data.
    """
    import yaml

    class _Loader(yaml.SafeLoader):
        pass

    def _untagged(loader: yaml.SafeLoader, suffix: str, node: yaml.Node):
        if isinstance(node, yaml.MappingNode):
            return loader.construct_mapping(node, deep=True)
        if isinstance(node, yaml.SequenceNode):
            return loader.construct_sequence(node, deep=True)
        return loader.construct_scalar(node)

    def _int(loader: yaml.SafeLoader, node: yaml.Node):
        try:
            return yaml.SafeLoader.construct_yaml_int(loader, node)
        except ValueError:  # more digits than Python reads (a sid, say): the text as written
            return loader.construct_scalar(node)

    _Loader.add_multi_constructor("!", _untagged)
    _Loader.add_multi_constructor("tag:yaml.org,2002:", _untagged)
    _Loader.add_constructor("tag:yaml.org,2002:int", _int)
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    except (yaml.YAMLError, UnicodeDecodeError, ValueError, RecursionError) as e:
        first = (str(e).splitlines() or [type(e).__name__])[0]
        raise KitError(f"cannot read the Gradescope export's metadata: {first}", path=path) from None
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, dict) for k, v in data.items()):
        raise KitError("this is not a Gradescope export's metadata: expected submission_<id> keys, each with "
                       ":submitters", path=path)
    for key, entry in data.items():
        people = entry.get(":submitters")
        if people is not None and not (isinstance(people, list) and all(isinstance(p, dict) for p in people)):
            raise KitError(f"{key}'s :submitters is not a list of people", path=path)
    return data


def _timestamp(value) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        text = re.sub(r"(\.\d{6})\d+", r"\1", value.strip())           # Ruby writes nanoseconds
        text = re.sub(r"\s*([+-]\d\d:?\d\d)$", r"\1", text)             # "... -08:00" -> "...-08:00"
        try:
            return dt.datetime.fromisoformat(text)
        except ValueError:
            return None
    return None
