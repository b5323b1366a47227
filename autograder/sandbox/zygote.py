"""The fork server: imports torch once, then forks one child per graded part.

Started by the grader with a stripped environment. It holds no secrets: it never
imports the assignment checks, the hidden cases or the solutions; it only
receives a request (the student's taken source, a driver, the case inputs),
forks, and relays what the child wrote, within the part's time and size limits.

Protocol on stdin/stdout, one frame each way per part (see wire.py):
  request  header {"source", "driver", "cases", "limits", "tripwires"} + inputs blob
  response header {"status", "exit_code", "signal", "elapsed", "output", ...} + the child's raw frames
"""

from __future__ import annotations

import os
import select
import shutil
import signal
import sys
import tempfile
import time

import numpy  # noqa: F401  (preloaded: graded code may use it, and children share it)
import torch  # noqa: F401  (the point of the zygote: pay this import once)

from . import child, wire

MAX_RESULT_BYTES = 64 * 1024 * 1024
MAX_OUTPUT_BYTES = 16 * 1024


def _kill_group(pid: int) -> None:
    for target in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
        try:
            target()
        except (ProcessLookupError, PermissionError):
            pass


def run_part(header: dict, blob: bytes) -> tuple[dict, bytes]:
    """Fork a child for one part, supervise it, and return (status header, its raw frames)."""
    limit = float(header.get("limits", {}).get("wall_s", 10.0))
    workdir = tempfile.mkdtemp(prefix="kit-part-")
    result_r, result_w = os.pipe()
    output_r, output_w = os.pipe()
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:
        os.close(result_r)
        os.close(output_r)
        child.run(header, blob, result_w, output_w, workdir)
    os.close(result_w)
    os.close(output_w)
    result, output = bytearray(), bytearray()
    status, open_fds = "exited", {result_r, output_r}
    deadline = start + limit
    while open_fds:
        left = deadline - time.monotonic()
        if left <= 0:
            status = "timeout"
            break
        ready, _, _ = select.select(list(open_fds), [], [], left)
        for fd in ready:
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                open_fds.discard(fd)
                continue
            if fd == result_r:
                if len(result) + len(chunk) > MAX_RESULT_BYTES:
                    status = "result_too_large"
                    open_fds.clear()
                    break
                result += chunk
            elif len(output) < MAX_OUTPUT_BYTES:
                output += chunk[:MAX_OUTPUT_BYTES - len(output)]
    exit_code = sig = None
    # The pipes are closed; give the child until the deadline to exit, then kill it.
    while status == "exited":
        done, code = os.waitpid(pid, os.WNOHANG)
        if done:
            exit_code, sig = _decode_wait(code)
            break
        if time.monotonic() >= deadline:
            status = "timeout"
            break
        time.sleep(0.002)
    _kill_group(pid)  # also every process the child started in its group
    if exit_code is None and sig is None:
        try:
            _, code = os.waitpid(pid, 0)
            exit_code, sig = _decode_wait(code)
        except ChildProcessError:
            pass
    for fd in (result_r, output_r):
        try:
            os.close(fd)
        except OSError:
            pass
    shutil.rmtree(workdir, ignore_errors=True)
    return {
        "status": status,
        "exit_code": exit_code,
        "signal": sig,
        "elapsed": time.monotonic() - start,
        "output": output.decode("utf-8", "replace"),
        "output_truncated": len(output) >= MAX_OUTPUT_BYTES,
    }, bytes(result)


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


def main() -> None:
    """Serve requests from stdin until it closes."""
    _warm_up()
    stdin = sys.stdin.buffer
    stdout = sys.stdout.buffer
    # Children must not inherit the zygote's stdio as anything but what child.py sets up.
    stdout.write(wire.pack({"event": "ready", "pid": os.getpid()}))
    stdout.flush()
    while True:
        frame = wire.read_frame(stdin)
        if frame is None:
            return
        header, blob = frame
        response, payload = run_part(header, blob)
        stdout.write(wire.pack_raw(response, payload))
        stdout.flush()


if __name__ == "__main__":
    main()
