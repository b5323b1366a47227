"""Is the grading environment's torch a CPU build? The zip's setup.sh asks after installing.

    python -m autograder.gradescope.cpu_only

Gradescope has no GPU. A CUDA wheel (PyPI's default torch on Linux) brings gigabytes of
``nvidia-*`` libraries into the image and loads CUDA libraries at every import, so a torch that
did not come from PyTorch's CPU index fails the image build here, with what was found, instead
of making every submission slower and heavier.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from importlib import metadata

# What a CUDA build of torch pulls in; a CPU build needs none of them.
CUDA_DISTRIBUTIONS = ("nvidia-", "cuda-", "triton", "pytorch-triton")
SHOWN = 4  # a CUDA torch brings about 20; the first few say enough


def cuda_distributions(names: Iterable[str]) -> list[str]:
    """The names among ``names`` (installed distributions) that only a CUDA torch needs."""
    normal = {name.lower().replace("_", "-") for name in names}
    return sorted(name for name in normal if name.startswith(CUDA_DISTRIBUTIONS))


def cpu_only_problems(torch_version: str, torch_cuda: str | None, names: Iterable[str]) -> list[str]:
    """Why this is not a CPU-only environment (empty when it is)."""
    problems = []
    if torch_cuda is not None:
        problems.append(f"torch {torch_version} is built for CUDA {torch_cuda} (torch.version.cuda is not None)")
    found = cuda_distributions(names)
    if found:
        more = f" and {len(found) - SHOWN} more" if len(found) > SHOWN else ""
        are = "package is" if len(found) == 1 else "packages are"
        problems.append(f"{len(found)} CUDA {are} installed: {', '.join(found[:SHOWN])}{more}")
    return problems


def main() -> int:
    import torch

    names = [dist.metadata["Name"] or "" for dist in metadata.distributions()]
    problems = cpu_only_problems(torch.__version__, torch.version.cuda, names)
    if problems:
        print("setup.sh: the autograder needs a CPU-only torch (from https://download.pytorch.org/whl/cpu), "
              f"but {'; '.join(problems)}", file=sys.stderr)
        return 1
    print(f"setup.sh: torch {torch.__version__} is a CPU build, and no CUDA package is installed")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
