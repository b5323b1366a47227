"""The grader's side of the sandbox: start the zygote, send a part, read back outcomes.

Everything that comes back is untrusted: frames are decoded with caps, every
case without a valid frame gets an outcome that says why (timeout, crash, exit),
and a zygote that died is restarted so one hostile part costs only itself.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from typing import Any

from .. import paths
from . import wire

_SIGNALS = {9: "it was killed (SIGKILL) - out of memory or over a limit?", 24: "it used more than its CPU-time limit",
            6: "it aborted (SIGABRT) - often an allocation that exceeded the memory limit", 11: "it crashed (SIGSEGV)",
            25: "it wrote more than the file-size limit"}


@dataclass
class PartRun:
    """What the sandbox reports for one part: per-case outcomes plus load notes and output."""

    outcomes: list[dict[str, Any]]
    notes: list[str] = field(default_factory=list)
    output: str = ""
    elapsed: float = 0.0


def clean_env() -> dict[str, str]:
    """The zygote's whole environment: nothing from the grader's (no tokens, no paths)."""
    return {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": tempfile.gettempdir(),
            "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONHASHSEED": "0",
            "CUDA_VISIBLE_DEVICES": os.environ.get("KIT_SANDBOX_CUDA", "")}


class Sandbox:
    """One zygote (a warm worker). Not thread-safe: one part at a time."""

    def __init__(self) -> None:
        self._proc: subprocess.Popen | None = None
        self._ready = False

    def start(self) -> None:
        """Start the zygote without waiting for it (its torch import overlaps the grader's)."""
        if self._proc is not None and self._proc.poll() is None:
            return
        bootstrap = (f"import sys; sys.path.insert(0, {str(paths.ROOT)!r}); "
                     "from autograder.sandbox import zygote; zygote.main()")
        self._proc = subprocess.Popen([sys.executable, "-I", "-c", bootstrap], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                      env=clean_env(), cwd=tempfile.gettempdir())
        self._ready = False

    def _ensure_ready(self) -> None:
        self.start()
        if not self._ready:
            frame = wire.read_frame(self._proc.stdout)
            if frame is None or frame[0].get("event") != "ready":
                raise RuntimeError("the sandbox worker failed to start")
            self._ready = True

    def close(self) -> None:
        if self._proc is not None:
            try:
                self._proc.stdin.close()
            except OSError:
                pass
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            self._proc = None

    def __enter__(self) -> "Sandbox":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def run_part(self, source: str, driver: dict, calls: list[tuple[tuple, dict]], *,
                 wall_s: float, limits: dict | None = None, tripwires: bool = True) -> PartRun:
        """Run the student's code on every call of one part in a fresh child."""
        encoded, tensors = wire.encode([(tuple(a), dict(k)) for a, k in calls])
        request = {"source": source, "driver": driver, "cases": encoded["list"], "tripwires": tripwires,
                   "limits": {"wall_s": wall_s, "cpu_s": wall_s, "address_space_bytes": 4 * 1024 ** 3,
                              **(limits or {})}}
        try:
            self._ensure_ready()
            self._proc.stdin.write(wire.pack(request, tensors))
            self._proc.stdin.flush()
            frame = wire.read_frame(self._proc.stdout)
            if frame is None:
                raise wire.WireError("the sandbox worker exited")
        except (OSError, wire.WireError, RuntimeError, ValueError):
            # The zygote itself died (something killed it): restart for the next part.
            self._restart()
            return PartRun([_crash("the grader's worker process was killed while running this part")
                            for _ in calls])
        status, payload = frame
        return _outcomes(status, payload, len(calls), wall_s)

    def _restart(self) -> None:
        if self._proc is not None:
            try:
                self._proc.kill()
            except OSError:
                pass
            self._proc.wait()
        self._proc = None
        self.start()


def _crash(message: str) -> dict[str, Any]:
    return {"status": "crashed", "message": message}


def _outcomes(status: dict, payload: bytes, n_cases: int, wall_s: float) -> PartRun:
    notes: list[str] = []
    outcomes: list[dict[str, Any] | None] = [None] * n_cases
    try:
        frames = wire.unpack_all(payload)
    except wire.WireError as e:
        frames = []
        notes.append(f"the process running your code sent back corrupt data ({e})")
    for header, tensors in frames:
        if header.get("event") == "loaded":
            notes += [str(n)[:400] for n in header.get("notes", [])][:20]
            continue
        index = header.get("case")
        if not isinstance(index, int) or not 0 <= index < n_cases or outcomes[index] is not None:
            continue  # forged or repeated frames are ignored: the first one for a case counts
        outcomes[index] = _outcome(header, tensors)
    why = _why_stopped(status, wall_s)
    return PartRun([o if o is not None else why for o in outcomes], notes,
                   status.get("output", ""), float(status.get("elapsed", 0.0)))


def _outcome(header: dict, tensors: dict) -> dict[str, Any]:
    banned = [str(b)[:80] for b in header.get("banned", []) if isinstance(b, str)][:20]
    status = header.get("status")
    try:
        if status == "ok":
            return {"status": "ok", "result": wire.decode(header.get("result"), tensors),
                    "inputs_after": wire.decode(header.get("inputs_after"), tensors), "banned": banned,
                    "seconds": float(header.get("seconds", 0.0))}
    except (wire.WireError, TypeError, ValueError) as e:
        return {"status": "invalid", "message": f"returned something the grader cannot read ({e})", "banned": banned}
    if status == "missing":
        return {"status": "missing", "name": str(header.get("name"))[:80], "banned": banned}
    if status == "error":
        return {"status": "error", "error_type": str(header.get("error_type"))[:80],
                "message": str(header.get("message", ""))[:400], "where": header.get("where"),
                "name": header.get("name"), "banned": banned}
    return {"status": "invalid", "message": str(header.get("message", "returned no readable result"))[:400],
            "banned": banned}


def _why_stopped(status: dict, wall_s: float) -> dict[str, Any]:
    """The outcome of a case that never reported: the child's fate says why."""
    if status.get("status") == "timeout":
        return {"status": "timeout", "limit": wall_s}
    if status.get("status") == "result_too_large":
        return _crash("it sent back more data than the grader accepts")
    sig = status.get("signal")
    if sig:
        return _crash(f"the process running your code stopped: {_SIGNALS.get(sig, f'killed by signal {sig}')}")
    code = status.get("exit_code")
    if code not in (0, None):
        return _crash(f"the process running your code exited early (exit code {code}) - "
                      "sys.exit, os._exit or a fatal error")
    return _crash("the process running your code stopped before it finished this case (did it call os._exit?)")
