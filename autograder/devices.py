"""Which devices this machine can compute on."""

from __future__ import annotations

from .errors import KitError


def require_cuda(what: str, before_fork: bool = False) -> None:
    """A KitError saying what needed CUDA, when this machine has no CUDA device torch can use.

    before_fork: this process will fork workers that use CUDA, so it must not initialise CUDA
    itself (a forked child could not): the check asks NVML instead of the CUDA driver.
    """
    import os

    import torch
    if before_fork:
        os.environ.setdefault("PYTORCH_NVML_BASED_CUDA_CHECK", "1")
    if not torch.cuda.is_available():
        raise KitError(f"{what}: no CUDA device is available on this machine (torch {torch.__version__}, "
                       f"built for CUDA {torch.version.cuda or 'none'})")
