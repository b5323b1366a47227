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
from pathlib import Path
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


@dataclass
class Prepared:
    """The inputs of a set of parts, encoded once (every submission of a batch gets the same)."""

    parts: list[dict]
    blob: bytes
    case_counts: list[int]
    walls: list[float]

    @property
    def budget(self) -> float:
        return sum(self.walls)


def prepare(parts: list[tuple[dict, list[tuple[tuple, dict]], float]]) -> Prepared:
    encoder = wire.Encoder()
    request_parts = [{"driver": driver, "wall_s": float(wall_s),
                      "cases": [encoder.encode((tuple(a), dict(k))) for a, k in calls]}
                     for driver, calls, wall_s in parts]
    blob = wire.st_save(encoder.tensors) if encoder.tensors else b""
    return Prepared(request_parts, blob, [len(calls) for _, calls, _ in parts], [float(w) for _, _, w in parts])


def clean_env() -> dict[str, str]:
    """The zygote's whole environment: nothing from the grader's (no tokens, no paths)."""
    return {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": tempfile.gettempdir(),
            "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONHASHSEED": "0",
            "CUDA_VISIBLE_DEVICES": os.environ.get("KIT_SANDBOX_CUDA", "")}


class Sandbox:
    """One zygote (a warm worker). Not thread-safe: one part at a time."""

    def __init__(self, slot: int = 0, hide: tuple[str, ...] = ()) -> None:
        """slot: this worker's number (its own unprivileged user); hide: more folders the child must not see."""
        self.slot = slot
        # A course outside the kit's own folder (course.toml found elsewhere) is covered as well.
        course = {str(paths.ROOT.resolve()), str(paths.PACKAGE.parent)} if paths.ROOT.resolve() != paths.PACKAGE.parent else set()
        self.hide = [str(Path(h).resolve()) for h in hide] + sorted(course)
        self.protections_off: list[str] = []
        self._proc: subprocess.Popen | None = None
        self._ready = False

    def start(self) -> None:
        """Start the zygote without waiting for it to be ready.

        Forked from this process when it holds no secrets yet (torch already
        imported: the expensive part is paid once for the grader and all its
        workers); otherwise a fresh interpreter, which imports torch itself.
        """
        if self._proc is not None and self._proc.poll() is None:
            return
        from .. import spec
        self._proc = (_fork_zygote(self.slot, self.hide) if not spec.secrets_loaded()
                      else _spawn_zygote(self.slot, self.hide))
        self._ready = False

    def wait_ready(self) -> None:
        """Block until the worker has started (and probed which protections it has)."""
        self._ensure_ready()

    def _ensure_ready(self) -> None:
        self.start()
        if not self._ready:
            frame = wire.read_frame(self._proc.stdout)
            if frame is None or frame[0].get("event") != "ready":
                raise RuntimeError("the sandbox worker failed to start")
            self.protections_off = list(frame[0].get("protections_off", []))
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

    def run_submission(self, source: str, parts: "list[tuple[dict, list[tuple[tuple, dict]], float]] | Prepared", *,
                       limits: dict | None = None, tripwires: bool = True) -> list[PartRun]:
        """Run the student's code on every (driver, calls, wall_s) part in one child; one PartRun each.

        parts may be prepared once with prepare() when many submissions share them.
        """
        prepared = parts if isinstance(parts, Prepared) else prepare(parts)
        request = {"source": source, "parts": prepared.parts, "tripwires": tripwires,
                   "limits": {"cpu_s": prepared.budget, "address_space_bytes": 4 * 1024 ** 3, "processes": 64,
                              "slot": self.slot, **(limits or {})}}
        try:
            self._ensure_ready()
            self._proc.stdin.write(wire.pack_raw(request, prepared.blob))
            self._proc.stdin.flush()
            frame = wire.read_frame(self._proc.stdout)
            if frame is None:
                raise wire.WireError("the sandbox worker exited")
        except (OSError, wire.WireError, RuntimeError, ValueError):
            # The zygote itself died (something killed it): restart for the next submission.
            self._restart()
            return [PartRun([_crash("the grader's worker process was killed while running this submission")
                             for _ in range(n)]) for n in prepared.case_counts]
        status, payload = frame
        return _outcomes(status, payload, prepared.case_counts, prepared.walls)

    def run_part(self, source: str, driver: dict, calls: list[tuple[tuple, dict]], *,
                 wall_s: float, limits: dict | None = None, tripwires: bool = True) -> PartRun:
        """Run a single part (a convenience for tests and tools)."""
        return self.run_submission(source, [(driver, calls, wall_s)], limits=limits, tripwires=tripwires)[0]

    def _restart(self) -> None:
        if self._proc is not None:
            try:
                self._proc.kill()
            except OSError:
                pass
            self._proc.wait()
        self._proc = None
        self.start()


class _ForkedZygote:
    """The zygote as a forked child, with the small part of Popen's interface we use."""

    def __init__(self, pid: int, stdin: Any, stdout: Any) -> None:
        self.pid, self.stdin, self.stdout = pid, stdin, stdout
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            done, code = os.waitpid(self.pid, os.WNOHANG)
            if done:
                self.returncode = code
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        import time
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired("zygote", timeout)
            time.sleep(0.01)
        return self.returncode

    def kill(self) -> None:
        try:
            os.kill(self.pid, 9)
        except ProcessLookupError:
            pass


def _spawn_zygote(slot: int, hide: list[str]) -> subprocess.Popen:
    bootstrap = (f"import sys; sys.path.insert(0, {str(paths.PACKAGE.parent)!r}); "
                 f"from autograder.sandbox import zygote; zygote.main(slot={int(slot)}, hide={tuple(hide)!r})")
    return subprocess.Popen([sys.executable, "-I", "-c", bootstrap], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            env=clean_env(), cwd=tempfile.gettempdir())


def _fork_zygote(slot: int, hide: list[str]) -> _ForkedZygote:
    import torch  # noqa: F401  (imported before the fork, so the zygote starts warm)
    from . import zygote
    to_zygote_r, to_zygote_w = os.pipe()
    from_zygote_r, from_zygote_w = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the zygote: its own stdio, a clean environment, none of our files
        try:
            os.dup2(to_zygote_r, 0)
            os.dup2(from_zygote_w, 1)
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 2)
            os.closerange(3, 65536)
            os.environ.clear()
            os.environ.update(clean_env())
            os.chdir(tempfile.gettempdir())
            zygote.main(stdin=open(0, "rb", closefd=False), stdout=open(1, "wb", closefd=False), slot=slot,
                        hide=tuple(hide))
        finally:
            os._exit(0)
    os.close(to_zygote_r)
    os.close(from_zygote_w)
    return _ForkedZygote(pid, os.fdopen(to_zygote_w, "wb"), os.fdopen(from_zygote_r, "rb"))


def _crash(message: str) -> dict[str, Any]:
    return {"status": "crashed", "message": message}


def _outcomes(status: dict, payload: bytes, n_cases: list[int], walls: list[float]) -> list[PartRun]:
    notes: list[str] = []
    outcomes: list[list[dict[str, Any] | None]] = [[None] * n for n in n_cases]
    try:
        frames = wire.unpack_all(payload)
    except wire.WireError as e:
        frames = []
        notes.append(f"the process running your code sent back corrupt data ({e})")
    for header, tensors in frames:
        if header.get("event") == "loaded":
            notes += [str(n)[:400] for n in header.get("notes", [])][:20]
            continue
        part, case = header.get("part"), header.get("case")
        if not isinstance(part, int) or not 0 <= part < len(n_cases):
            continue
        if not isinstance(case, int) or not 0 <= case < n_cases[part] or outcomes[part][case] is not None:
            continue  # forged or repeated frames are ignored: the first one for a case counts
        outcomes[part][case] = _outcome(header, tensors)
    part_status = status.get("parts") if isinstance(status.get("parts"), list) else []
    runs = []
    for index, cases in enumerate(outcomes):
        fate = part_status[index] if index < len(part_status) and isinstance(part_status[index], dict) else {}
        why = _why_stopped(fate, walls[index])
        runs.append(PartRun([o if o is not None else why for o in cases], notes if index == 0 else [],
                            status.get("output", "") if index == 0 else "", float(fate.get("elapsed", 0.0))))
    return runs


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
    if status.get("status") == "corrupt":
        return _crash("the process running your code wrote garbage where its results go")
    if status.get("status") == "not_run":
        return _crash("this part did not run")
    sig = status.get("signal")
    if sig:
        return _crash(f"the process running your code stopped: {_SIGNALS.get(sig, f'killed by signal {sig}')}")
    code = status.get("exit_code")
    if code not in (0, None):
        return _crash(f"the process running your code exited early (exit code {code}) - "
                      "sys.exit, os._exit or a fatal error")
    return _crash("the process running your code stopped before it finished this case (did it call os._exit?)")
