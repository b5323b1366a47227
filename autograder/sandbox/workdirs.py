"""Each child's work folder: made fresh with a random name where no one else can write, never reused.

The zygote owns one base folder (``kit-work-*``, mode 0711: others may pass through it to their
own folder but can neither list it nor create anything in it). A child, while it still runs as
the zygote's user, makes its folder there with a random name (mkdtemp: atomic, mode 0700), opens
it without following links and hands it to its sandbox user by descriptor, never by path. There
is no fallback: a child that cannot make its folder runs no student code. The zygote sets each
child's folder aside when the child is gone and empties it while idle (by descriptor, links never
followed), and removes the base at exit.

Where the child has a private /tmp (a mount namespace of its own), that is its base instead.
"""

from __future__ import annotations

import os
import stat
import tempfile
from dataclasses import dataclass

_BASE_PREFIX = "kit-work-"


class NoWorkFolder(OSError):
    """The child's folder could not be made safely; the child must not run student code."""


def make_base() -> str:
    """The zygote's base folder, in the system's temporary folder."""
    base = tempfile.mkdtemp(prefix=_BASE_PREFIX, dir="/tmp" if os.path.isdir("/tmp") else None)
    os.chmod(base, 0o711)
    return base


def make(base: str, prefix: str, private: bool = False) -> tuple[str, int]:
    """(path, O_DIRECTORY descriptor) of a fresh folder in base; raises NoWorkFolder.

    base must be a real folder (not a link) owned by us, so nobody else could have put
    anything in it, unless it is private (a tmpfs this child just mounted, seen by no one
    else); the folder is checked again through its descriptor after opening.
    """
    try:
        info = os.lstat(base)
        if not stat.S_ISDIR(info.st_mode) or not private and (info.st_uid != os.geteuid() or info.st_mode & 0o022):
            raise NoWorkFolder(f"{base} is not a folder that only the grader's user may write")
        path = tempfile.mkdtemp(prefix=prefix, dir=base)
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except NoWorkFolder:
        raise
    except OSError as e:
        raise NoWorkFolder(f"cannot make a work folder in {base}: {e.strerror}") from e
    opened = os.fstat(fd)
    if opened.st_uid != os.geteuid() or not stat.S_ISDIR(opened.st_mode):
        os.close(fd)
        raise NoWorkFolder(f"{path} changed while it was made")
    return path, fd


class Trash:
    """Finished children's work folders, removed a few thousand entries at a time while the zygote is idle.

    A child may leave hundreds of thousands of files; removing them at once would stall every slot the
    zygote serves. Each is first renamed (one step, in the base only the zygote may write), then emptied
    in steps between requests.
    """

    def __init__(self, base: str) -> None:
        self.base = base
        self.queue: list[str] = []

    @property
    def pending(self) -> bool:
        return bool(self.queue)

    def discard(self, prefix: str) -> None:
        """Set aside the folder(s) of the child whose folders start with prefix."""
        try:
            names = [n for n in os.listdir(self.base) if n.startswith(prefix)]
        except OSError:
            return
        for name in names:
            trash = os.path.join(self.base, f".trash-{name}")
            try:
                os.rename(os.path.join(self.base, name), trash)
            except OSError:
                continue
            self.queue.append(trash)

    def step(self, entries: int = 4000) -> None:
        """Remove up to about entries entries of the oldest folder set aside."""
        if not self.queue:
            return
        removed = remove_tree(self.queue[0], limit=entries)
        if removed == 0 or not os.path.lexists(self.queue[0]):
            self.queue.pop(0)  # gone, or cannot be removed: left for the final removal of the base


def remove_tree(path: str, limit: int = 2_000_000) -> int:
    """Remove path and everything in it: by descriptor, links removed and never followed, permissions the
    student's code took from its own folders given back, nothing above path touched. Returns the entries removed.

    A loop, not recursion, holding one folder open at a time: a child may leave a tree thousands of levels
    deep (recursion would end the zygote) or hundreds of thousands of entries wide (each folder is listed
    once: its files go as they are listed, its sub-folders are remembered by name). Going back up, each
    parent is checked to be the folder we came down from. At most ``limit`` entries; errors leave the rest.
    """
    try:
        info = os.lstat(path)
        if not stat.S_ISDIR(info.st_mode):
            os.unlink(path)
            return 1
        os.chmod(path, 0o700)
        fd = os.open(path, _DIR_FLAGS)
    except OSError:
        return 0
    removed = 0
    # Going down: (this folder's name in its parent, the parent's (dev, ino), the parent's sub-folders still to do).
    trail: list[tuple[str, tuple[int, int], list[str]]] = []
    pending = _clear_files(fd, limit)
    removed += pending.count
    try:
        while removed < limit:
            if pending.folders:
                name = pending.folders.pop()
                os.chmod(name, 0o700, dir_fd=fd)  # a folder, just listed (Linux has no lchmod); its writers are gone
                sub = os.open(name, _DIR_FLAGS, dir_fd=fd)
                here = os.fstat(fd)
                trail.append((name, (here.st_dev, here.st_ino), pending.folders))
                os.close(fd)
                fd = sub
                pending = _clear_files(fd, limit - removed)
                removed += pending.count
                continue
            if not trail:  # the top folder is empty
                break
            name, parent_id, siblings = trail.pop()
            parent = os.open("..", _DIR_FLAGS, dir_fd=fd)
            os.close(fd)
            fd = parent
            seen = os.fstat(fd)
            if (seen.st_dev, seen.st_ino) != parent_id:
                return removed  # moved under us: stop rather than remove something else
            os.rmdir(name, dir_fd=fd)
            removed += 1
            pending = _Listing(siblings, 0)
    except OSError:
        return removed
    finally:
        os.close(fd)
    try:
        os.rmdir(path)
    except OSError:
        pass
    return removed


_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


@dataclass
class _Listing:
    folders: list[str]   # sub-folders still to empty and remove
    count: int           # files (and links) removed while listing


def _clear_files(fd: int, budget: int) -> _Listing:
    """One pass over a folder: up to budget entries that are not folders unlinked, the folders' names returned
    (past the budget the folder is left for the next call, which lists it again)."""
    folders, count = [], 0
    with os.scandir(fd) as entries:
        for entry in entries:
            if count >= budget:
                break
            if entry.is_dir(follow_symlinks=False):
                folders.append(entry.name)
            else:
                os.unlink(entry.name, dir_fd=fd)
                count += 1
    return _Listing(folders, count)


def remove_stale_bases() -> None:
    """Remove the base folders of our user's zygotes that are gone (killed before they could clean up)."""
    try:
        names = [n for n in os.listdir("/tmp") if n.startswith(_BASE_PREFIX)]
    except OSError:
        return
    for name in names:
        path = os.path.join("/tmp", name)
        try:
            info = os.lstat(path)
            owner_pid = _owner_pid(path)
        except OSError:
            continue
        if stat.S_ISDIR(info.st_mode) and info.st_uid == os.geteuid() and owner_pid is not None \
                and not os.path.exists(f"/proc/{owner_pid}"):
            remove_tree(path)


_OWNER_FILE = ".zygote-pid"


def mark_owner(base: str) -> None:
    """Write the zygote's pid in its base, so a later zygote can tell a stale base from a live one."""
    fd = os.open(os.path.join(base, _OWNER_FILE), os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        os.write(fd, str(os.getpid()).encode())
    finally:
        os.close(fd)


def _owner_pid(base: str) -> int | None:
    try:
        fd = os.open(os.path.join(base, _OWNER_FILE), os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if info.st_uid != os.geteuid():
            return None
        text = os.read(fd, 32).decode("ascii", "replace").strip()
    finally:
        os.close(fd)
    return int(text) if text.isdigit() else None
