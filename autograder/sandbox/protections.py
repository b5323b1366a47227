"""What the sandbox holds on this host: its layers, and the guarantees a probe child measured.

The sandbox is layered: namespaces, cgroups and a separate user where the host allows them, and
always a floor that needs none of those (Landlock, a seccomp filter, rlimits, oom_score_adj, a
subreaper zygote, an undumpable grader). Which layers are on is one thing; what a student's code
can actually do is another, so the zygote's probe child isolates itself exactly as a child
would and then *tries* each thing the floor forbids (read the kit, write outside its folder, open
a socket, use System V IPC, signal the zygote, ...). A guarantee is held when every try failed.

``grade`` and the Gradescope run refuse to grade below the floor (a floor guarantee not held)
unless the instructor says ``--allow-weak-sandbox``; every output says which layers held.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import KitError

# The guarantees, in the order they are shown: (key, what it means, part of the floor).
GUARANTEES: tuple[tuple[str, str, bool], ...] = (
    ("read", "reads nothing but the system and the interpreter (not the kit, hidden cases, submissions, "
             "results or other work folders)", True),
    ("write", "writes only its own work folder, which is removed afterwards", True),
    ("network", "no network: no socket but an unnamed pair", True),
    ("channels", "no System V IPC, POSIX message queues or kernel keyring (channels between students)", True),
    ("others", "cannot signal, trace or read the memory of the grader, the zygote or other students", True),
    ("privileges", "no capabilities and no_new_privs", True),
    ("cleanup", "nothing it starts outlives it", True),
    ("processes", "the number of processes it may start is bounded (no fork bomb)", True),
    ("memory", "memory bounded (address space) and the first the OOM killer takes", True),
    ("imports", "can import the interpreter's own modules (honest code that imports in a function works)", True),
    ("together", "memory and processes bounded together (a cgroup per submission)", False),
)
_FLOOR = {key for key, _, floor in GUARANTEES if floor}
_TEXT = {key: text for key, text, _ in GUARANTEES}


@dataclass(frozen=True)
class Layer:
    """One mechanism: on or off, with a detail (its version, or why the host refused it)."""

    name: str
    on: bool
    detail: str = ""

    def label(self) -> str:
        return f"{self.name} ({self.detail})" if self.detail else self.name


@dataclass(frozen=True)
class Guarantee:
    key: str
    held: bool
    by: tuple[str, ...]   # the layers that give it, as measured
    evidence: str         # what the probe tried and what happened

    @property
    def text(self) -> str:
        return _TEXT.get(self.key, self.key)

    @property
    def floor(self) -> bool:
        return self.key in _FLOOR


@dataclass(frozen=True)
class SandboxReport:
    layers: tuple[Layer, ...]
    guarantees: tuple[Guarantee, ...]

    @property
    def floor_held(self) -> bool:
        held = {g.key for g in self.guarantees if g.held}
        return _FLOOR <= held

    def missing(self) -> list[Guarantee]:
        """The floor's guarantees this host did not give."""
        found = {g.key: g for g in self.guarantees}
        return [found.get(key) or Guarantee(key, False, (), "not measured") for key, _, floor in GUARANTEES
                if floor and not (found.get(key) and found[key].held)]

    def on(self) -> list[Layer]:
        return [layer for layer in self.layers if layer.on]

    def off(self) -> list[str]:
        """Every layer the host refused, with why."""
        return [layer.label() for layer in self.layers if not layer.on]

    def line(self) -> str:
        """One line for the CLI and the Gradescope output."""
        state = ("every guarantee of the floor held" if self.floor_held else
                 "BELOW THE FLOOR: not held: " + "; ".join(g.key for g in self.missing()))
        text = f"sandbox: {state}; layers on: " + ", ".join(layer.label() for layer in self.on())
        if self.off():
            text += "; off here: " + ", ".join(self.off())
        return text

    def markdown(self) -> list[str]:
        """Two tables (guarantees, then layers) for summary.md and the `sandbox` command."""
        lines = ["| guarantee | floor | held | by | measured |", "| --- | --- | --- | --- | --- |"]
        for g in self.guarantees:
            lines.append(f"| {g.text} | {'yes' if g.floor else 'no'} | {'yes' if g.held else '**no**'} | "
                         f"{', '.join(g.by) or '-'} | {g.evidence} |")
        lines += ["", "| layer | on | detail |", "| --- | --- | --- |"]
        lines += [f"| {layer.name} | {'yes' if layer.on else 'no'} | {layer.detail or '-'} |" for layer in self.layers]
        return lines

    def markdown_section(self, heading: str = "## Sandbox") -> str:
        """summary.md's section: the line, then the tables."""
        return "\n".join([heading, "", self.line().removeprefix("sandbox: ") + ".", "", *self.markdown(), ""])

    def to_json(self) -> dict[str, Any]:
        return {"floor_held": self.floor_held,
                "layers": [{"name": layer.name, "on": layer.on, "detail": layer.detail} for layer in self.layers],
                "guarantees": [{"key": g.key, "held": g.held, "by": list(g.by), "evidence": g.evidence}
                               for g in self.guarantees]}

    @classmethod
    def from_json(cls, data: object) -> "SandboxReport":
        """Read what the zygote sent (it runs no student code before this, but is read with care all the same)."""
        if not isinstance(data, dict):
            return cls((), (Guarantee("read", False, (), "the sandbox sent no report"),))
        layers = tuple(Layer(str(d.get("name", "?"))[:80], d.get("on") is True, str(d.get("detail", ""))[:300])
                       for d in data.get("layers", []) if isinstance(d, dict))
        guarantees = tuple(Guarantee(str(d.get("key", "?"))[:40], d.get("held") is True,
                                     tuple(str(b)[:80] for b in d.get("by", []) if isinstance(b, str)),
                                     str(d.get("evidence", ""))[:400])
                           for d in data.get("guarantees", []) if isinstance(d, dict))
        return cls(layers, guarantees)


class BelowFloor(KitError):
    """The host does not give the sandbox's floor and the instructor did not allow grading anyway."""

    def __init__(self, report: SandboxReport) -> None:
        self.report = report
        missing = "; ".join(f"{g.text} ({g.evidence})" for g in report.missing())
        super().__init__(
            f"the sandbox cannot hold its floor on this host, so no student code was run. Not held: {missing}. "
            f"Layers refused here: {', '.join(report.off()) or 'none'}. See docs/sandbox.md for what each host "
            "needs (`course-kit sandbox` prints this table); to grade anyway, knowing student code can do what is "
            "listed, pass --allow-weak-sandbox.")
