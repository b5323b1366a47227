"""How one grading run goes: what the command line (or the Gradescope run) asked for.

A module of its own, without torch, read by both the session (which starts the zygote before
torch is imported) and the task (which grades in the workers).
"""

from __future__ import annotations

from dataclasses import dataclass

from .shards import Shard


@dataclass(frozen=True)
class GradingOptions:
    jobs: int = 1
    device: str = "cpu"            # where the cases' inputs and expected values live ("cuda": on the GPU)
    hidden_details: bool = False   # results.json and feedback pages show hidden cases' details (after the due date)
    only: tuple[str, ...] = ()     # regrade only these submissions (the other results in out stay)
    parts: tuple[str, ...] = ()    # rerun only these parts, keeping the others from each earlier result
    shard: Shard | None = None     # grade only this shard's share of the submissions
    progress: bool = True
    allow_weak_sandbox: bool = False  # grade even where the host does not give the sandbox's floor
    max_deadline_s: float | None = None  # at most this per submission, whatever the task's own deadline

    @property
    def regrading(self) -> bool:
        """grades.csv lists every result in out, not only this run's."""
        return bool(self.only or self.parts)
