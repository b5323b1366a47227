"""The fork server: imports torch once, then forks one child per graded part.

Started by the grader with a stripped environment. It holds no secrets: it never
imports the assignment checks, the hidden cases or the solutions; it only
receives a request (the student's taken source, a driver, the case inputs),
forks, and relays what the child wrote, within the part's time and size limits.

Protocol on stdin/stdout, one frame each way per submission (see wire.py):
  request  header {"source", "parts": [{"driver", "cases", "wall_s"}], "limits", "tripwires"} + inputs blob
  response header {"parts": [{"status", "exit_code", "signal", "elapsed"}], "output", ...} + the child's frames
"""

from __future__ import annotations

import os
import select
import shutil
import signal
import sys
import tempfile
import time
from typing import BinaryIO

import numpy  # noqa: F401  (preloaded: graded code may use it, and children share it)
import torch  # noqa: F401  (the point of the zygote: pay this import once)

from .. import paths
from . import child, isolation, wire

MAX_RESULT_BYTES = 64 * 1024 * 1024
MAX_OUTPUT_BYTES = 16 * 1024
_UID = 0  # this worker's sandbox user, claimed at start (see isolation.claim_uid)


def _kill_group(pid: int) -> None:
    for target in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
        try:
            target()
        except (ProcessLookupError, PermissionError):
            pass


class _Child:
    """One forked child running parts start_part.. of a submission."""

    counter = 0

    def __init__(self, header: dict, blob: bytes, start_part: int) -> None:
        _Child.counter += 1
        self.workdir_name = f"kit-{os.getpid()}-{_Child.counter}"
        self.uid = _UID
        result_r, result_w = os.pipe()
        output_r, output_w = os.pipe()
        isolation.next_child_in_new_pid_namespace()  # refused: the child reports it as a protection off
        self.pid = os.fork()
        if self.pid == 0:
            os.close(result_r)
            os.close(output_r)
            limits = {**header.get("limits", {}), "uid": _UID}
            child.run({**header, "limits": limits, "start_part": start_part}, blob, result_w, output_w,
                      self.workdir_name)
        os.close(result_w)
        os.close(output_w)
        self.result_r, self.output_r = result_r, output_r
        self.splitter = wire.FrameSplitter()

    def finish(self) -> tuple[int | None, int | None]:
        """Kill the child's whole process group and its user's processes, reap it, clean up."""
        exit_code = sig = None
        deadline = time.monotonic() + 0.2
        while time.monotonic() < deadline:  # a child that is exiting on its own keeps its own status
            done, code = os.waitpid(self.pid, os.WNOHANG)
            if done:
                exit_code, sig = _decode_wait(code)
                break
            time.sleep(0.002)
        _kill_group(self.pid)
        isolation.kill_uid(self.uid)  # also what left the group with setsid
        if exit_code is None and sig is None:
            try:
                _, code = os.waitpid(self.pid, 0)
                exit_code, sig = _decode_wait(code)
            except ChildProcessError:
                pass
        for fd in (self.result_r, self.output_r):
            try:
                os.close(fd)
            except OSError:
                pass
        # Only where no private /tmp could be mounted does the folder exist on the real disk.
        shutil.rmtree(os.path.join(tempfile.gettempdir(), self.workdir_name), ignore_errors=True)
        return exit_code, sig


def run_submission(header: dict, blob: bytes, cleanups: list) -> tuple[dict, bytes]:
    """Run every part of one submission; a part that hangs or crashes costs only itself.

    One child runs the parts in order and announces each one; the deadline of
    the part under way is enforced here. When a child dies or is killed, a new
    one is forked for the parts after the one that failed. Work that can wait
    until the answer is sent (killing and reaping a child that finished) goes
    into cleanups.
    """
    parts = header["parts"]
    statuses: list[dict] = [{"status": "not_run"} for _ in parts]
    frames, output = bytearray(), bytearray()
    total_bytes, start_part, started = 0, 0, time.monotonic()
    while start_part < len(parts):
        proc = _Child(header, blob, start_part)
        current, part_start = start_part, time.monotonic()
        ended, failure = False, None
        open_fds = {proc.result_r, proc.output_r}
        while open_fds:
            left = part_start + float(parts[current]["wall_s"]) - time.monotonic()
            if left <= 0:
                failure = "timeout"
                break
            ready, _, _ = select.select(list(open_fds), [], [], left)
            for fd in ready:
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    open_fds.discard(fd)
                    continue
                if fd == proc.output_r:
                    output += chunk[:max(0, MAX_OUTPUT_BYTES - len(output))]
                    continue
                total_bytes += len(chunk)
                if total_bytes > MAX_RESULT_BYTES:
                    failure = "result_too_large"
                    break
                try:
                    new_frames = proc.splitter.feed(chunk)
                except wire.WireError:
                    failure = "corrupt"
                    break
                for frame_header, raw in new_frames:
                    event = frame_header.get("event")
                    if event == "part" and frame_header.get("part") == current + 1 and current + 1 < len(parts):
                        statuses[current] = {"status": "ok", "elapsed": time.monotonic() - part_start}
                        current, part_start = current + 1, time.monotonic()
                    elif event == "end":
                        ended = True  # everything is in: do not wait for pipes a grandchild may hold
                    elif event == "loaded" or (event == "case" and frame_header.get("part") == current):
                        frames += raw  # frames for any other part are forged and dropped
            if failure or ended:
                break
        if ended and failure is None:
            # Everything is in: answer first, clean up while the grader judges the results.
            output += _drain(proc.output_r, MAX_OUTPUT_BYTES - len(output), grace_s=0.0)
            statuses[current] = {"status": "ok", "elapsed": time.monotonic() - part_start}
            cleanups.append(proc.finish)
            break
        exit_code, sig = proc.finish()
        statuses[current] = {"status": failure or "exited", "exit_code": exit_code, "signal": sig,
                             "elapsed": time.monotonic() - part_start}
        start_part = current + 1
    return {
        "parts": statuses,
        "elapsed": time.monotonic() - started,
        "output": output.decode("utf-8", "replace"),
        "output_truncated": len(output) >= MAX_OUTPUT_BYTES,
    }, bytes(frames)


def _drain(fd: int, room: int, grace_s: float = 0.5) -> bytes:
    """What is left in the child's output pipe (waiting up to grace_s for more)."""
    data, deadline, total = bytearray(), time.monotonic() + grace_s, 0
    # Bounded in bytes and time: something left behind may keep writing forever.
    while total < room + (1 << 20) and time.monotonic() <= deadline + 0.05:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            break
        total += len(chunk)
        data += chunk[:max(0, room - len(data))]
    return bytes(data)


def _decode_wait(code: int) -> tuple[int | None, int | None]:
    if os.WIFSIGNALED(code):
        return None, os.WTERMSIG(code)
    return os.WEXITSTATUS(code), None


def _warm_up() -> None:
    """Pay torch's lazy start-up costs once, here, instead of in every child.

    One thread only: an OpenMP pool started before fork would hang the children.
    """
    torch.set_num_threads(1)
    x = torch.randn(8, 4, dtype=torch.float64)
    for dtype in (torch.float64, torch.float32):
        y = x.to(dtype)
        (y @ y.T).exp().log1p().sum()
        torch.linalg.lstsq(y, y[:, :1])
        torch.randperm(4, generator=torch.Generator().manual_seed(0))
    frame = wire.pack({}, {"t": x})
    wire.unpack_all(frame)
    child.tripwires.install(child.TRIPWIRE_HITS)


def _probe(slot: int) -> list[str]:
    """Fork once to see which protections this machine allows."""
    read_fd, write_fd = os.pipe()
    isolation.next_child_in_new_pid_namespace()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        child.probe(write_fd, _UID)
    os.close(write_fd)
    data = bytearray()
    while chunk := os.read(read_fd, 65536):
        data += chunk
    os.close(read_fd)
    os.waitpid(pid, 0)
    isolation.kill_uid(_UID)
    frames = wire.unpack_all(bytes(data))
    return frames[0][0].get("off", []) if frames else ["isolation probe failed"]


def main(stdin: BinaryIO | None = None, stdout: BinaryIO | None = None, slot: int = 0,
         hide: tuple[str, ...] = ()) -> None:
    """Serve requests from stdin until it closes."""
    global _UID
    _warm_up()
    _UID = isolation.claim_uid(slot)  # before the namespaces: the lock folder is on the real disk
    worker_off = isolation.isolate_worker(paths.ROOT, list(hide))
    stdin = stdin or sys.stdin.buffer
    stdout = stdout or sys.stdout.buffer
    # Children must not inherit the zygote's stdio as anything but what child.py sets up.
    stdout.write(wire.pack({"event": "ready", "pid": os.getpid(), "protections_off": sorted(set(worker_off + _probe(slot)))}))
    stdout.flush()
    while True:
        frame = wire.read_frame(stdin)
        if frame is None:
            return
        header, blob = frame
        cleanups: list = []
        response, payload = run_submission(header, blob, cleanups)
        stdout.write(wire.pack_raw(response, payload))
        stdout.flush()
        for cleanup in cleanups:
            cleanup()


if __name__ == "__main__":
    main()
