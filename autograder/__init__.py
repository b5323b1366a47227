"""Course assignment kit: release, public checks, sandboxed grading.

The public surface is the command line (``python -m autograder``); the modules
below it each do one job (see docs/ARCHITECTURE.md).
"""

__version__ = "0.1.0"
