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

import json
import os
import resource
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
from .. import paths
from . import isolation, tripwires, wire, workdirs
from . import probe as sandbox_probe
from .protections import Layer

RESULT_FD = 3
REQUEST_FD = 4
MAX_REQUEST_HEADER = 16 * 1024 * 1024


class _TripwireReport:
    """What the tripwires append to: each name is written to the result pipe the first time in a case."""

    def __init__(self) -> None:
        self._sent: set[str] = set()
        self._zygote = os.getpid()  # calls in the zygote itself (its warm-up) are not a child's

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


_REPORT = _TripwireReport()


class MissingFunction(Exception):
    pass


def warm_up() -> None:
    """In the zygote: install the tripwires once (children inherit them)."""
    _REPORT._zygote = os.getpid()
    tripwires.install(_REPORT)


@dataclass(frozen=True)
class Placement:
    """Where a child works and what it may read; from the zygote, which knows the host."""

    base: str                         # the zygote's base folder for work folders (when no private /tmp)
    prefix: str                       # this child's folder name prefix: the zygote removes that folder
    read_only: tuple[str, ...]        # what Landlock lets it read (the allowlist)
    required: frozenset[str] = frozenset()  # the layers the probe had on: without one, no student code runs


REFUSED_EXIT = 4  # the child's exit code when its sandbox came out weaker than the probe's
PROBE_LIMITS = {"address_space_bytes": 4 << 30}  # as a submission gets them (client.Sandbox.run_submission)


def run(limits: dict, request_fd: int, result_fd: int, output_fd: int, placement: Placement) -> NoReturn:
    """Entry point after fork; never returns."""
    code = 0
    try:
        if _isolate(limits, request_fd, result_fd, output_fd, placement):
            _serve()
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
        isolated = isolation.isolate_child({"uid": uid}, placement.base, placement.prefix, _rlimits(PROBE_LIMITS),
                                           list(placement.read_only))
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


def _isolate(limits: dict, request_fd: int, result_fd: int, output_fd: int, placement: Placement) -> bool:
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
        isolated = isolation.isolate_child(limits, placement.base, placement.prefix, _rlimits(limits),
                                           list(placement.read_only))
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
                   and not os.path.realpath(p).startswith(str(paths.ROOT) + os.sep + "autograder")
                   and os.path.realpath(p) != str(paths.ROOT)]
    torch.set_num_threads(1)
    return True


def _rlimits(limits: dict) -> dict[int, int]:
    out = {
        resource.RLIMIT_CPU: int(limits.get("cpu_s", 30)) + 1,
        resource.RLIMIT_FSIZE: int(limits.get("file_bytes", 16 * 1024 * 1024)),
        resource.RLIMIT_NOFILE: int(limits.get("open_files", 64)),
        resource.RLIMIT_CORE: 0,
        resource.RLIMIT_NPROC: int(limits.get("processes", 64)),
    }
    if "address_space_bytes" in limits:
        # torch's own mappings already take gigabytes of address space; allow that plus the budget.
        out[resource.RLIMIT_AS] = _current_vm_bytes() + int(limits["address_space_bytes"])
    return out


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


def _read_exact(fd: int, n: int) -> bytes | None:
    chunks, left = [], n
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _read_request() -> tuple[dict, bytes] | None:
    """The next request from the grader; None when it closed the pipe (we are done)."""
    prefix = _read_exact(REQUEST_FD, 8)
    if prefix is None or prefix[:4] != wire.MAGIC:
        return None
    hlen = int.from_bytes(prefix[4:], "big")
    if hlen > MAX_REQUEST_HEADER:
        return None
    head = _read_exact(REQUEST_FD, hlen)
    size = _read_exact(REQUEST_FD, 8)
    if head is None or size is None:
        return None
    blob = _read_exact(REQUEST_FD, int.from_bytes(size, "big"))
    if blob is None:
        return None
    return json.loads(head), blob


def _serve() -> None:
    """Answer requests until the grader closes the pipe: "load" once, then "case" after "case"."""
    namespace: dict[str, Any] = {}

    def lookup(name: str) -> Any:
        fn = namespace.get(name)
        if not callable(fn):
            raise MissingFunction(name)
        return fn

    while (request := _read_request()) is not None:
        header, blob = request
        if header.get("op") == "load":
            if not header.get("tripwires", True):
                tripwires.uninstall()
            module, notes = _load_module(header["source"])
            namespace = module.__dict__
            reply = wire.pack({"event": "loaded", "notes": notes})
        elif header.get("op") == "case":
            args, kwargs = wire.decode(header["args"], wire.load_tensors(blob))
            del blob  # this case's inputs live in args and kwargs only
            reply = _run_case(header["driver"], lookup, args, kwargs, int(header["part"]), int(header["case"]))
            del args, kwargs
        else:
            return
        for stream in (sys.stdout, sys.stderr):  # its output is in the pipe before its result arrives
            stream.flush()
        _write(RESULT_FD, reply)


def _run_case(driver: dict, lookup: Any, args: tuple, kwargs: dict, part_index: int, case_index: int) -> bytes:
    header: dict[str, Any] = {"event": "case", "part": part_index, "case": case_index}
    out_tensors: dict[str, torch.Tensor] = {}
    _REPORT.new_case()
    start = time.perf_counter()
    try:
        result = run_driver(driver, lookup, Call(*args, **kwargs))
        encoder = wire.Encoder()
        header["result"] = encoder.encode(result)
        header["inputs_after"] = encoder.encode(list(tensors_in((args, kwargs))))
        out_tensors = encoder.tensors
        header["status"] = "ok"
    except MissingFunction as e:
        header.update(status="missing", name=str(e))
    except BaseException as e:
        header.update(status="error", error_type=type(e).__name__, message=_short(str(e)), where=_where(e))
        if isinstance(e, NameError):
            header["name"] = getattr(e, "name", None)
    header["seconds"] = time.perf_counter() - start
    try:
        return wire.pack(header, out_tensors)
    except Exception as e:  # e.g. a result safetensors cannot hold
        return wire.pack({"event": "case", "part": part_index, "case": case_index, "status": "invalid",
                          "message": f"the result could not be sent back: {_short(str(e))}"})
