"""The notebook's setup cell: the check engine, the assignment's checks and public cases.

The cell rebuilds, inside the notebook, the same namespace the grader builds
with loader.build_namespace: the engine's source, then checks.py's, executed in
one module. Nothing from the [hidden] table ever goes in.
"""

from __future__ import annotations

import pprint

from ..errors import KitError
from ..spec import load_spec
from .loader import ENGINE_PATH, checks_path

_TEMPLATE = '''#@title Setup: run this cell first (it defines check(); no need to read it)
import sys
import types

import torch

DEVICE = torch.device("cuda" if torch.cuda.is_available() else "cpu")
print("Using", DEVICE, "-", torch.cuda.get_device_name() if DEVICE.type == "cuda" else "no GPU found, running on the CPU")

# The public checks: the same engine and checks the grader uses, with the public cases.
_KIT_ENGINE = r\'\'\'{engine}\'\'\'

_KIT_CHECKS = r\'\'\'{checks}\'\'\'

_KIT_PUBLIC_CASES = {cases}
_KIT_PUBLIC_SEED = {seed}
_KIT_TOLERANCES = {tolerances}


def _kit_load_checks():
    module = types.ModuleType("kit_checks")
    sys.modules["kit_checks"] = module
    exec(compile(_KIT_ENGINE, "kit_engine.py", "exec"), module.__dict__)
    exec(compile(_KIT_CHECKS, "kit_checks.py", "exec"), module.__dict__)
    return module


check = _kit_load_checks().make_public_checker(globals(), _KIT_PUBLIC_CASES, _KIT_PUBLIC_SEED, _KIT_TOLERANCES)
'''


def _raw_string_safe(text: str, what: str) -> str:
    # The sources travel as r\'\'\'...\'\'\' literals: they must not close the literal early.
    if "\'\'\'" in text or text.endswith("\\\\"):
        raise KitError(f"{what} cannot be embedded in a notebook: it contains triple single quotes")
    return text


def setup_cell_source(assignment: str) -> str:
    """Python source for the notebook's setup cell of ``assignment``."""
    spec = load_spec(assignment)
    engine = _raw_string_safe(ENGINE_PATH.read_text(), str(ENGINE_PATH))
    path = checks_path(assignment)
    if not path.exists():
        raise KitError(f"assignment {assignment!r} has no checks.py yet", path=path)
    checks = _raw_string_safe(path.read_text(), str(path))
    tolerances = {p.name: {d: (t.atol, t.rtol) for d, t in sorted(p.tolerances.items())} for p in spec.parts}
    return _TEMPLATE.format(
        engine=engine.rstrip("\n"),
        checks=checks.rstrip("\n"),
        cases=pprint.pformat(spec.public.cases, width=100, sort_dicts=True),
        seed=spec.public.seed,
        tolerances=pprint.pformat(tolerances, width=100, sort_dicts=True),
    )
