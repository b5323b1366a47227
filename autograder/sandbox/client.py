"""The grader's side of the sandbox: talk to each child of a zygote, read back outcomes.

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
import dataclasses
import enum
import json
import os
import select
import socket
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from ..checks.judging import Outcome
from . import wire
from .child import REFUSED_EXIT
from .launch import ZygotePool
from .limits import Limits
from .outcome import CaseStatus
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


# One case: (args, kwargs), or (args, kwargs, hidden).
CaseCall = tuple[Sequence[Any], Mapping[str, Any]] | tuple[Sequence[Any], Mapping[str, Any], bool]
# One part: (its driver, as checks/drivers.py reads it; its cases; its wall-time limit in seconds).
PartCases = tuple[dict[str, Any], Sequence[CaseCall], float]


@dataclass
class PartRun:
    """What the sandbox reports for one part: per-case outcomes plus load notes and output."""

    outcomes: list[Outcome]
    notes: list[str] = field(default_factory=list)
    output: str = ""
    elapsed: float = 0.0
    load_banned: list[str] = field(default_factory=list)  # tripwires that fired while the source loaded


@dataclass
class Prepared:
    """The inputs of a set of parts, each case packed once as its own request frame (shared by a batch)."""

    cases: list[list[bytes]]     # per part, each case's request frame
    walls: list[float]           # per part, its wall-time limit (s)
    hidden: list[list[bool]]     # per part, per case

    @property
    def case_counts(self) -> list[int]:
        return [len(cases) for cases in self.cases]

    def order(self) -> list[tuple[int, int]]:
        """(part, case) in the order they run: every public case of every part, then the hidden ones.

        So no public case, whose messages the student sees at once, ever runs in a process that
        has held a hidden case's inputs (even freed memory could give them away).
        """
        cases = [(p, c) for p, n in enumerate(self.case_counts) for c in range(n)]
        return [pc for pc in cases if not self.hidden[pc[0]][pc[1]]] + [pc for pc in cases if self.hidden[pc[0]][pc[1]]]

    @property
    def budget(self) -> float:
        return sum(self.walls)


def prepare(parts: Sequence[PartCases]) -> Prepared:
    """Each part's (driver, calls, wall_s); a call is (args, kwargs) or (args, kwargs, hidden)."""
    frames, hidden = [], []
    for p, (driver, calls, _) in enumerate(parts):
        hidden.append([bool(call[2]) if len(call) > 2 else False for call in calls])
        packed = []
        for c, (a, k, *_) in enumerate(calls):
            encoder = wire.Encoder()
            encoded = encoder.encode((tuple(a), dict(k)))
            packed.append(wire.pack_raw({"op": "case", "part": p, "case": c, "driver": driver, "args": encoded},
                                        wire.tensor_blob(encoder.tensors) if encoder.tensors else b""))
        frames.append(packed)
    return Prepared(frames, [float(w) for _, _, w in parts], hidden)


class WorkerDied(Exception):
    """The zygote stopped answering: its socket closed or was reset (it died, or something killed it)."""


class SandboxFailure(RuntimeError):
    """The grader's own side of the sandbox failed on a submission (a bug of ours, or of the host), with the
    zygote still alive: not an outcome of the student's code, so the submission is a grader failure."""


class Sandbox:
    """One job slot of a zygote pool (a warm worker). Not thread-safe: one submission at a time."""

    def __init__(self, pool: ZygotePool, slot: int = 0) -> None:
        """slot: this worker's number (its own unprivileged user); its zygote is started by the pool (here, on first
        use, when the pool has none serving it yet)."""
        self.pool = pool
        self.slot = slot
        self.report: SandboxReport | None = None  # what the zygote's probe measured (after wait_ready)
        self._ready = False
        self._pending = 0  # "finish" requests whose answer is not read yet

    def start(self) -> None:
        """Have a zygote serve this slot (one that ended is replaced), without waiting for it to be ready."""
        if not self.pool.running(self.slot):
            self.pool.restart(self.slot)
            self._ready, self._pending = False, 0

    def adopt(self) -> None:
        """Take this slot over in a process forked from the one that started the zygote.

        The zygote is the other process's child: this one never waits for it or kills it; should
        it die, a restart starts a zygote of this process's own.
        """
        self.pool.disown()

    def release(self) -> None:
        """Close this process's copy of the slot's socket without a word to the zygote: another
        process (a worker forked from this one) uses the slot."""
        self.pool.release(self.slot)

    def wait_ready(self) -> SandboxReport:
        """Block until the worker has started; which protections it has (its probe's report)."""
        return self._ensure_ready()

    def _ensure_ready(self) -> SandboxReport:
        self.start()
        if not self._ready or self.report is None:
            try:
                message = self._receive()
            except WorkerDied:
                message = {}
            if message.get("event") != "ready":
                said = self.pool.said(self.slot)
                raise RuntimeError("the sandbox worker failed to start" + (f": it said {said}" if said else
                                                                           " (it said nothing)"))
            self.report = SandboxReport.from_json(message.get("sandbox"))
            self._ready = True
        return self.report

    @property
    def protections_off(self) -> list[str]:
        """The layers this host refused (each with why); empty before wait_ready."""
        return self.report.off() if self.report is not None else []

    def _receive(self) -> dict[str, Any]:
        try:
            data = self.pool.socket(self.slot).recv(65536)
        except ConnectionError as e:
            raise WorkerDied(f"the sandbox worker's socket failed ({e.strerror})") from e
        if not data:
            raise WorkerDied("the sandbox worker exited")
        message = json.loads(data)
        return message if isinstance(message, dict) else {}

    def _send(self, message: dict[str, Any], fds: list[int] | None = None) -> None:
        """One control message to the zygote; a socket closed at its end (it died) is WorkerDied."""
        data = json.dumps(message).encode()
        sock = self.pool.socket(self.slot)
        try:
            if fds:
                socket.send_fds(sock, [data], fds)
            else:
                sock.send(data)
        except ConnectionError as e:  # EPIPE, ECONNRESET: nobody is at the other end
            raise WorkerDied(f"the sandbox worker's socket failed ({e.strerror})") from e

    def _call(self, message: dict[str, Any], fds: list[int] | None = None) -> dict[str, Any]:
        """Send one control message and return its answer (after any answers still owed)."""
        while self._pending:
            self._receive()
            self._pending -= 1
        self._send(message, fds)
        return self._receive()

    def close(self) -> None:
        if self._pending and self.pool.is_open(self.slot):
            try:
                while self._pending:  # let the zygote reap the last child before it goes
                    self._receive()
                    self._pending -= 1
            except (OSError, WorkerDied, ValueError):
                pass
        self._pending = 0
        self.pool.close_slot(self.slot)

    def __enter__(self) -> "Sandbox":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def run_submission(self, source: str, parts: Sequence[PartCases] | Prepared, *,
                       limits: Limits | None = None, tripwires: bool = True) -> list[PartRun]:
        """Run the student's code on every (driver, calls, wall_s) part; one PartRun each.

        parts may be prepared once with prepare() when many submissions share them. limits: the child's
        (default: Limits(), with the parts' wall-time limits together as its CPU time); its slot is this one.
        """
        prepared = parts if isinstance(parts, Prepared) else prepare(parts)
        limits = dataclasses.replace(limits or Limits(cpu_s=prepared.budget), slot=self.slot)
        try:
            self._ensure_ready()
            return _Run(self, source, prepared, limits, tripwires).go()
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

    def run_part(self, source: str, driver: dict[str, Any], calls: Sequence[CaseCall], *,
                 wall_s: float, limits: Limits | None = None, tripwires: bool = True) -> PartRun:
        """Run a single part (a convenience for tests and tools)."""
        return self.run_submission(source, [(driver, calls, wall_s)], limits=limits, tripwires=tripwires)[0]

    def _restart(self) -> None:
        """Leave a zygote that failed us (killing it if no other slot uses it) and start one of our own."""
        self._ready, self._pending = False, 0
        self.pool.restart(self.slot)


class _Child:
    """The grader's ends of one child's pipes."""

    def __init__(self, sandbox: Sandbox, limits: Limits) -> None:
        req_r, self.req_w = os.pipe()
        self.res_r, res_w = os.pipe()
        self.out_r, out_w = os.pipe()
        try:
            answer = sandbox._call({"op": "fork", "limits": limits.to_json()}, [req_r, res_w, out_w])
        finally:
            for fd in (req_r, res_w, out_w):
                os.close(fd)
        if answer.get("event") != "forked":  # the zygote answered, so it is alive: a request of ours it refused
            raise RuntimeError(f"the sandbox worker did not fork: {str(answer.get('message'))[:200]}")
        self.pid = int(answer["pid"])
        self.sandbox = sandbox
        os.set_blocking(self.req_w, False)
        self.splitter = wire.FrameSplitter(max_header=MAX_CHILD_HEADER)
        self.frames: collections.deque[wire.Frame] = collections.deque()
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


class Stop(enum.Enum):
    """Why a child stopped before a case's result was in."""

    TIMEOUT = "its part's time ran out"
    EXITED = "it exited, or closed its pipes"
    CORRUPT = "it wrote something that is no frame, or too many frames"
    TOO_LARGE = "it sent back more than MAX_RESULT_BYTES"


@dataclass(frozen=True)
class Fate:
    """How the child running a part stopped early: why, its exit status, the tripwires of the case it was on."""

    stop: Stop
    exit_code: int | None
    signal: int | None
    banned: tuple[str, ...]


class _Run:
    """One submission: children forked as needed, cases sent one at a time, deadlines kept here.

    Reading (a child's frames and output, against each part's deadline), deciding (which case runs next,
    in which child; how a part ended) and writing (each part's PartRun) are separate steps.
    """

    def __init__(self, sandbox: Sandbox, source: str, prepared: Prepared, limits: Limits, tripwires: bool) -> None:
        self.sandbox, self.prepared, self.limits = sandbox, prepared, limits
        self.load = wire.pack_raw({"op": "load", "source": source, "tripwires": bool(tripwires)}, b"")
        self.output = bytearray()
        self.output_seen = 0
        self.received = 0
        self.order = prepared.order()
        self.outcomes: list[list[Outcome | None]] = [[None] * n for n in prepared.case_counts]
        self.fates: list[Fate | None] = [None] * len(prepared.cases)  # a part whose child stopped early: how
        self.used = [0.0] * len(prepared.cases)  # each part's time so far, against its wall-time limit
        self.notes: list[str] = []
        self.load_banned: set[str] = set()  # what fires while the source loads runs before any part: it counts for all

    def go(self) -> list[PartRun]:
        """Run every case in order; a part that fails is skipped from then on, the rest go on in a new child.

        Each part has wall_s in all: the time of its own cases, plus loading the source when
        it is the first part a child runs.
        """
        i, first_child = 0, True
        while (i := self._next(i)) < len(self.order):
            i = self._in_one_child(i, first_child)
            first_child = False
        return self._part_runs()

    # --- deciding -----------------------------------------------------------------------------------

    def _next(self, i: int) -> int:
        """The first case from the i-th on (in order) whose part has not failed: a failed part's cases are not run."""
        while i < len(self.order) and self.fates[self.order[i][0]] is not None:
            i += 1
        return i

    def _in_one_child(self, i: int, first_child: bool) -> int:
        """Run cases from the i-th on in a new child, until every one is done or the child stops; a child that
        stopped fails the part it was on. Where the next child goes on."""
        child = _Child(self.sandbox, self.limits)
        part = self.order[i][0]
        banned: set[str] = set()
        stop = self._load(child, part, first_child)
        while stop is None and (i := self._next(i)) < len(self.order):
            part, case = self.order[i]
            banned = set()
            stop = self._case(child, part, case, banned)
            if stop is None:
                i += 1
        if stop is None:
            self._drain(child)
            child.finish(wait=False)  # answer first; the zygote reaps it before the next request
            return i
        child.exited = stop is Stop.EXITED
        exit_code, sig = child.finish(wait=True)
        # What fired before the case stopped was reported the moment it fired: it counts.
        self.fates[part] = Fate(stop, exit_code, sig, tuple(sorted(banned)))
        return i

    # --- reading ------------------------------------------------------------------------------------

    def _load(self, child: _Child, part: int, first_child: bool) -> Stop | None:
        """Send the source; the notes on loading it are kept from the first child."""
        start = time.monotonic()
        deadline = start + self.prepared.walls[part] - self.used[part]
        stop = self._send(child, self.load, deadline)
        if stop is None:
            loaded = self._expect(child, deadline, lambda h: h.get("event") == "loaded", self.load_banned)
            if isinstance(loaded, Stop):
                stop = loaded
            elif first_child:
                raw = loaded.header.get("notes")
                self.notes = [str(n)[:MAX_NOTE_CHARS] for n in (raw if isinstance(raw, list) else [])[:MAX_NOTES]]
        self.used[part] += time.monotonic() - start
        return stop

    def _case(self, child: _Child, part: int, case: int, banned: set[str]) -> Stop | None:
        """Send one case and read its result (the tripwires that fire on the way go into banned)."""
        start = time.monotonic()
        deadline = start + self.prepared.walls[part] - self.used[part]
        stop = self._send(child, self.prepared.cases[part][case], deadline)
        got = None if stop is not None else self._expect(
            child, deadline, lambda h: h.get("event") == "case" and h.get("part") == part and h.get("case") == case,
            banned)
        self.used[part] += time.monotonic() - start
        if isinstance(got, Stop):
            return got
        if got is not None:
            self.outcomes[part][case] = _decode_case(got, tuple(sorted(banned)))
        return stop

    def _send(self, child: _Child, data: bytes, deadline: float) -> Stop | None:
        """Write one request while still reading what the child writes; why the child stopped, or None."""
        view = memoryview(data)
        while view:
            left = deadline - time.monotonic()
            if left <= 0:
                return Stop.TIMEOUT
            readable, writable, _ = select.select(list(child.open), [child.req_w], [], left)
            for fd in readable:
                stop = self._read(child, fd)
                if stop is not None:
                    return stop
            if writable:
                try:
                    view = view[os.write(child.req_w, view):]
                except BlockingIOError:
                    continue
                except OSError:
                    return Stop.EXITED  # the child is gone (EPIPE)
        return None

    def _expect(self, child: _Child, deadline: float, wanted: Callable[[dict[str, Any]], bool],
                banned: set[str]) -> wire.Frame | Stop:
        """The first frame whose header wanted() accepts; else why the child stopped.

        Tripwire frames on the way are collected into banned; any other frame is ignored, but
        only so many: a child that floods frames is corrupt.
        """
        others = tripwire_frames = 0
        while True:
            while child.frames:
                frame = child.frames.popleft()
                if frame.header.get("event") == "tripwire":
                    tripwire_frames += 1  # one per name and case from an honest child
                    if len(banned) < MAX_BANNED:
                        banned.add(str(frame.header.get("name"))[:80])
                    if tripwire_frames > MAX_TRIPWIRE_FRAMES:
                        return Stop.CORRUPT
                    continue
                if wanted(frame.header):
                    return frame
                others += 1
                if others > MAX_FRAMES_PER_CASE:
                    return Stop.CORRUPT
            if child.res_r not in child.open:
                return Stop.EXITED
            left = deadline - time.monotonic()
            if left <= 0:
                return Stop.TIMEOUT
            readable, _, _ = select.select(list(child.open), [], [], left)
            for fd in readable:
                stop = self._read(child, fd)
                if stop is not None:
                    return stop

    def _read(self, child: _Child, fd: int) -> Stop | None:
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
            return Stop.TOO_LARGE
        try:
            child.frames.extend(child.splitter.feed(chunk))
        except wire.WireError:
            return Stop.CORRUPT
        return None

    def _drain(self, child: _Child) -> None:
        """Output already in the pipe (flushed before the last result): read without waiting."""
        for _ in range(64):
            if child.out_r not in child.open or not select.select([child.out_r], [], [], 0)[0]:
                return
            self._read(child, child.out_r)
            if self.output_seen > MAX_OUTPUT_BYTES + (1 << 20):
                return

    # --- writing ------------------------------------------------------------------------------------

    def _part_runs(self) -> list[PartRun]:
        """Each part's outcomes (a case that never reported gets one saying why), notes and output."""
        output = self.output.decode("utf-8", "replace")
        runs = []
        for index, cases in enumerate(self.outcomes):
            fate = self.fates[index]
            stopped_at = next((c for p, c in self.order if p == index and cases[c] is None), None)
            filled = []
            for c, outcome in enumerate(cases):
                if outcome is None:
                    if fate is None:  # every case of a part that did not fail has run
                        raise RuntimeError(f"case {c} of part {index} neither ran nor failed")
                    outcome = dataclasses.replace(_why_stopped(fate, self.prepared.walls[index]),
                                                  banned=fate.banned if c == stopped_at else ())
                filled.append(outcome)
            runs.append(PartRun(filled, self.notes if index == 0 else [], output if index == 0 else "",
                                self.used[index], sorted(self.load_banned)))
        return runs


def _decode_case(frame: wire.Frame, banned: tuple[str, ...]) -> Outcome:
    try:
        tensors = wire.load_tensors(frame.blob)
    except wire.WireError as e:
        return Outcome(CaseStatus.INVALID, message=f"returned something the grader cannot read ({e})", banned=banned)
    return _outcome(frame.header, tensors, banned)


def _crash(message: str) -> Outcome:
    return Outcome(CaseStatus.CRASHED, message=message)


def _outcome(header: dict[str, Any], tensors: dict[str, torch.Tensor], banned: tuple[str, ...]) -> Outcome:
    """A case's outcome; banned comes from the tripwire frames the grader read, never from this header."""
    status = header.get("status")
    try:
        if status == CaseStatus.OK:
            # Only a batch whose cases are on the GPU has started CUDA here: a child's word never starts it
            # (a CUDA context costs a worker hundreds of MB, and a grader that forks later its GPU).
            cuda = torch.cuda.is_initialized()
            inputs_after = wire.decode(header.get("inputs_after"), tensors, cuda=cuda)
            if not isinstance(inputs_after, list):  # the child's own encoding is always a list of the inputs
                raise wire.WireError("the inputs after the call are not a list")
            return Outcome(CaseStatus.OK, result=wire.decode(header.get("result"), tensors, cuda=cuda),
                           inputs_after=inputs_after, banned=banned, seconds=float(header.get("seconds", 0.0)))
    except (wire.WireError, TypeError, ValueError) as e:
        return Outcome(CaseStatus.INVALID, message=f"returned something the grader cannot read ({e})", banned=banned)
    if status == CaseStatus.MISSING:
        return Outcome(CaseStatus.MISSING, name=str(header.get("name"))[:80], banned=banned)
    if status == CaseStatus.ERROR:
        return Outcome(CaseStatus.ERROR, error_type=str(header.get("error_type"))[:80],
                       message=str(header.get("message", ""))[:400], where=_text(header.get("where"), 200),
                       name=_text(header.get("name"), 80), banned=banned)
    return Outcome(CaseStatus.INVALID, message=str(header.get("message", "returned no readable result"))[:400],
                   banned=banned)


def _why_stopped(fate: Fate, wall_s: float) -> Outcome:
    """The outcome of a case that never reported: the child's fate says why."""
    if fate.stop is Stop.TIMEOUT:
        return Outcome(CaseStatus.TIMEOUT, limit=wall_s)
    if fate.stop is Stop.TOO_LARGE:
        return _crash("it sent back more data than the grader accepts")
    if fate.stop is Stop.CORRUPT:
        return _crash("the process running your code wrote garbage where its results go")
    if fate.signal:
        return _crash(f"the process running your code stopped: "
                      f"{_SIGNALS.get(fate.signal, f'killed by signal {fate.signal}')}")
    code = fate.exit_code
    if code == REFUSED_EXIT:
        return _crash("the grader's sandbox could not be set up as strongly as on start-up, so your code was not run "
                      "(a problem of the grading machine, not of your code)")
    if code not in (0, None):
        return _crash(f"the process running your code exited early (exit code {code}) - "
                      "sys.exit, os._exit or a fatal error")
    return _crash("the process running your code stopped before it finished this case (did it call os._exit?)")


def _text(value: Any, limit: int) -> str | None:
    return value[:limit] if isinstance(value, str) else None
