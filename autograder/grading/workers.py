"""Trusted worker processes: each grades whole submissions, start to finish, with one sandbox slot.

The grader forks its workers once it holds everything that does not depend on a submission
(the plan with its expected values, the list of submissions): each worker starts with all of it,
shared copy-on-write, and the grader's own work per submission is to hand out its number and
take back a ScoreRow. Ingesting, the sandbox run, judging and writing the student's files all
happen in the worker, so the grader's serial share stays small and the batch scales with cores.

Workers are the grader's own code: they hold the hidden cases, and they never run a student's
code themselves (their sandbox slot's children do, forked from a zygote that was never forked
from the grader). A worker that dies costs the submission it was grading (it gets a grader
failure) and is replaced, and so does one that takes longer than the deadline on one submission
(it is killed); one that cannot start (no CUDA, say) stops the batch with its message.

With one slot (``--jobs 1``, the Gradescope run) the task still runs in one forked worker, not in
the grader's own process: a fork costs a few milliseconds, and so the deadline, the replacement of
a dead worker and the grader failure they give hold for every job count. A worker never outlives
the grader: it is killed the moment the grader's process ends, however that ends.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import time
import traceback
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import KitError

if TYPE_CHECKING:
    from ..sandbox.client import Sandbox

IN_FLIGHT = 2          # submissions queued at a worker: the next is there the moment one is done
MAX_IDLE_DEATHS = 3    # workers that die before taking any work: something is broken, the batch stops
PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class Failed:
    """A worker's report that the task itself raised (a bug of ours), for the submission it was on."""

    index: int
    failure: str


Task = Callable[[int, "Sandbox"], Any]      # submission number, the worker's sandbox -> its report
Setup = Callable[[], None]                # run once in each worker before its first task
OnDone = Callable[[Any], None]
OnLost = Callable[[int, str], None]       # submission number, why (the worker running it died)


class WorkerPool:
    """Run task(i, sandbox) for every submission number i, each in one of len(sandboxes) workers."""

    def __init__(self, task: Task, sandboxes: list[Sandbox], setup: Setup,
                 spare_sandbox: Callable[[int], Sandbox], deadline_s: float | None = None) -> None:
        """sandboxes: started slots, one per worker; spare_sandbox(slot): a new, unstarted one for a replacement;
        deadline_s: the most one submission may take in a worker, past which the worker is killed and replaced
        (the submission is lost: a grader failure), so that nothing a worker gets stuck on hangs the batch, with
        any number of slots."""
        self.task, self.sandboxes, self.setup, self.spare_sandbox = task, sandboxes, setup, spare_sandbox
        self.deadline_s = deadline_s
        self._workers: list[_Worker] = []
        self.replaced = 0
        self._idle_deaths = 0

    def run(self, indices: list[int], on_done: OnDone, on_lost: OnLost) -> None:
        if not indices:
            return
        self._workers = [self._fork(slot, sb) for slot, sb in enumerate(self.sandboxes)]
        for sandbox in self.sandboxes:  # each slot is its worker's alone now: when the worker dies, the slot
            sandbox.release()            # closes, and the zygote kills the child it leaves running
        try:
            self._dispatch(deque(indices), on_done, on_lost)
        except BaseException:  # Ctrl-C, or a worker that could not start: no submission is waited for
            self.stop(kill=True)
            raise
        self.stop()

    def _dispatch(self, waiting: deque[int], on_done: OnDone, on_lost: OnLost) -> None:
        watched = lambda: [w for w in self._workers if w.jobs or w.broken]  # noqa: E731
        while waiting or watched():
            for worker in self._workers:
                while waiting and not worker.broken and len(worker.jobs) < IN_FLIGHT:
                    worker.give(waiting)
            ready = multiprocessing.connection.wait([w.conn for w in watched()], timeout=self._wait_s())
            for worker in [w for w in self._workers if w.conn in ready]:
                try:
                    message = worker.conn.recv()
                except (EOFError, OSError):
                    self._replace(worker, waiting, on_lost)
                    continue
                if isinstance(message, _SetupFailed):
                    raise KitError(message.message)
                worker.jobs.popleft()
                worker.started = time.monotonic()  # on the next one queued there, if any
                _deliver(message, on_done, on_lost)
            for worker in self._overdue():
                worker.process.kill()
                self._replace(worker, waiting, on_lost, overdue(self.deadline_s))

    def _overdue(self) -> list["_Worker"]:
        if self.deadline_s is None:
            return []
        now = time.monotonic()
        return [w for w in self._workers if w.jobs and not w.broken and now - w.started > self.deadline_s]

    def _wait_s(self) -> float | None:
        """How long to wait for a worker's answer: until the first deadline of a submission in a worker."""
        if self.deadline_s is None:
            return None
        starts = [w.started for w in self._workers if w.jobs and not w.broken]
        return max(0.0, min(starts) + self.deadline_s - time.monotonic()) if starts else None

    def _replace(self, worker: "_Worker", waiting: deque[int], on_lost: OnLost, why: str | None = None) -> None:
        """The worker died (or was stopped): the submission it was on is lost, the ones queued behind it go back
        in line."""
        worker.process.join(timeout=5)
        worker.conn.close()
        code = worker.process.exitcode
        if worker.jobs:  # each such death costs one submission, so the batch always gets through
            on_lost(worker.jobs.popleft(), why or f"the grading worker died (exit code {code}) while grading it")
        else:
            self._idle_deaths += 1
            if self._idle_deaths > MAX_IDLE_DEATHS:
                raise RuntimeError(f"{self._idle_deaths} grading workers died before taking any work "
                                   f"(the last with exit code {code})")
        waiting.extendleft(reversed(worker.jobs))
        self.replaced += 1
        slot = self._workers.index(worker)
        self._workers[slot] = self._fork(slot, self.spare_sandbox(slot))

    def _fork(self, slot: int, sandbox: Sandbox) -> "_Worker":
        ours, theirs = multiprocessing.Pipe()
        others = [sb for sb in self.sandboxes if sb is not sandbox]
        # What is buffered now would be written twice, once by each process.
        sys.stdout.flush()
        sys.stderr.flush()
        process = multiprocessing.get_context("fork").Process(
            target=_serve, args=(theirs, self.task, self.setup, sandbox, others, os.getpid()),
            name=f"grading-worker-{slot}", daemon=True)
        process.start()
        theirs.close()
        return _Worker(process, ours)

    def stop(self, kill: bool = False) -> None:
        """Tell every worker there is no more work and wait for it (killing one that does not end), or kill
        them all at once."""
        for worker in self._workers:
            try:
                worker.conn.send(None)
            except OSError:
                pass
        for worker in self._workers:
            worker.process.join(timeout=0 if kill else 10)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
            worker.conn.close()
        self._workers = []


class _Worker:
    def __init__(self, process: multiprocessing.process.BaseProcess, conn: Any) -> None:
        self.process, self.conn = process, conn
        self.jobs: deque[int] = deque()  # submission numbers sent and not yet answered, in order
        self.broken = False  # it stopped taking work: what it sent before is read, then it is replaced
        self.started = 0.0   # when it began the first of its jobs (time.monotonic())

    def give(self, waiting: deque[int]) -> None:
        """Send it the next waiting number (which stays waiting when the worker is gone)."""
        try:
            self.conn.send(waiting[0])
        except OSError:
            self.broken = True
            return
        if not self.jobs:
            self.started = time.monotonic()
        self.jobs.append(waiting.popleft())


@dataclass(frozen=True)
class _SetupFailed:
    message: str


def _attempt(task: Task, index: int, sandbox: Sandbox) -> Any:
    try:
        return task(index, sandbox)
    except Exception as e:  # a bug of ours in this submission's task: it alone is lost
        return Failed(index, "grader failure: " + traceback.format_exception_only(type(e), e)[-1].strip())


def _deliver(report: Any, on_done: OnDone, on_lost: OnLost) -> None:
    if isinstance(report, Failed):
        on_lost(report.index, report.failure)
    else:
        on_done(report)


def overdue(deadline_s: float | None) -> str:
    """Why a submission was lost to the deadline (said to the instructor and, as a grader failure, the student)."""
    return f"grading it took longer than the grader's limit of {deadline_s:g} s per submission, so it was stopped"


def _die_with(grader: int) -> None:
    """Be killed when the grader's process ends, whatever ends it (a SIGTERM to it alone, an OOM kill): a worker
    left behind would finish its submission, its slot's child running the student's code meanwhile."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the pipe to the grader closing still ends an idle worker
        return
    if os.getppid() != grader:  # it ended before the line above: nobody would kill us now
        os._exit(1)


def _serve(conn: Any, task: Task, setup: Setup, sandbox: Sandbox, others: list[Sandbox], grader: int) -> None:
    """A worker's life: take over its slot, set up, then grade each number it is sent until told to stop."""
    _die_with(grader)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the grader's to handle: it stops the workers
    for other in others:
        other.release()
    sandbox.adopt()
    try:
        setup()
    except KitError as e:
        conn.send(_SetupFailed(str(e)))
        return
    try:
        while (index := conn.recv()) is not None:
            conn.send(_attempt(task, index, sandbox))
    except (EOFError, OSError):
        pass  # the grader is gone
    finally:
        sandbox.close()
