"""Build an assignment's checks namespace: the engine, then assignments/<id>/checks.py.

The notebook's setup cell does exactly this with embedded copies of the same two
files, so the grader and the public checks run the same code.
"""

from __future__ import annotations

import functools
import sys
import types
from pathlib import Path

from .. import paths
from ..errors import KitError

ENGINE_PATH = Path(__file__).with_name("engine.py")


def checks_path(assignment: str) -> Path:
    return paths.assignment_dir(assignment) / "checks.py"


def build_namespace(engine_source: str, checks_source: str, name: str,
                    checks_filename: str = "checks.py") -> types.ModuleType:
    """Execute the engine and then the checks in one fresh module; return it."""
    module = types.ModuleType(name)
    # Registered so that pickling-free tools such as dataclasses and inspect can find it.
    sys.modules[name] = module
    exec(compile(engine_source, str(ENGINE_PATH), "exec"), module.__dict__)
    exec(compile(checks_source, checks_filename, "exec"), module.__dict__)
    return module


@functools.lru_cache(maxsize=None)
def load_checks(assignment: str) -> types.ModuleType:
    """The checks namespace of one assignment, with PARTS: name -> Part."""
    path = checks_path(assignment)
    if not path.exists():
        raise KitError(f"assignment {assignment!r} has no checks yet", path=path)
    module = build_namespace(ENGINE_PATH.read_text(), path.read_text(),
                             f"kit_checks_{assignment}", str(path))
    if not isinstance(getattr(module, "PARTS", None), dict):
        raise KitError("checks.py must define PARTS, a dict from part name to Part", path=path)
    return module
