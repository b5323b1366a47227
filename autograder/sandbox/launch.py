"""Starting the zygote: a fresh interpreter with a clean environment, one control socket per job slot.

Kept apart from client.py, which needs torch (to encode cases), so that a grader can start the
zygote before it imports torch itself: the two imports then overlap.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from .. import paths
from . import isolation


def clean_env() -> dict[str, str]:
    """The zygote's whole environment: nothing from the grader's (no tokens, no paths)."""
    return {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": "/tmp",
            "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONHASHSEED": "0",
            "CUDA_VISIBLE_DEVICES": os.environ.get("KIT_SANDBOX_CUDA", "")}


def folders_to_hide(extra: tuple[str, ...] | list[str]) -> list[str]:
    """extra, resolved, and the course (when it lies outside the kit's own folder, that too)."""
    course = {str(paths.ROOT.resolve()), str(paths.PACKAGE.parent)} if paths.ROOT.resolve() != paths.PACKAGE.parent else set()
    return [str(Path(h).resolve()) for h in extra] + sorted(course)


@dataclass
class Zygote:
    """One zygote process, our end of each slot's control socket, and how many slots still use it."""

    proc: subprocess.Popen
    sockets: list[socket.socket]
    log: IO[bytes] | None = None   # its stderr (None: the grader's own, under KIT_SANDBOX_DEBUG)
    users: int = field(init=False)

    def __post_init__(self) -> None:
        self.users = len(self.sockets)

    def said(self, limit: int = 600) -> str:
        """The last lines it wrote to stderr, on one line (why it failed to start, when it says)."""
        if self.log is None:
            return ""
        try:
            self.log.seek(0, os.SEEK_END)
            size = self.log.tell()
            self.log.seek(max(0, size - 4 * limit))
            text = self.log.read().decode("utf-8", "replace")
        except (OSError, ValueError):
            return ""
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        return " | ".join(lines[-3:])[-limit:]


def launch(slots: list[int], hide: list[str]) -> Zygote:
    """Start one zygote serving the given slots (one control socket and sandbox user each).

    A fresh interpreter, not a fork of ours: its command line names only the kit, its
    environment is clean_env(), its settings come over the first socket. So nothing of
    the grader is in its memory, and the batch pays for one torch import, not one a slot.
    """
    pairs = [socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET) for _ in slots]
    bootstrap = (f"import sys; sys.path.insert(0, {str(paths.PACKAGE.parent)!r}); "
                 "from autograder.sandbox import zygote; zygote.main(); import os; os._exit(0)")
    # os._exit: nothing is left to flush, and tearing torch down is time the grader would wait for.
    # Its stderr goes to a file nobody else can open, so that a zygote that cannot start says why.
    log = None if os.environ.get("KIT_SANDBOX_DEBUG") else tempfile.TemporaryFile()
    try:
        proc = subprocess.Popen([sys.executable, "-I", "-c", bootstrap], stdin=pairs[0][1].fileno(),
                                stdout=subprocess.DEVNULL, stderr=log, env=clean_env(), cwd="/")
        config = {"op": "config", "slots": [int(s) for s in slots], "uid_base": isolation.UID_BASE,
                  "hide": sorted(set(hide))}
        socket.send_fds(pairs[0][0], [json.dumps(config).encode()], [theirs.fileno() for _, theirs in pairs[1:]])
    finally:
        for _, theirs in pairs:
            theirs.close()
    return Zygote(proc, [ours for ours, _ in pairs], log)
