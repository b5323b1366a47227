"""Which devices this machine can compute on."""

from __future__ import annotations

from .errors import KitError


def require_cuda(what: str) -> None:
    """A KitError saying what needed CUDA, when this machine has no CUDA device torch can use."""
    import torch
    if not torch.cuda.is_available():
        raise KitError(f"{what}: no CUDA device is available on this machine (torch {torch.__version__}, "
                       f"built for CUDA {torch.version.cuda or 'none'})")
