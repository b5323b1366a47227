"""Starting and ending zygotes: fresh interpreters with a clean environment, one control socket per job slot.

A ZygotePool is the one owner of the zygotes a process starts: it starts them, holds this
process's end of each slot's control socket, and ends each zygote (waits for it, kills it when
it does not end) once none of its slots is open here. A Sandbox (client.py) talks over its slot's
socket and asks the pool for a fresh zygote when its own failed.

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
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from ..layout import PACKAGE, Layout
from . import isolation


def clean_env(cuda: str) -> dict[str, str]:
    """The zygote's whole environment: nothing from the grader's (no tokens, no paths); cuda: the GPUs its
    children may use (CUDA_VISIBLE_DEVICES; empty: none)."""
    return {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": "/tmp",
            "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONHASHSEED": "0",
            "CUDA_VISIBLE_DEVICES": cuda}


def folders_to_hide(course: Layout, extra: Iterable[str]) -> list[str]:
    """extra, resolved, and the course (when it lies outside the kit's own folder, that too)."""
    root, kit = course.root.resolve(), PACKAGE.parent
    hidden = {str(root), str(kit)} if root != kit else set()
    return [str(Path(h).resolve()) for h in extra] + sorted(hidden)


@dataclass
class Zygote:
    """One zygote process this process started, and how many of its slots are not closed here (a slot handed to
    another process still counts: the zygote serves it until that process closes it)."""

    proc: subprocess.Popen
    log: IO[bytes] | None  # its stderr (None: the grader's own, under KIT_SANDBOX_DEBUG)
    users: int

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

    def end(self, timeout: float, kill: bool = False) -> None:
        """Wait for it to end (its slots' sockets are closed), killing it at once or after timeout s."""
        if kill:
            try:
                self.proc.kill()
            except OSError:
                pass
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@dataclass
class _Slot:
    sock: socket.socket        # this process's end of the slot's control socket
    zygote: Zygote | None      # None: a zygote another process started (it is that process's to end)


class ZygotePool:
    """The zygotes of one course's sandboxes: ``start(slots)`` launches one serving those slots."""

    def __init__(self, course: Layout, hide: Iterable[str] = (), cuda: str = "") -> None:
        """hide: folders the children must not see (beside the course); cuda: CUDA_VISIBLE_DEVICES for the
        children (empty: no GPU)."""
        self.hide = sorted(set(folders_to_hide(course, hide)))
        self.cuda = cuda
        self._slots: dict[int, _Slot] = {}
        self._zygotes: list[Zygote] = []  # started by this process and not ended yet

    def start(self, slots: list[int]) -> None:
        """Start one zygote serving the given slots (one control socket and sandbox user each).

        A fresh interpreter, not a fork of ours: its command line names only the kit, its
        environment is clean_env(), its settings come over the first socket. So nothing of
        the grader is in its memory, and the batch pays for one torch import, not one a slot.
        """
        pairs = [socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET) for _ in slots]
        bootstrap = (f"import sys; sys.path.insert(0, {str(PACKAGE.parent)!r}); "
                     "from autograder.sandbox import zygote; zygote.main(); import os; os._exit(0)")
        # os._exit: nothing is left to flush, and tearing torch down is time the grader would wait for.
        # Its stderr goes to a file nobody else can open, so that a zygote that cannot start says why.
        log = None if os.environ.get("KIT_SANDBOX_DEBUG") else tempfile.TemporaryFile()
        try:
            proc = subprocess.Popen([sys.executable, "-I", "-c", bootstrap], stdin=pairs[0][1].fileno(),
                                    stdout=subprocess.DEVNULL, stderr=log, env=clean_env(self.cuda), cwd="/")
            config = {"op": "config", "slots": [int(s) for s in slots], "uid_base": isolation.UID_BASE,
                      "hide": self.hide}
            socket.send_fds(pairs[0][0], [json.dumps(config).encode()], [theirs.fileno() for _, theirs in pairs[1:]])
        finally:
            for _, theirs in pairs:
                theirs.close()
        zygote = Zygote(proc, log, len(slots))
        self._zygotes.append(zygote)
        for slot, (ours, _) in zip(slots, pairs):
            self._slots[slot] = _Slot(ours, zygote)

    def socket(self, slot: int) -> socket.socket:
        """This process's end of the slot's control socket (the slot must be open here)."""
        return self._slots[slot].sock

    def is_open(self, slot: int) -> bool:
        """This process holds its end of the slot's socket."""
        return slot in self._slots

    def running(self, slot: int) -> bool:
        """The slot is open here, and its zygote has not ended (as far as this process can tell: another
        process's zygote that died reads as a closed socket)."""
        found = self._slots.get(slot)
        return found is not None and (found.zygote is None or found.zygote.proc.poll() is None)

    def said(self, slot: int) -> str:
        """What the slot's zygote wrote on stderr (when this process started it)."""
        found = self._slots.get(slot)
        return found.zygote.said() if found is not None and found.zygote is not None else ""

    def restart(self, slot: int) -> None:
        """Leave the slot's zygote (killed when no other slot of ours uses it) and start one for the slot alone."""
        self.close_slot(slot, kill=True)
        self.start([slot])

    def release(self, slot: int) -> None:
        """Close this process's end of the slot without a word to the zygote: another process (a worker forked
        from this one) uses the slot, and its zygote is still this process's to end."""
        found = self._slots.pop(slot, None)
        if found is not None:
            found.sock.close()

    def disown(self) -> None:
        """In a process forked from the one that started the zygotes: they are that process's children, never
        waited for or killed here (a slot whose zygote dies gets a zygote of this process's own)."""
        for found in self._slots.values():
            found.zygote = None
        self._zygotes = []

    def close_slot(self, slot: int, kill: bool = False) -> None:
        """Close the slot here; its zygote ends with the last of its slots (kill: at once, it failed us)."""
        found = self._slots.pop(slot, None)
        if found is None:
            return
        found.sock.close()
        zygote = found.zygote
        if zygote is not None:
            zygote.users -= 1
            if zygote.users == 0:
                zygote.end(timeout=5, kill=kill)
                self._zygotes.remove(zygote)

    def close(self) -> None:
        """Close every slot still open here and end every zygote this process started."""
        for found in self._slots.values():
            found.sock.close()
        self._slots = {}
        for zygote in self._zygotes:  # its slots' sockets closed (or handed to workers, now gone): it ends
            zygote.end(timeout=10)
        self._zygotes = []
