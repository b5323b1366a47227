"""Follow one assignment through ``release --check`` and print how the run moves between the kit's modules.

Only calls that are handed the assignment (its id, or the loaded ``Assignment``) count: that is the
id's path through the layers. A *stop* is such a call in a different kit module from the previous one;
a *return* is a stop into a module that was already left once. The release also runs each case and
the solution, so calls made from inside the assignment's own files (solution, checks.py) are skipped.
It also prints the release's CPU time (best of --repeat runs).

    python benchmarks/release_walk.py [ASSIGNMENT] [--repeat N]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _carries(value: object, assignment: str) -> bool:
    """The id itself, or an object that stands for the assignment (the loaded Assignment)."""
    if isinstance(value, str):
        return value == assignment
    return type(value).__name__ == "Assignment" and getattr(value, "id", None) == assignment


def _module_walk(run, assignment: str) -> tuple[list[str], int]:
    """The kit modules entered in order (consecutive repeats collapsed) and how many entries were returns."""
    import autograder
    package = str(Path(autograder.__file__).resolve().parent)
    walk: list[str] = []

    def profile(frame, event, arg):
        if event != "call":
            return
        filename = frame.f_code.co_filename
        if not filename.startswith(package):
            return
        code = frame.f_code
        arguments = code.co_varnames[:code.co_argcount + code.co_kwonlyargcount]
        if not any(_carries(frame.f_locals.get(name), assignment) for name in arguments):
            return
        module = filename[len(package) + 1:].removesuffix(".py").replace("/", ".")
        if not walk or walk[-1] != module:
            walk.append(module)

    sys.setprofile(profile)
    try:
        run()
    finally:
        sys.setprofile(None)
    left: set[str] = set()
    returns = 0
    for previous, module in zip(walk, walk[1:]):
        left.add(previous)
        if module in left:
            returns += 1
    return walk, returns


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assignment", nargs="?", default="linear_regression")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    from autograder.layout import KIT_LAYOUT
    from autograder.release.pipeline import release

    def run() -> None:
        result = release(KIT_LAYOUT, [args.assignment], check_only=True)
        assert not result.stale, f"stale: {result.stale}"

    run()  # warm: imports, torch
    walk, returns = _module_walk(run, args.assignment)
    print(f"modules entered: {len(set(walk))}; stops: {len(walk)}; returns to a module already left: {returns}")
    print("walk: " + " > ".join(walk[:80]) + (" ..." if len(walk) > 80 else ""))
    times = []
    for _ in range(args.repeat):
        start = time.process_time()
        run()
        times.append(time.process_time() - start)
    print(f"release --check {args.assignment}: CPU {min(times):.2f} s (best of {args.repeat})")


if __name__ == "__main__":
    main()
