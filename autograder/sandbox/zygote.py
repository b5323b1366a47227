"""The fork server: exec'd fresh (``python -I``, a scrubbed environment), imports torch once, forks children.

One zygote serves every job slot of a grader (one control socket each, its own
sandbox user each), so the batch pays for one extra torch import, not one a slot.

It never holds a student's code, inputs or results: the grader hands it, with
each request, the ends of three pipes (request, result, output) that only the
child uses; the zygote forks, closes them and never reads one. So nothing of
one student can be in the memory a later child is forked from, and nothing of
the grader's (environment, command line, other students) was ever in it.

It is undumpable (no process of its user may read its memory or /proc files) and a subreaper:
whatever a child starts and orphans is re-parented to it, never to the host's init, so it can
kill what a child left behind on a host where children get no process namespace of their own.

Control protocol on fd 0, a SOCK_SEQPACKET socket (one JSON message each, fds as SCM_RIGHTS):
  grader -> zygote  {"op": "config", "slots", "uid_base", "hide"} + the other slots' sockets    once, first
  zygote -> grader  {"event": "ready", "pid", "sandbox"}     on every socket (sandbox: protections.SandboxReport)
  grader -> zygote  {"op": "fork", "limits"} + [request_r, result_w, output_w]
  zygote -> grader  {"event": "forked", "pid"}
  grader -> zygote  {"op": "finish", "pid", "grace"}    kill the child's processes (after grace s), reap it
  zygote -> grader  {"event": "finished", "pid", "exit_code", "signal"}
"""

from __future__ import annotations

import dataclasses
import functools
import gc
import json
import os
import select
import signal
import socket
import time
from dataclasses import dataclass

import numpy  # noqa: F401  (preloaded: graded code may use it, and children share it)
import torch  # noqa: F401  (the point of the zygote: pay this import once)

from ..layout import PACKAGE
from . import cgroups, child, hugepages, isolation, probe, wire, workdirs
from .limits import Limits
from .protections import Layer, SandboxReport

MAX_MESSAGE = 64 * 1024
PR_SET_CHILD_SUBREAPER = 36
KIT = PACKAGE.parent  # the kit's own folder (this interpreter imports it from there): never shown to a child


@dataclass
class _Host:
    """What every child is given: where work folders go, what it may read, what its sandbox must hold."""

    base: str = ""
    read_only: tuple[str, ...] = ()
    required: frozenset[str] = frozenset()
    grafts: tuple[isolation.Graft, ...] = ()
    trash: workdirs.Trash | None = None  # finished children's folders, removed while idle

    def placement(self, prefix: str) -> child.Placement:
        return child.Placement(self.base, prefix, self.read_only, str(KIT), self.required, self.grafts)


def _kill_group(pid: int) -> None:
    for target in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
        try:
            target()
        except (ProcessLookupError, PermissionError):
            pass


def _children(pid: int) -> list[int]:
    """The processes whose parent is pid (read from /proc: a kernel without /proc/PID/task/PID/children too)."""
    if pid == os.getpid():  # our own: forked by our one thread, listed in one file (no scan of all of /proc)
        try:
            with open(f"/proc/{pid}/task/{pid}/children") as f:
                return [int(p) for p in f.read().split()]
        except (OSError, ValueError):
            pass
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat", "rb") as f:
                    if int(f.read().rsplit(b")", 1)[1].split()[1]) == pid:
                        found.append(int(entry.name))
            except (OSError, ValueError, IndexError):
                continue
    return found


def _kill_children(pid: int) -> None:
    """SIGKILL pid's children, each through a pidfd taken while it is still pid's child (never a reused pid)."""
    for child_pid in _children(pid):
        try:
            fd = os.pidfd_open(child_pid)
        except OSError:
            continue
        try:
            if child_pid in _children(pid):
                signal.pidfd_send_signal(fd, signal.SIGKILL)
        except OSError:
            pass
        finally:
            os.close(fd)


def _decode_wait(code: int) -> tuple[int | None, int | None]:
    if os.WIFSIGNALED(code):
        return None, os.WTERMSIG(code)
    return os.WEXITSTATUS(code), None


def _grace(grace: float) -> float:
    return max(0.0, min(float(grace), 0.5))


def exit_status(pid: int) -> tuple[int | None, int | None] | None:
    """The child's (exit code, signal) once it has ended and is reaped; None while it runs."""
    try:
        done, code = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return None, None  # reaped already
    return _decode_wait(code) if done else None


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0] not in (b"Z", b"X")
    except (OSError, IndexError):
        return False


def _kill_pid(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass


def _send(sock: socket.socket, message: dict) -> None:
    try:
        sock.send(json.dumps(message).encode())
    except OSError:
        pass  # that slot's grader end is gone: its socket reads as closed next


def _warm_up() -> child.TripwireReport:
    """Pay torch's lazy start-up costs once, here, instead of in every child; the tripwires, installed.

    One thread only: an OpenMP pool started before fork would hang the children.
    """
    torch.set_num_threads(1)
    x = torch.randn(8, 4, dtype=torch.float64)
    for dtype in (torch.float64, torch.float32):
        y = x.to(dtype)
        (y @ y.T).exp().log1p().sum()
        torch.linalg.lstsq(y, y[:, :1])
        torch.randperm(4, generator=torch.Generator().manual_seed(0))
    for frame in wire.FrameSplitter().feed(wire.pack({}, {"t": x})):
        wire.load_tensors(frame.blob)
    report = child.warm_up()
    # Everything alive now lives as long as the zygote: out of the collector's sight, so that a
    # child's collections never touch (and so copy) the pages these objects share with the zygote.
    # (No collection first: it would take ~0.1 s to free the little that import-time cycles left.)
    gc.freeze()
    return report


def _harden_self() -> list[Layer]:
    """Undumpable (no process of our user may read our memory or /proc files) and a subreaper (orphans come to us)."""
    dumpable = isolation.set_dumpable(False)
    reaper = isolation._libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    return [Layer("undumpable zygote", dumpable, "" if dumpable else "prctl refused"),
            Layer("subreaper", reaper, "orphans come to the zygote, which kills them" if reaper else "prctl refused")]


class _Zygote:
    """The zygote's own state, which lives as long as its process: its children, their cgroups and users."""

    def __init__(self, uid: int, tripwires: child.TripwireReport, subreaper: bool,
                 cgroups_: cgroups.Cgroups | None) -> None:
        self.pid = os.getpid()
        self.uid = uid                      # the first slot's sandbox user (the probe's)
        self.tripwires = tripwires          # installed once: every child starts with them
        self.subreaper = subreaper          # orphans of our children come to us
        self.cgroups = cgroups_
        self.host = _Host()
        self.own_pid_namespace: int | None = None  # a descriptor of ours, to fork each child into a fresh one
        self.in_cgroup: dict[int, str] = {}  # child pid -> its cgroups' name
        self.child_uid: dict[int, int] = {}  # child pid -> the sandbox user of its slot
        self.prefixes: dict[int, str] = {}   # child pid -> its work folder's name prefix
        # Children not forked into a process namespace of their own: what they start can outlive them unless found by
        # user.
        self.shared_pid_namespace: set[int] = set()

    def fork_child(self, limits: Limits, fds: list[int], counter: int, uid: int) -> int:
        """Fork one child on the given pipe ends; the zygote keeps none of them."""
        # Refused: the child reports it as a protection off.
        own_namespace = isolation.next_child_in_new_pid_namespace(self.own_pid_namespace)
        prefix = f"c{counter}-"
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the zygote's own ways of stopping are not the child's
            signal.signal(signal.SIGINT, signal.default_int_handler)
            child.run(dataclasses.replace(limits, uid=uid), fds[0], fds[1], fds[2], self.host.placement(prefix),
                      self.tripwires)
        for fd in fds:
            os.close(fd)
        self.child_uid[pid] = uid
        self.prefixes[pid] = prefix
        if not own_namespace:
            self.shared_pid_namespace.add(pid)
        if self.cgroups is not None:
            name = f"kit-{os.getpid()}-{counter}"
            try:
                self.cgroups.add(pid, name, limits.cgroup_memory_bytes, int(limits.processes))
                self.in_cgroup[pid] = name
            except OSError:
                _kill_group(pid)  # never run a child outside the limits the probe promised
                self.cgroups.remove(name)
        return pid

    def finish(self, pid: int, grace: float = 0.2) -> tuple[int | None, int | None]:
        """Kill the child's whole process group and its user's processes; reap it. Blocks for up to grace s
        while a child that is exiting on its own ends, to keep its own status."""
        if pid not in self.child_uid:
            return None, None  # not one of ours
        deadline = time.monotonic() + _grace(grace)
        status = exit_status(pid)
        while status is None and time.monotonic() < deadline:
            time.sleep(0.002)
            status = exit_status(pid)
        return self.end(pid, status)

    def end(self, pid: int, status: tuple[int | None, int | None] | None) -> tuple[int | None, int | None]:
        """Kill what is left of a child (its group, its user's processes), reap it if it was not, free its
        cgroups."""
        uid = self.child_uid[pid]  # forgotten once killed: a SIGTERM before that leaves it to the zygote's way out
        # A child that is the first process of its own namespace takes every other one in it down when it ends (the
        # kernel kills them, however they left the group). One that is not leaves what escaped the group (setsid)
        # to us, a subreaper: once it is gone, its orphans are our children, killed by _kill_strays. Only where we
        # could not become a subreaper is it first rid of its children (the init it forked for the student's code,
        # isolation._become_init, killed while it still holds it) and of every process of its sandbox user.
        shared = pid in self.shared_pid_namespace
        if shared:
            self.shared_pid_namespace.discard(pid)
            if not self.subreaper:
                _kill_children(pid)
                isolation.kill_uid(uid)
        _kill_group(pid)
        self.child_uid.pop(pid)
        if status is None:
            try:
                _, code = os.waitpid(pid, 0)
                status = _decode_wait(code)
            except ChildProcessError:
                status = (None, None)
        if shared:  # what it started and orphaned came to us (we are a subreaper): none of it may run on
            self.kill_strays()
        if pid in self.in_cgroup and self.cgroups is not None:
            self.cgroups.remove(self.in_cgroup.pop(pid))
        prefix = self.prefixes.pop(pid, None)
        if prefix and self.host.trash is not None:
            self.host.trash.discard(prefix)  # emptied while idle (serve): a child's many files never stall other slots
        return status

    def kill_strays(self, rounds: int = 100) -> None:
        """Kill and reap every child of ours that is not a live sandbox child: orphans re-parented to us.

        Each round kills the strays found; their own children then come to us in turn, until none is left.
        """
        for _ in range(rounds):
            strays = [p for p in _children(os.getpid()) if p not in self.child_uid]
            if not strays:
                return
            for stray in strays:
                try:
                    fd = os.pidfd_open(stray)
                except OSError:
                    continue
                try:
                    if stray in _children(os.getpid()) and stray not in self.child_uid:  # still ours, not a reused pid
                        signal.pidfd_send_signal(fd, signal.SIGKILL)
                except OSError:
                    pass
                finally:
                    os.close(fd)
            deadline = time.monotonic() + 1.0
            for stray in strays:
                while time.monotonic() < deadline:
                    try:
                        if os.waitpid(stray, os.WNOHANG)[0]:
                            break
                    except ChildProcessError:
                        break
                    time.sleep(0.001)

    def probe(self, zygote_layers: list[Layer], secret_paths: list[str]) -> SandboxReport:
        """Fork once, isolated as a child is, and measure what its code could do (sandbox/probe.py)."""
        read_fd, write_fd = os.pipe()
        own_namespace = isolation.next_child_in_new_pid_namespace(self.own_pid_namespace)
        pid = os.fork()
        if pid == 0:
            os.close(read_fd)
            child.probe(write_fd, self.uid, self.host.placement("probe-"), secret_paths, self.pid)
        os.close(write_fd)
        self.child_uid[pid] = self.uid
        self.prefixes[pid] = "probe-"
        if not own_namespace:
            self.shared_pid_namespace.add(pid)
        data = bytearray()
        while chunk := os.read(read_fd, 65536):
            data += chunk
        os.close(read_fd)
        self.end(pid, None)
        frames = wire.FrameSplitter().feed(bytes(data))
        header = frames[0].header if frames else {}
        child_layers = [Layer(str(d.get("name")), d.get("on") is True, str(d.get("detail", "")))
                        for d in header.get("layers", []) if isinstance(d, dict)] or [Layer("isolation", False,
                                                                                             "probe failed")]
        straggler = int(header.get("straggler", -1))
        if any(layer.name == "process namespace" and layer.on for layer in child_layers):
            gone, how = True, "a process it started with setsid was killed with its process namespace"
        elif straggler > 0:
            gone = not _alive(straggler)
            how = (f"a process it started with setsid (pid {straggler}) was killed by the zygote" if gone
                   else f"a process it started with setsid (pid {straggler}) outlived it")
            if not gone:
                _kill_pid(straggler)
        else:
            gone, how = False, "the probe could not start a process"
        self.host.required = frozenset(layer.name for layer in child_layers if layer.on and layer.name != "rlimits")
        return probe.report(zygote_layers, child_layers, header.get("measured", []), gone, how)

    def serve(self, sockets: list[socket.socket], uids: dict[int, int], collapser: hugepages.Collapser) -> None:
        """Answer every slot's requests until each slot's socket closes; a closed slot's children are killed.

        A slot's "finish" waits (up to its grace) for its child to end on its own, but only that slot waits:
        the other slots' forks go on meanwhile. Each slot's answers still come in the order it asked.
        """
        counter = 0
        trash = self.host.trash
        live = {sock.fileno(): sock for sock in sockets}
        children: dict[int, set[int]] = {fd: set() for fd in live}  # slot -> its children not yet finished
        ending: dict[int, tuple[int, float]] = {}  # slot -> (its child being finished, until when it may end alone)
        while live:
            asking = [fd for fd in live if fd not in ending]
            idle_work = collapser.pending or trash is not None and trash.pending
            readable, _, _ = select.select(asking, [], [], 0 if idle_work else 0.002 if ending else None)
            if not readable:  # idle: fold a few more MiB of our memory into huge pages, then empty finished folders
                if collapser.pending:
                    collapser.step()
                elif trash is not None:
                    try:
                        trash.step()
                    except Exception:  # what a student left must never end the zygote (the base goes at exit)
                        trash.queue.clear()
            for fd in readable:
                sock = live[fd]
                try:
                    data, fds, _, _ = socket.recv_fds(sock, MAX_MESSAGE, 3)
                except OSError:
                    data, fds = b"", []
                if not data:
                    del live[fd]
                    sock.close()
                    for pid in children.pop(fd):
                        self.finish(pid, 0.0)
                    continue
                message = json.loads(data)
                if message.get("op") == "fork" and len(fds) == 3:
                    counter += 1
                    pid = self.fork_child(Limits.from_json(message.get("limits")), fds, counter, uids[fd])
                    children[fd].add(pid)
                    _send(sock, {"event": "forked", "pid": pid})
                elif message.get("op") == "finish":
                    pid = int(message["pid"])
                    if pid in children[fd]:
                        ending[fd] = (pid, time.monotonic() + _grace(message.get("grace", 0.2)))
                    else:
                        _send(sock, {"event": "finished", "pid": pid, "exit_code": None, "signal": None})
                else:
                    for extra_fd in fds:
                        os.close(extra_fd)
                    _send(sock, {"event": "error", "message": "unknown request"})
            for fd, (pid, deadline) in list(ending.items()):
                status = exit_status(pid)
                if status is None and time.monotonic() < deadline:
                    continue
                exit_code, sig = self.end(pid, status)
                del ending[fd]
                children[fd].discard(pid)
                _send(live[fd], {"event": "finished", "pid": pid, "exit_code": exit_code, "signal": sig})

    def shut_down(self) -> None:
        """Nothing a student started outlives the zygote: not on Ctrl-C, not on SIGTERM, not when a slot's
        grader is gone without finishing its child (a worker killed in the middle of a submission)."""
        for pid in list(self.child_uid):
            self.finish(pid, 0.0)
        self.kill_strays()
        try:
            workdirs.remove_tree(self.host.base)
        except Exception:
            pass  # left for the next zygote's remove_stale_bases

    def remove_last_cgroups(self) -> None:
        """The last children's cgroups, once the kernel has let their processes go."""
        for _ in range(100):
            if self.cgroups is None or not self.cgroups.stale:
                break
            time.sleep(0.02)
            self.cgroups.clean()


def _stop(zygote: int, signum: int, frame: object) -> None:
    if os.getpid() == zygote:  # not in a child forked a moment ago, before it set its own handlers
        raise SystemExit(0)
    os._exit(128 + signum)


def main() -> None:
    """Serve control messages on fd 0 (and the other slots' sockets) until every one closes."""
    # Ctrl-C is the grader's: it closes our sockets, which ends the loop. SIGTERM (a scheduler cancelling
    # the job) ends it at once. Either way, the children are killed on the way out.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, functools.partial(_stop, os.getpid()))
    first = socket.socket(fileno=0)
    data, extra, _, _ = socket.recv_fds(first, MAX_MESSAGE, 64)
    config = json.loads(data) if data else {}
    slots = [int(s) for s in config.get("slots", [config.get("slot", 0)])]
    hide = [str(h) for h in config.get("hide", [])]
    isolation.UID_BASE = int(config.get("uid_base", isolation.UID_BASE))  # the grader's range of sandbox users
    sockets = [first] + [socket.socket(fileno=fd) for fd in extra]
    tripwires = _warm_up()
    # Each fork copies one page-table entry per page of ours: one per 2 MiB in huge pages. Collapsed a step at a
    # time while idle, from the ranges mapped now (read before the root is replaced: /sys is not in it).
    collapser = hugepages.Collapser()
    # Before the namespaces: the lock folder and /sys are on the real disk, not in the child's root.
    uids = {sock.fileno(): isolation.claim_uid(slot) for sock, slot in zip(sockets, slots)}
    opened, cgroup_off = cgroups.Cgroups.open()
    # cgroup_off is why there is none, or, beside one, what it lacks (swap accounting).
    cgroup = (Layer("cgroup", True, "; ".join([opened.describe(), *([cgroup_off] if cgroup_off else [])]))
              if opened is not None else Layer("cgroup", False, cgroup_off or ""))
    try:
        workdirs.remove_stale_bases()
    except Exception:  # what a dead zygote's children left must never stop this one from starting
        pass
    read_only = tuple(str(p) for p in isolation.allowlist(KIT))
    worker = isolation.isolate_worker(KIT, hide)
    hardening = _harden_self()  # after: an undumpable process could not write its own uid_map
    subreaper = any(layer.name == "subreaper" and layer.on for layer in hardening)
    zygote = _Zygote(uids[first.fileno()], tripwires, subreaper, opened)
    zygote.host.read_only, zygote.host.grafts = read_only, worker.grafts
    zygote.host.base = workdirs.make_base()  # after the root is replaced: on its /tmp, else on the host's
    zygote.host.trash = workdirs.Trash(zygote.host.base)
    workdirs.mark_owner(zygote.host.base)
    zygote.own_pid_namespace = isolation.own_pid_namespace()
    secret_paths = sorted({str(KIT), str(KIT / "assignments"), *hide})
    report = zygote.probe([*hardening, *worker.layers, cgroup], secret_paths)
    ready = {"event": "ready", "pid": os.getpid(), "sandbox": report.to_json()}
    for sock in sockets:
        _send(sock, ready)
    try:
        zygote.serve(sockets[:len(slots)], uids, collapser)
    finally:
        zygote.shut_down()
    zygote.remove_last_cgroups()


if __name__ == "__main__":
    main()
