"""Run a command as a throwaway ordinary user, the way a TA's account on a shared server runs the grader.

    python tests/as_user.py UID [KEEP ...] -- COMMAND ...     (as root)

In a private mount namespace of its own, every folder that user could not pass
through on the way to the interpreter or a KEEP path (/root is 0700, where pyenv
lives) is replaced by a traversable tmpfs in which only those paths reappear.
Nothing outside this process changes. Then it drops to UID (no groups, no
capabilities) and execs COMMAND with the environment it was given.
"""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from autograder.sandbox import isolation  # noqa: E402


def _inside(path: Path, other: Path) -> bool:
    return path == other or other in path.parents


def _cover(root: Path, keep: list[Path]) -> None:
    """Replace root by an empty traversable tmpfs in which only the kept paths below it reappear."""
    inner = [k for k in keep if _inside(k, root) and k != root]
    inner = [k for k in inner if not any(o != k and _inside(k, o) for o in inner)]
    stashes = []
    for k in inner:
        stash = tempfile.mkdtemp(prefix="as-user-", dir="/tmp")
        isolation._mount(str(k), stash, None, isolation.MS_BIND | isolation.MS_REC)
        stashes.append((k, stash))
    isolation._mount("tmpfs", str(root), "tmpfs", 0, "size=1m,mode=0755")
    for k, stash in stashes:
        os.makedirs(k, mode=0o755, exist_ok=True)
        isolation._mount(stash, str(k), None, isolation.MS_BIND | isolation.MS_REC)
        isolation._libc.umount2(stash.encode(), isolation.MNT_DETACH)
        os.rmdir(stash)


def open_the_way(extra: list[str]) -> None:
    """In this (private) mount namespace, make the interpreter and the extra paths reachable by any user:
    every folder on the way that others may not pass is covered by a traversable tmpfs holding only them."""
    keep = sorted({Path(p).resolve() for p in [sys.prefix, sys.base_prefix, *extra]} |
                  {Path(os.path.abspath(p)) for p in [sys.prefix, sys.base_prefix, *extra]})
    covered: set[Path] = set()
    for k in keep:
        for folder in reversed(k.parents):
            if folder in covered or str(folder) == "/":
                continue
            if not os.stat(folder).st_mode & stat.S_IXOTH:
                _cover(folder, keep)
                covered.add(folder)


def main() -> None:
    split = sys.argv.index("--")
    uid, extra, command = int(sys.argv[1]), sys.argv[2:split], sys.argv[split + 1:]
    isolation._unshare(isolation.CLONE_NEWNS, "mount namespace")
    isolation._mount("none", "/", None, isolation.MS_REC | isolation.MS_PRIVATE)
    open_the_way(extra)
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    os.execvpe(command[0], command, dict(os.environ))


if __name__ == "__main__":
    main()
