"""The zygote folds its memory into huge pages so that each fork copies few page-table entries."""

from __future__ import annotations

import subprocess
import sys
import time

from autograder.layout import KIT_LAYOUT
from autograder.sandbox.hugepages import Collapser, anonymous_ranges

MAPS = """\
55d0a0000000-55d0a0400000 r--p 00000000 08:01 1234                       /usr/bin/python3.11
55d0a1000000-55d0a7400000 rw-p 00000000 00:00 0                          [heap]
7f0000100000-7f0000500000 rw-p 00000000 00:00 0
7f0000600000-7f0000700000 rw-p 00000000 00:00 0
7f0000800000-7f0000c00000 rw-p 00000000 08:01 99                         /opt/lib/libbig.so
7f0001000000-7f0001400000 rw-s 00000000 00:05 7                          /dev/shm/segment
7f0002000000-7f0002400000 r--p 00000000 00:00 0
7ffd00000000-7ffd00400000 rw-p 00000000 00:00 0                          [stack]
"""


def test_are_only_private_writable_anonymous_mappings_and_the_heap_taken_aligned():
    huge = 2 << 20
    assert anonymous_ranges(MAPS, huge) == [
        (0x55D0A1000000, 0x55D0A7400000),  # the heap, whole (aligned already)
        (0x7F0000200000, 0x7F0000400000),  # the aligned 2 MiB inside an unaligned 4 MiB mapping
    ]  # not: the 1 MiB mapping (no whole huge page), files, shared memory, read-only memory, the stack


PROBE = """
import mmap, sys
from autograder.sandbox.hugepages import Collapser
memory = mmap.mmap(-1, 64 << 20, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
for i in range(0, len(memory), 4096):
    memory[i] = i // 4096 % 251
def huge_kb():
    for line in open("/proc/self/smaps_rollup"):
        if line.startswith("AnonHugePages:"):
            return int(line.split()[1])
before = huge_kb()
collapser = Collapser()
steps = 0
while collapser.pending:
    collapser.step()
    steps += 1
intact = all(memory[i] == i // 4096 % 251 for i in range(0, len(memory), 4096))
print(before, huge_kb(), collapser.done >> 20, steps, intact)
"""


def test_does_the_collapser_back_memory_by_huge_pages_a_step_at_a_time_keeping_its_contents():
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, cwd=KIT_LAYOUT.root)
    before_kb, after_kb, done_mb, steps, intact = out.stdout.split()
    assert intact == "True"
    assert int(steps) >= 64 // 4  # a few MiB a step, so that the zygote answers in between
    if int(done_mb) == 0:
        return  # a kernel without MADV_COLLAPSE (before Linux 6.1) refuses it: only the speed differs
    assert int(after_kb) - int(before_kb) >= 60 * 1024  # the 64 MiB mapping (less its unaligned ends), at least


def test_does_the_collapser_stop_when_the_kernel_is_slow_to_give_huge_pages(monkeypatch):
    # Where memory is too fragmented, MADV_COLLAPSE can take long; the zygote answers requests between steps,
    # so a slow step ends the collapsing (forks then cost what they did before) instead of delaying every fork.
    collapser = Collapser()
    collapser._chunks = [(i << 22, (i + 1) << 22) for i in range(10)]
    calls = []

    def slow(start: int, end: int, advice: int) -> bool:
        calls.append(start)
        until = time.process_time() + Collapser.SLOW_STEP_S * 1.5
        while time.process_time() < until:  # the kernel compacting memory: CPU spent inside the call
            pass
        return True
    monkeypatch.setattr(collapser, "_madvise", slow)
    while collapser.pending:
        collapser.step()
    assert len(calls) == 1 and collapser.done == 4 << 20
