"""What runs inside the forked child: isolate, load the student's code, run cases one at a time.

The child reads requests from its own request pipe, which the zygote never
reads: first the student's taken source, then one case at a time, the next
only after the grader has the last result (so it never holds the inputs of a
case that is not running). It writes one frame per case to its result pipe
(plain data: JSON + safetensors); the grader, which the child cannot touch,
decides every verdict. A tripwire that fires writes its own frame at once, so
the record is the grader's, not something kept in the child's memory.

Its descriptors: 0 /dev/null, 1 and 2 the output pipe, 3 results, 4 requests.
"""

from __future__ import annotations

import collections
import os
import sys
import time
from dataclasses import dataclass
from typing import Any, NoReturn

import torch

from ..checks.drivers import run_driver
from ..checks.namespace import innermost as _where
from ..checks.namespace import load_module as _load_module
from ..checks.namespace import short as _short
from ..checks.values import Call, tensors_in
from . import isolation, tripwires, wire, workdirs
from . import probe as sandbox_probe
from .limits import Limits
from .outcome import CaseStatus
from .protections import Layer

RESULT_FD = 3
REQUEST_FD = 4
MAX_REQUEST_HEADER = 16 * 1024 * 1024


class TripwireReport:
    """The tripwires, and what they append to: each name is written to the result pipe the first time in a case.

    Made and installed once, in the zygote: every child it forks starts with them.
    """

    def __init__(self) -> None:
        self._sent: set[str] = set()
        self._zygote = os.getpid()  # calls in the zygote itself (its warm-up) are not a child's
        self.wires = tripwires.Tripwires(self)

    def append(self, label: str) -> None:
        if os.getpid() == self._zygote or label in self._sent:
            return
        self._sent.add(label)
        try:
            _write(RESULT_FD, wire.pack({"event": "tripwire", "name": label}))
        except OSError:
            pass  # the pipe is gone: the case cannot report anything either

    def new_case(self) -> None:
        self._sent = set()


class MissingFunction(Exception):
    pass


def warm_up() -> TripwireReport:
    """In the zygote: the tripwires, installed once (children inherit them)."""
    report = TripwireReport()
    report.wires.install()
    return report


@dataclass(frozen=True)
class Placement:
    """Where a child works and what it may read; from the zygote, which knows the host."""

    base: str                         # the zygote's base folder for work folders (when no private /tmp)
    prefix: str                       # this child's folder name prefix: the zygote removes that folder
    read_only: tuple[str, ...]        # what Landlock lets it read (the allowlist)
    kit: str                          # the kit's own folder: no import of the child's may come from it
    required: frozenset[str] = frozenset()  # the layers the probe had on: without one, no student code runs
    grafts: tuple[isolation.Graft, ...] = ()  # what the zygote's root holds: those under /tmp go on a private /tmp


REFUSED_EXIT = 4  # the child's exit code when its sandbox came out weaker than the probe's


def run(limits: Limits, request_fd: int, result_fd: int, output_fd: int, placement: Placement,
        report: TripwireReport) -> NoReturn:
    """Entry point after fork; never returns."""
    code = 0
    try:
        if _isolate(limits, request_fd, result_fd, output_fd, placement):
            _serve(report)
        else:
            code = REFUSED_EXIT
    except BaseException:  # the child must never fall back into the zygote's loop
        code = 3
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except BaseException:
                pass
        os._exit(code)


def probe(result_fd: int, uid: int, placement: Placement, secret_paths: list[str], zygote_pid: int) -> NoReturn:
    """Isolate as a child would, then try what the sandbox forbids (sandbox/probe.py); report both."""
    layers: list[Layer] = []
    measured: list[dict] = []
    straggler = -1
    try:
        os.setsid()
        limits = Limits(uid=uid)  # the defaults, as a submission gets them (but for its CPU time: its parts')
        isolated = isolation.isolate_child(limits, placement.base, placement.prefix,
                                           limits.rlimits(_current_vm_bytes()), list(placement.read_only),
                                           placement.grafts)
        layers = isolated.layers
        measured = sandbox_probe.measure(layers, isolated.workdir, placement.base, secret_paths, zygote_pid)
        straggler = sandbox_probe.leave_a_process_behind()
        measured.append(sandbox_probe.processes_bounded())  # last: it takes the probe's own forks away
    except BaseException as e:
        layers.append(Layer("isolation", False, f"failed: {type(e).__name__}: {e}"))
    finally:
        _write(result_fd, wire.pack({"event": "probe", "straggler": straggler, "measured": measured,
                                     "layers": [{"name": x.name, "on": x.on, "detail": x.detail} for x in layers]}))
        os._exit(0)


def _isolate(limits: Limits, request_fd: int, result_fd: int, output_fd: int, placement: Placement) -> bool:
    """Fixed descriptors, then every layer; False (and no student code) when one the probe had is missing."""
    os.setsid()  # our own process group, so the zygote can kill everything we start
    # Fixed descriptors, whatever the zygote had: the tripwires write to RESULT_FD.
    moved = [os.dup(fd) for fd in (request_fd, result_fd, output_fd)]
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(moved[2], 1)
    os.dup2(moved[2], 2)
    os.dup2(moved[1], RESULT_FD)
    os.dup2(moved[0], REQUEST_FD)
    # Close everything else we inherited (the zygote's control socket above all).
    os.closerange(REQUEST_FD + 1, 65536)
    # Fresh text streams on the new fds, whatever the process we were forked from had there.
    sys.stdin = open(0, "r", closefd=False)
    sys.stdout = open(1, "w", encoding="utf-8", errors="replace", closefd=False)
    sys.stderr = open(2, "w", encoding="utf-8", errors="replace", closefd=False)
    try:
        isolated = isolation.isolate_child(limits, placement.base, placement.prefix,
                                           limits.rlimits(_current_vm_bytes()), list(placement.read_only),
                                           placement.grafts)
    except workdirs.NoWorkFolder as e:
        _write(RESULT_FD, wire.pack({"event": "refused", "missing": [f"work folder: {e}"]}))
        return False
    missing = sorted(placement.required - {layer.name for layer in isolated.layers if layer.on})
    if missing:
        _write(RESULT_FD, wire.pack({"event": "refused", "missing": missing}))
        return False
    workdir = isolated.workdir
    # Files beside the submission must not shadow modules: no cwd, relative or kit entries.
    sys.path[:] = [p for p in sys.path if p and os.path.isabs(p) and os.path.realpath(p) != os.path.realpath(workdir)
                   and not os.path.realpath(p).startswith(placement.kit + os.sep + "autograder")
                   and os.path.realpath(p) != placement.kit]
    torch.set_num_threads(1)
    return True


def _current_vm_bytes() -> int:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 4 * 1024 ** 3


def _write(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


class _Requests:
    """The grader's requests, frame by frame, from the request pipe."""

    def __init__(self) -> None:
        # The grader's own frames: a case's inputs may be larger than anything a child may send back.
        self._splitter = wire.FrameSplitter(max_header=MAX_REQUEST_HEADER, max_blob=None)
        self._ready: collections.deque[wire.Frame] = collections.deque()

    def next(self) -> wire.Frame | None:
        """The next request; None when the grader closed the pipe (we are done)."""
        while not self._ready:
            chunk = os.read(REQUEST_FD, 1 << 20)
            if not chunk:
                return None
            try:
                self._ready.extend(self._splitter.feed(chunk))
            except wire.WireError:
                return None
        return self._ready.popleft()


def _serve(report: TripwireReport) -> None:
    """Answer requests until the grader closes the pipe: "load" once, then "case" after "case"."""
    namespace: dict[str, Any] = {}
    requests = _Requests()

    def lookup(name: str) -> Any:
        fn = namespace.get(name)
        if not callable(fn):
            raise MissingFunction(name)
        return fn

    while (request := requests.next()) is not None:
        header, blob = request
        del request
        if header.get("op") == "load":
            if not header.get("tripwires", True):
                report.wires.uninstall()
            module, notes = _load_module(header["source"])
            namespace = module.__dict__
            reply = wire.pack({"event": "loaded", "notes": notes})
        elif header.get("op") == "case":
            args, kwargs = wire.decode(header["args"], wire.load_tensors(blob))
            del blob  # this case's inputs live in args and kwargs only
            reply = _run_case(header["driver"], lookup, args, kwargs, int(header["part"]), int(header["case"]),
                              report)
            del args, kwargs
        else:
            return
        for stream in (sys.stdout, sys.stderr):  # its output is in the pipe before its result arrives
            stream.flush()
        _write(RESULT_FD, reply)


def _run_case(driver: dict, lookup: Any, args: tuple, kwargs: dict, part_index: int, case_index: int,
              report: TripwireReport) -> bytes:
    header: dict[str, Any] = {"event": "case", "part": part_index, "case": case_index}
    out_tensors: dict[str, torch.Tensor] = {}
    report.new_case()
    start = time.perf_counter()
    try:
        result = run_driver(driver, lookup, Call(*args, **kwargs))
        encoder = wire.Encoder()
        header["result"] = encoder.encode(result)
        header["inputs_after"] = encoder.encode(list(tensors_in((args, kwargs))))
        out_tensors = encoder.tensors
        header["status"] = CaseStatus.OK
    except MissingFunction as e:
        header.update(status=CaseStatus.MISSING, name=str(e))
    except BaseException as e:
        header.update(status=CaseStatus.ERROR, error_type=type(e).__name__, message=_short(str(e)), where=_where(e))
        if isinstance(e, NameError):
            header["name"] = getattr(e, "name", None)
    header["seconds"] = time.perf_counter() - start
    try:
        return wire.pack(header, out_tensors)
    except Exception as e:  # e.g. a result safetensors cannot hold
        return wire.pack({"event": "case", "part": part_index, "case": case_index, "status": CaseStatus.INVALID,
                          "message": f"the result could not be sent back: {_short(str(e))}"})
