"""Attack the sandbox directly (no grading rules in the way) and print what each attack saw, as JSON.

    python tests/escape_probe.py FILL_JSON      (run by tests/test_escape.py on each host of tests/host_modes.py)

FILL_JSON maps the placeholders of tests/hostile/*.py to values. Before the attacks, a first
"student" whose source holds the student canary is graded by the same worker, and this process's
environment holds the environment canary (the grader's secret): neither may be found.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from autograder.checks.judging import Outcome  # noqa: E402
from autograder.layout import KIT_LAYOUT  # noqa: E402
from autograder.sandbox.client import Sandbox  # noqa: E402
from autograder.sandbox.launch import ZygotePool  # noqa: E402
from autograder.sandbox.outcome import CaseStatus  # noqa: E402

CALL = {"kind": "call", "function": "observe"}


def seen(outcome: Outcome) -> object:
    """What the case returned; when it returned nothing, its whole outcome."""
    return outcome.result if outcome.status == CaseStatus.OK else vars(outcome)


def attack(name: str, fill: dict[str, str]) -> str:
    text = (ROOT / "tests" / "hostile" / f"{name}.py").read_text()
    for key, value in fill.items():
        text = text.replace(key, value)
    return text


def main() -> None:
    fill = json.loads(sys.argv[1])
    report: dict = {}
    with Sandbox(ZygotePool(KIT_LAYOUT, json.loads(fill["{HIDE}"]))) as sandbox:
        sandbox.wait_ready()
        report["protections_off"] = sandbox.protections_off
        report["floor_held"] = sandbox.report.floor_held
        report["guarantees"] = {g.key: g.held for g in sandbox.report.guarantees}
        first = f"# {fill['{CANARY_STUDENT}']}\ndef observe():\n    return '{fill['{CANARY_STUDENT}']}'\n"
        report["first student"] = sandbox.run_part(first, CALL, [((), {})], wall_s=10).outcomes[0].result
        run = sandbox.run_part(attack("undo_sandbox", fill), CALL, [((), {})], wall_s=20, tripwires=False)
        report["undo"] = seen(run.outcomes[0])
        memory = attack("scans_memory", fill)
        run = sandbox.run_part(memory, {"kind": "call", "function": "secrets"},
                               [((json.loads(fill["{CANARIES}"]),), {})], wall_s=60)
        report["secrets in memory"] = seen(run.outcomes[0])
        run = sandbox.run_part(memory, {"kind": "call", "function": "secrets"},
                               [((["inputs are in our memory".encode().hex()],), {})], wall_s=60)
        report["scanner control"] = seen(run.outcomes[0])  # a docstring of its own: found
        run = sandbox.run_part(memory, {"kind": "call", "function": "environment"}, [((), {})], wall_s=10)
        report["environment"] = seen(run.outcomes[0])
        markers = [1111.5, 2222.5, 3333.5]
        run = sandbox.run_part(memory, {"kind": "call", "function": "future_cases"},
                               [((torch.full((3,), m, dtype=torch.float64), markers), {}) for m in markers],
                               wall_s=120)
        report["other cases seen"] = [seen(o) for o in run.outcomes]
        run = sandbox.run_part(attack("tripwire_then_exit", fill), {"kind": "call", "function": "cost_gradients"},
                               [((torch.ones(2), None, None, None), {})], wall_s=10)
        report["tripwire"] = vars(run.outcomes[0])
        imports = ("def observe():\n    seen = {}\n    for name in ('statistics', 'fractions', 'scipy.special'):\n"
                   "        try:\n            __import__(name)\n            seen[name] = 'ok'\n"
                   "        except Exception as e:\n            seen[name] = repr(e)[:200]\n    return seen\n")
        run = sandbox.run_part(imports, CALL, [((), {})], wall_s=60, tripwires=False)
        report["imports"] = seen(run.outcomes[0])
    print(json.dumps(report, default=repr))


if __name__ == "__main__":
    main()
