"""The grader's side of the sandbox: start the zygote, talk to each child, read back outcomes.

The zygote only forks and reaps; the grader talks to each child directly over
pipes the zygote never reads: it sends the student's source, then one case at
a time, the next only once the last result is in, and enforces each part's
time limit itself. Everything that comes back is untrusted: frames are decoded
with caps, every case without a valid frame gets an outcome that says why
(timeout, crash, exit), a tripwire's own frame is what marks a case as using a
banned call, and a zygote that died is restarted so one hostile part costs
only itself. Any other failure on the grader's side (a bug of ours, a host out
of file descriptors) is no outcome of the student's code: it raises
SandboxFailure, and the submission is a grader failure, counted as one.
"""

from __future__ import annotations

import collections
import json
import os
import select
import socket
import subprocess
import time
import traceback
from dataclasses import dataclass, field
from typing import Any

import torch

from . import wire
from .child import REFUSED_EXIT
from .launch import Zygote, folders_to_hide, launch
from .protections import SandboxReport

_SIGNALS = {9: "it was killed (SIGKILL) - out of memory or over a limit?", 24: "it used more than its CPU-time limit",
            6: "it aborted (SIGABRT) - often an allocation that exceeded the memory limit", 11: "it crashed (SIGSEGV)",
            25: "it wrote more than the file-size limit"}
MAX_RESULT_BYTES = 64 * 1024 * 1024   # everything one submission's children send back, together
MAX_OUTPUT_BYTES = 16 * 1024          # printed output kept (the rest is read and dropped)
MAX_CHILD_HEADER = 1024 * 1024        # one frame's JSON header from a child
MAX_FRAMES_PER_CASE = 64              # stray (forged) frames before the case counts as corrupt
MAX_TRIPWIRE_FRAMES = 1024            # tripwire frames in one case (each name is sent once)
MAX_NOTES, MAX_NOTE_CHARS, MAX_BANNED = 20, 400, 20


@dataclass
class PartRun:
    """What the sandbox reports for one part: per-case outcomes plus load notes and output."""

    outcomes: list[dict[str, Any]]
    notes: list[str] = field(default_factory=list)
    output: str = ""
    elapsed: float = 0.0
    load_banned: list[str] = field(default_factory=list)  # tripwires that fired while the source loaded


@dataclass
class Prepared:
    """The inputs of a set of parts, each case packed once as its own request frame (shared by a batch)."""

    parts: list[dict]          # {"wall_s", "cases": [frame bytes]}
    blob: bytes                # unused; kept for callers that read it
    case_counts: list[int]
    walls: list[float]
    hidden: list[list[bool]] = field(default_factory=list)  # per part, per case

    def order(self) -> list[tuple[int, int]]:
        """(part, case) in the order they run: every public case of every part, then the hidden ones.

        So no public case, whose messages the student sees at once, ever runs in a process that
        has held a hidden case's inputs (even freed memory could give them away).
        """
        flags = self.hidden or [[False] * n for n in self.case_counts]
        cases = [(p, c) for p, n in enumerate(self.case_counts) for c in range(n)]
        return [pc for pc in cases if not flags[pc[0]][pc[1]]] + [pc for pc in cases if flags[pc[0]][pc[1]]]

    @property
    def budget(self) -> float:
        return sum(self.walls)


def prepare(parts: list[tuple[dict, list[tuple], float]]) -> Prepared:
    """Each part's (driver, calls, wall_s); a call is (args, kwargs) or (args, kwargs, hidden)."""
    request_parts, hidden = [], []
    for p, (driver, calls, wall_s) in enumerate(parts):
        frames = []
        hidden.append([bool(call[2]) if len(call) > 2 else False for call in calls])
        for c, (a, k, *_) in enumerate(calls):
            encoder = wire.Encoder()
            encoded = encoder.encode((tuple(a), dict(k)))
            frames.append(wire.pack_raw({"op": "case", "part": p, "case": c, "driver": driver, "args": encoded},
                                        wire.tensor_blob(encoder.tensors) if encoder.tensors else b""))
        request_parts.append({"wall_s": float(wall_s), "cases": frames})
    return Prepared(request_parts, b"", [len(calls) for _, calls, _ in parts], [float(w) for _, _, w in parts],
                    hidden)


class WorkerDied(Exception):
    """The zygote stopped answering: its socket closed or was reset (it died, or something killed it)."""


class SandboxFailure(RuntimeError):
    """The grader's own side of the sandbox failed on a submission (a bug of ours, or of the host), with the
    zygote still alive: not an outcome of the student's code, so the submission is a grader failure."""


class Sandbox:
    """One zygote (a warm worker). Not thread-safe: one submission at a time."""

    def __init__(self, slot: int = 0, hide: tuple[str, ...] = ()) -> None:
        """slot: this worker's number (its own unprivileged user); hide: more folders the child must not see."""
        self.slot = slot
        self.hide = folders_to_hide(hide)
        self.report: SandboxReport | None = None  # what the zygote's probe measured (after wait_ready)
        self._proc: subprocess.Popen | None = None
        self._sock: socket.socket | None = None
        self._group: Zygote | None = None
        self._ready = False
        self._pending = 0  # "finish" requests whose answer is not read yet

    def start(self) -> None:
        """Start the zygote without waiting for it to be ready (see start_group)."""
        if self._sock is not None and (self._proc is None or self._proc.poll() is None):
            return  # running (an adopted slot's zygote is not ours to poll: a dead one reads as closed)
        start_group([self])

    def adopt(self) -> None:
        """Take this slot over in a process forked from the one that started the zygote.

        The zygote is the other process's child: this one never waits for it or kills it; should
        it die, a restart starts a zygote of this process's own.
        """
        self._proc, self._group = None, None

    def release(self) -> None:
        """Close this process's copy of the slot's socket without a word to the zygote: another
        process (a worker forked from this one) uses the slot."""
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        self._proc, self._group = None, None

    def wait_ready(self) -> None:
        """Block until the worker has started (and probed which protections it has)."""
        self._ensure_ready()

    def _ensure_ready(self) -> None:
        self.start()
        if not self._ready:
            try:
                message = self._receive()
            except WorkerDied:
                message = {}
            if message.get("event") != "ready":
                said = self._group.said() if self._group is not None else ""
                raise RuntimeError("the sandbox worker failed to start" + (f": it said {said}" if said else
                                                                           " (it said nothing)"))
            self.report = SandboxReport.from_json(message.get("sandbox"))
            self._ready = True

    @property
    def protections_off(self) -> list[str]:
        """The layers this host refused (each with why); empty before wait_ready."""
        return self.report.off() if self.report is not None else []

    def _receive(self) -> dict:
        try:
            data = self._sock.recv(65536)
        except ConnectionError as e:
            raise WorkerDied(f"the sandbox worker's socket failed ({e.strerror})") from e
        if not data:
            raise WorkerDied("the sandbox worker exited")
        return json.loads(data)

    def _send(self, message: dict, fds: list[int] | None = None) -> None:
        """One control message to the zygote; a socket closed at its end (it died) is WorkerDied."""
        data = json.dumps(message).encode()
        try:
            if fds:
                socket.send_fds(self._sock, [data], fds)
            else:
                self._sock.send(data)
        except ConnectionError as e:  # EPIPE, ECONNRESET: nobody is at the other end
            raise WorkerDied(f"the sandbox worker's socket failed ({e.strerror})") from e

    def _call(self, message: dict, fds: list[int] | None = None) -> dict:
        """Send one control message and return its answer (after any answers still owed)."""
        while self._pending:
            self._receive()
            self._pending -= 1
        self._send(message, fds)
        return self._receive()

    def close(self) -> None:
        if self._sock is not None:
            try:
                while self._pending:  # let the zygote reap the last child before it goes
                    self._receive()
                    self._pending -= 1
            except (OSError, WorkerDied, ValueError):
                pass
            self._sock.close()
            self._sock = None
        if self._group is not None:
            self._group.users -= 1
            if self._group.users == 0:  # the last slot of the zygote: it ends now
                try:
                    self._group.proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    self._group.proc.kill()
                    self._group.proc.wait()
        self._proc, self._group = None, None

    def __enter__(self) -> "Sandbox":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def run_submission(self, source: str, parts: "list[tuple[dict, list[tuple[tuple, dict]], float]] | Prepared", *,
                       limits: dict | None = None, tripwires: bool = True) -> list[PartRun]:
        """Run the student's code on every (driver, calls, wall_s) part; one PartRun each.

        parts may be prepared once with prepare() when many submissions share them.
        """
        prepared = parts if isinstance(parts, Prepared) else prepare(parts)
        all_limits = {"cpu_s": prepared.budget, "address_space_bytes": 4 * 1024 ** 3, "processes": 64,
                      "slot": self.slot, **(limits or {})}
        try:
            self._ensure_ready()
            return _Run(self, source, prepared, all_limits, tripwires).go()
        except WorkerDied:
            # The zygote itself died (something killed it): restart for the next submission.
            self._restart()
            return [PartRun([_crash("the grader's worker process was killed while running this submission")
                             for _ in range(n)]) for n in prepared.case_counts]
        except Exception as e:
            # Anything else failed on our side (a bug of ours, an OSError of the host's, a sandbox that cannot
            # start): no outcome of the student's code, so no case of theirs is scored from it. The slot starts
            # afresh (its zygote kills the child left running), so the failure costs this submission only.
            why = traceback.format_exception_only(type(e), e)[-1].strip()
            try:
                self._restart()
            except Exception as again:
                why += "; restarting the sandbox failed too: " + traceback.format_exception_only(type(again),
                                                                                                 again)[-1].strip()
            raise SandboxFailure(why) from e

    def run_part(self, source: str, driver: dict, calls: list[tuple[tuple, dict]], *,
                 wall_s: float, limits: dict | None = None, tripwires: bool = True) -> PartRun:
        """Run a single part (a convenience for tests and tools)."""
        return self.run_submission(source, [(driver, calls, wall_s)], limits=limits, tripwires=tripwires)[0]

    def _restart(self) -> None:
        """Leave a zygote that failed us (killing it if no other slot uses it) and start one of our own."""
        if self._group is not None and self._group.users == 1:
            try:
                self._group.proc.kill()
            except OSError:
                pass
        self._pending = 0
        self.close()
        self.start()


def start_group(sandboxes: list[Sandbox], zygote: Zygote | None = None) -> None:
    """Give every sandbox a slot of one zygote: the one given (launched earlier with their slots and
    folders to hide), or a new one."""
    if zygote is None:
        zygote = launch([sb.slot for sb in sandboxes], sorted({h for sb in sandboxes for h in sb.hide}))
    if len(zygote.sockets) != len(sandboxes):
        raise ValueError("one sandbox for each of the zygote's slots")
    for sb, ours in zip(sandboxes, zygote.sockets):
        sb._proc, sb._sock, sb._group, sb._ready, sb._pending = zygote.proc, ours, zygote, False, 0


class _Child:
    """The grader's ends of one child's pipes."""

    def __init__(self, sandbox: Sandbox, limits: dict) -> None:
        req_r, self.req_w = os.pipe()
        self.res_r, res_w = os.pipe()
        self.out_r, out_w = os.pipe()
        try:
            answer = sandbox._call({"op": "fork", "limits": limits}, [req_r, res_w, out_w])
        finally:
            for fd in (req_r, res_w, out_w):
                os.close(fd)
        if answer.get("event") != "forked":  # the zygote answered, so it is alive: a request of ours it refused
            raise RuntimeError(f"the sandbox worker did not fork: {str(answer.get('message'))[:200]}")
        self.pid = int(answer["pid"])
        self.sandbox = sandbox
        os.set_blocking(self.req_w, False)
        self.splitter = wire.FrameSplitter(max_header=MAX_CHILD_HEADER)
        self.frames: collections.deque[tuple[dict, bytes]] = collections.deque()
        self.open = {self.res_r, self.out_r}
        self.exited = False

    def finish(self, wait: bool) -> tuple[int | None, int | None]:
        """Close our ends and have the zygote kill and reap the child; its exit status when wait."""
        for fd in (self.req_w, self.res_r, self.out_r):
            try:
                os.close(fd)
            except OSError:
                pass
        if not wait:  # the answer is read before the next request to the zygote
            self.sandbox._send({"op": "finish", "pid": self.pid, "grace": 0.2})
            self.sandbox._pending += 1
            return None, None
        # A child that stopped on its own keeps its exit status; one we gave up on is killed at once.
        grace = 0.2 if self.exited else 0.0
        answer = self.sandbox._call({"op": "finish", "pid": self.pid, "grace": grace})
        return answer.get("exit_code"), answer.get("signal")


class _Run:
    """One submission: children forked as needed, cases sent one at a time, deadlines kept here."""

    def __init__(self, sandbox: Sandbox, source: str, prepared: Prepared, limits: dict, tripwires: bool) -> None:
        self.sandbox, self.prepared, self.limits = sandbox, prepared, limits
        self.load = wire.pack_raw({"op": "load", "source": source, "tripwires": bool(tripwires)}, b"")
        self.output = bytearray()
        self.output_seen = 0
        self.received = 0

    def go(self) -> list[PartRun]:
        """Run every case in order; a part that fails is skipped from then on, the rest go on in a new child.

        Each part has wall_s in all: the time of its own cases, plus loading the source when
        it is the first part a child runs.
        """
        counts, walls = self.prepared.case_counts, self.prepared.walls
        outcomes: list[list[dict | None]] = [[None] * n for n in counts]
        fates: list[dict] = [{"status": "ok"} for _ in counts]
        used = [0.0] * len(counts)
        notes: list[str] = []
        order, i, first_child = self.prepared.order(), 0, True
        load_banned: set[str] = set()  # what fires while the source loads runs before any part: it counts for all

        def skip_failed(i: int) -> int:  # a failed part's other cases are not run
            while i < len(order) and fates[order[i][0]]["status"] != "ok":
                i += 1
            return i

        while (i := skip_failed(i)) < len(order):
            child = _Child(self.sandbox, self.limits)
            part = order[i][0]
            start = time.monotonic()
            deadline = start + walls[part] - used[part]
            banned: set[str] = set()
            failure = self._send(child, self.load, deadline)
            loaded = None if failure else self._expect(child, deadline, lambda h: h.get("event") == "loaded",
                                                       load_banned)
            if isinstance(loaded, str):
                failure = loaded
            elif loaded is not None and first_child:
                raw = loaded.get("notes") if isinstance(loaded.get("notes"), list) else []
                notes = [str(n)[:MAX_NOTE_CHARS] for n in raw[:MAX_NOTES]]
            first_child = False
            used[part] += time.monotonic() - start
            while failure is None and (i := skip_failed(i)) < len(order):
                part, case = order[i]
                start = time.monotonic()
                deadline = start + walls[part] - used[part]
                banned = set()
                failure = self._send(child, self.prepared.parts[part]["cases"][case], deadline)
                got = None if failure else self._expect(
                    child, deadline, lambda h, p=part, c=case: h.get("event") == "case" and h.get("part") == p
                    and h.get("case") == c, banned, raw=True)
                used[part] += time.monotonic() - start
                if isinstance(got, str):
                    failure = got
                if failure is None:
                    outcomes[part][case] = _decode_case(got, sorted(banned))
                    i += 1
            if failure is None:
                self._drain(child)
                child.finish(wait=False)  # answer first; the zygote reaps it before the next request
                break
            child.exited = failure == "exited"
            exit_code, sig = child.finish(wait=True)
            # What fired before the case stopped was reported the moment it fired: it counts.
            fates[part] = {"status": failure, "exit_code": exit_code, "signal": sig, "banned": sorted(banned)}
        output = self.output.decode("utf-8", "replace")
        runs = []
        for index, cases in enumerate(outcomes):
            why = _why_stopped(fates[index], walls[index])
            stopped_at = next((c for p, c in order if p == index and cases[c] is None), None)
            cases = [o if o is not None else dict(why, banned=fates[index].get("banned", []) if c == stopped_at else [])
                     for c, o in enumerate(cases)]
            runs.append(PartRun(cases, notes if index == 0 else [], output if index == 0 else "", used[index],
                                sorted(load_banned)))
        return runs

    def _send(self, child: _Child, data: bytes, deadline: float) -> str | None:
        """Write one request while still reading what the child writes; a failure's name or None."""
        view = memoryview(data)
        while view:
            left = deadline - time.monotonic()
            if left <= 0:
                return "timeout"
            readable, writable, _ = select.select(list(child.open), [child.req_w], [], left)
            for fd in readable:
                failure = self._read(child, fd)
                if failure:
                    return failure
            if writable:
                try:
                    view = view[os.write(child.req_w, view):]
                except BlockingIOError:
                    continue
                except OSError:
                    return "exited"  # the child is gone (EPIPE)
        return None

    def _expect(self, child: _Child, deadline: float, wanted: Any, banned: set[str], raw: bool = False) -> Any:
        """The first frame that wanted() accepts (its header, or (header, raw bytes)); else a failure's name.

        Tripwire frames on the way are collected into banned; any other frame is ignored, but
        only so many: a child that floods frames is corrupt.
        """
        others = tripwire_frames = 0
        while True:
            while child.frames:
                header, data = child.frames.popleft()
                if header.get("event") == "tripwire":
                    tripwire_frames += 1  # one per name and case from an honest child
                    if len(banned) < MAX_BANNED:
                        banned.add(str(header.get("name"))[:80])
                    if tripwire_frames > MAX_TRIPWIRE_FRAMES:
                        return "corrupt"
                    continue
                if wanted(header):
                    return (header, data) if raw else header
                others += 1
                if others > MAX_FRAMES_PER_CASE:
                    return "corrupt"
            if child.res_r not in child.open:
                return "exited"
            left = deadline - time.monotonic()
            if left <= 0:
                return "timeout"
            readable, _, _ = select.select(list(child.open), [], [], left)
            for fd in readable:
                failure = self._read(child, fd)
                if failure:
                    return failure

    def _read(self, child: _Child, fd: int) -> str | None:
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            child.open.discard(fd)
            return None
        if fd == child.out_r:
            self.output += chunk[:max(0, MAX_OUTPUT_BYTES - len(self.output))]
            self.output_seen += len(chunk)
            return None
        self.received += len(chunk)
        if self.received > MAX_RESULT_BYTES:
            return "result_too_large"
        try:
            child.frames.extend(child.splitter.feed(chunk))
        except wire.WireError:
            return "corrupt"
        return None

    def _drain(self, child: _Child) -> None:
        """Output already in the pipe (flushed before the last result): read without waiting."""
        for _ in range(64):
            if child.out_r not in child.open or not select.select([child.out_r], [], [], 0)[0]:
                return
            self._read(child, child.out_r)
            if self.output_seen > MAX_OUTPUT_BYTES + (1 << 20):
                return


def _decode_case(got: tuple[dict, bytes], banned: list[str]) -> dict[str, Any]:
    header, data = got
    hlen = int.from_bytes(data[4:8], "big")  # the splitter checked the frame: its blob follows the header
    try:
        tensors = wire.load_tensors(data[16 + hlen:])
    except wire.WireError as e:
        return {"status": "invalid", "message": f"returned something the grader cannot read ({e})", "banned": banned}
    return _outcome(header, tensors, banned)


def _crash(message: str) -> dict[str, Any]:
    return {"status": "crashed", "message": message}


def _outcome(header: dict, tensors: dict, banned: list[str]) -> dict[str, Any]:
    """A case's outcome; banned comes from the tripwire frames the grader read, never from this header."""
    status = header.get("status")
    try:
        if status == "ok":
            # Only a batch whose cases are on the GPU has started CUDA here: a child's word never starts it
            # (a CUDA context costs a worker hundreds of MB, and a grader that forks later its GPU).
            cuda = torch.cuda.is_initialized()
            inputs_after = wire.decode(header.get("inputs_after"), tensors, cuda=cuda)
            if not isinstance(inputs_after, list):  # the child's own encoding is always a list of the inputs
                raise wire.WireError("the inputs after the call are not a list")
            return {"status": "ok", "result": wire.decode(header.get("result"), tensors, cuda=cuda),
                    "inputs_after": inputs_after, "banned": banned, "seconds": float(header.get("seconds", 0.0))}
    except (wire.WireError, TypeError, ValueError) as e:
        return {"status": "invalid", "message": f"returned something the grader cannot read ({e})", "banned": banned}
    if status == "missing":
        return {"status": "missing", "name": str(header.get("name"))[:80], "banned": banned}
    if status == "error":
        return {"status": "error", "error_type": str(header.get("error_type"))[:80],
                "message": str(header.get("message", ""))[:400], "where": _text(header.get("where"), 200),
                "name": _text(header.get("name"), 80), "banned": banned}
    return {"status": "invalid", "message": str(header.get("message", "returned no readable result"))[:400],
            "banned": banned}


def _why_stopped(status: dict, wall_s: float) -> dict[str, Any]:
    """The outcome of a case that never reported: the child's fate says why."""
    if status.get("status") == "timeout":
        return {"status": "timeout", "limit": wall_s}
    if status.get("status") == "result_too_large":
        return _crash("it sent back more data than the grader accepts")
    if status.get("status") == "corrupt":
        return _crash("the process running your code wrote garbage where its results go")
    if status.get("status") == "not_run":
        return _crash("this part did not run")
    sig = status.get("signal")
    if sig:
        return _crash(f"the process running your code stopped: {_SIGNALS.get(sig, f'killed by signal {sig}')}")
    code = status.get("exit_code")
    if code == REFUSED_EXIT:
        return _crash("the grader's sandbox could not be set up as strongly as on start-up, so your code was not run "
                      "(a problem of the grading machine, not of your code)")
    if code not in (0, None):
        return _crash(f"the process running your code exited early (exit code {code}) - "
                      "sys.exit, os._exit or a fatal error")
    return _crash("the process running your code stopped before it finished this case (did it call os._exit?)")


def _text(value: Any, limit: int) -> str | None:
    return value[:limit] if isinstance(value, str) else None
