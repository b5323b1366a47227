"""Import an assignment's checks (assignments/<id>/checks.py) as a module, with clear errors."""

from __future__ import annotations

import functools
import importlib.util
import sys
import types
from pathlib import Path

from .. import paths
from ..errors import KitError
from .parts import Part


def checks_path(assignment: str) -> Path:
    return paths.assignment_dir(assignment) / "checks.py"


@functools.lru_cache(maxsize=None)
def load_checks(assignment: str) -> types.ModuleType:
    """The module of assignments/<id>/checks.py, whose PARTS maps each part name to its Part."""
    path = checks_path(assignment)
    if not path.is_file():
        raise KitError(f"assignment {assignment!r} has no checks yet", path=path)
    name = f"kit_checks_{assignment}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except SyntaxError as e:
        sys.modules.pop(name, None)
        raise KitError(f"syntax error: {e.msg}", path=path, line=e.lineno) from None
    except Exception as e:
        sys.modules.pop(name, None)
        line = next((f.lineno for f in reversed(__import__("traceback").extract_tb(e.__traceback__))
                     if Path(f.filename) == path), None)
        raise KitError(f"loading failed: {type(e).__name__}: {e}", path=path, line=line) from None
    parts = getattr(module, "PARTS", None)
    if not isinstance(parts, dict) or not all(isinstance(p, Part) for p in parts.values()):
        raise KitError("checks.py must define PARTS, a dict from part name to Part "
                       "(from autograder.checks.parts import Part)", path=path)
    return module
