"""What one sandboxed child may use: its rlimits, its cgroup's bounds and its sandbox user, with one set of defaults.

The grader sends them with each fork (as JSON, over the zygote's control socket); the zygote adds
the sandbox user of the slot and uses the memory and process bounds for the child's cgroup; the
child sets its rlimits from them.
"""

from __future__ import annotations

import dataclasses
import resource
from dataclasses import dataclass
from typing import Any

CGROUP_MEMORY_SLACK = 512 << 20  # the cgroup's memory: the address-space budget and this (torch's own pages)


@dataclass(frozen=True)
class Limits:
    cpu_s: float = 30.0                 # CPU seconds (a submission's: its parts' wall-time limits together)
    address_space_bytes: int = 4 << 30  # address space beyond what the child maps before the student's code
    processes: int = 64                 # processes (threads) the child's user may run, and its cgroup's pids.max
    file_bytes: int = 16 << 20          # the largest file it may write
    open_files: int = 64
    slot: int = 0                       # its job slot: its sandbox user when uid is not given
    uid: int | None = None              # its sandbox user (the zygote's, for the slot that asked)
    same_user: bool = False             # keep the zygote's user (no sandbox user, as where none can be had)

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: object) -> "Limits":
        """What the grader sent with a fork (trusted: the grader's own message); fields it did not send keep
        their defaults."""
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known}) if isinstance(data, dict) else cls()

    @property
    def cgroup_memory_bytes(self) -> int:
        return int(self.address_space_bytes) + CGROUP_MEMORY_SLACK

    def rlimits(self, mapped_bytes: int) -> dict[int, int]:
        """The child's rlimits; mapped_bytes: its address space now (torch's own mappings take gigabytes)."""
        return {
            resource.RLIMIT_CPU: int(self.cpu_s) + 1,
            resource.RLIMIT_FSIZE: int(self.file_bytes),
            resource.RLIMIT_NOFILE: int(self.open_files),
            resource.RLIMIT_CORE: 0,
            resource.RLIMIT_NPROC: int(self.processes),
            resource.RLIMIT_AS: mapped_bytes + int(self.address_space_bytes),
        }
