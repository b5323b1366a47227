"""Make the zygote cheap to fork: fold its anonymous memory into transparent huge pages.

After importing torch the zygote holds ~130 MB (CPU build) to ~280 MB (CUDA build) of
anonymous memory in 4 KiB pages. Every fork copies one page-table entry per page and
every child's exit tears them down again: measured on 2 cores, ~30 ms of CPU per child,
a third of what a submission cost in all. Backed by 2 MiB pages, a fork copies one
entry per 2 MiB instead, and a child that writes to one of them copies only the 4 KiB it
touches (the kernel splits the huge page in the child's page tables, not the zygote's):
fork + exit of an idle child ~6-8 ms, ~240 MB collapsed in ~0.6 s of the zygote's CPU.

Linux 6.1+ (MADV_COLLAPSE); elsewhere, or where the kernel refuses, nothing changes
but the speed. Done once per zygote, a step at a time while it waits for requests.
"""

from __future__ import annotations

import ctypes
import time

from .isolation import _libc  # the sandbox's own handle on the C library (no second lookup in the zygote)

MADV_COLLAPSE = 25
_DEFAULT_HUGE_PAGE = 2 << 20


def _huge_page_size() -> int:
    try:
        with open("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size") as f:
            return int(f.read())
    except (OSError, ValueError):
        return _DEFAULT_HUGE_PAGE


def anonymous_ranges(maps: str, huge: int) -> list[tuple[int, int]]:
    """The huge-page-aligned parts of the private, writable, anonymous mappings (and the heap) in maps."""
    out = []
    for line in maps.splitlines():
        fields = line.split()
        if len(fields) < 5 or fields[1] != "rw-p" or (len(fields) > 5 and fields[5] != "[heap]"):
            continue  # files, the stack, named or shared mappings
        low, high = (int(x, 16) for x in fields[0].split("-"))
        start, end = (low + huge - 1) & ~(huge - 1), high & ~(huge - 1)
        if end - start >= huge:
            out.append((start, end))
    return out


class Collapser:
    """Collapses this process's anonymous memory a few MiB at a time, so that a server can go on answering between
    steps (all of it at once takes ~0.5 s, a delay every slot would wait for at start-up)."""

    STEP = 4 << 20
    SLOW_STEP_S = 0.1  # CPU of a step this slow (~10x the usual: memory too fragmented to find huge pages in): stop

    def __init__(self) -> None:
        self.done = 0  # bytes now backed by huge pages
        self._chunks: list[tuple[int, int]] = []
        try:
            with open("/proc/self/maps") as f:
                ranges = anonymous_ranges(f.read(), _huge_page_size())
        except OSError:
            return
        # Only collapsed, not marked MADV_HUGEPAGE: a child's own new memory stays in small pages, charged and
        # zeroed 4 KiB at a time.
        for start, end in ranges:
            self._chunks += [(a, min(a + self.STEP, end)) for a in range(start, end, self.STEP)]
        self._chunks.reverse()  # popped from the end: lowest addresses first

    @property
    def pending(self) -> bool:
        return bool(self._chunks)

    def step(self) -> None:
        """Collapse the next few MiB (a refusal, such as an older kernel's, leaves them as they are)."""
        if self._chunks:
            start, end = self._chunks.pop()
            began = time.process_time()  # CPU, not wall time: a busy machine's preemption is no reason to stop
            if self._madvise(start, end, MADV_COLLAPSE):
                self.done += end - start
            if time.process_time() - began > self.SLOW_STEP_S:
                self._chunks = []  # requests must not wait behind the kernel's compaction: forks just cost more

    def _madvise(self, start: int, end: int, advice: int) -> bool:
        return _libc.madvise(ctypes.c_void_p(start), ctypes.c_size_t(end - start), advice) == 0
