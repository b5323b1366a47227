"""Each child's work folder: made fresh with a random name where no one else can write, never reused.

The zygote owns one base folder (``kit-work-*``, mode 0711: others may pass through it to their
own folder but can neither list it nor create anything in it). A child, while it still runs as
the zygote's user, makes its folder there with a random name (mkdtemp: atomic, mode 0700), opens
it without following links and hands it to its sandbox user by descriptor, never by path. There
is no fallback: a child that cannot make its folder runs no student code. The zygote removes each
child's folder when the child is gone (by descriptor, links never followed), and the base at exit.

Where the child has a private /tmp (a mount namespace of its own), that is its base instead.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile

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


def remove(base: str, prefix: str) -> None:
    """Remove the folders in base whose names start with prefix (one child's), whatever their modes."""
    try:
        names = [n for n in os.listdir(base) if n.startswith(prefix)]
    except OSError:
        return
    for name in names:
        remove_tree(os.path.join(base, name))


def remove_tree(path: str) -> None:
    """Remove path and everything in it, by descriptor (links are removed, never followed), giving back
    the permissions the student's code may have taken from its own folders. Nothing above path is touched."""
    top = os.path.abspath(path)

    def retry(function: object, failed: str, _exc: object) -> None:
        # Only folders strictly inside the tree get their permissions back: never path's parent (/tmp).
        parent = os.path.dirname(os.path.abspath(failed))
        try:
            if parent.startswith(top + os.sep) or parent == top:
                os.chmod(parent, 0o700, follow_symlinks=False)
            if os.path.isdir(failed) and not os.path.islink(failed):
                os.chmod(failed, 0o700)
                shutil.rmtree(failed, onerror=retry)
            else:
                os.unlink(failed)
        except OSError:
            pass

    try:
        info = os.lstat(top)
        if not stat.S_ISDIR(info.st_mode):
            os.unlink(top)
            return
        os.chmod(top, 0o700)
        shutil.rmtree(top, onerror=retry)
    except OSError:
        pass


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
