"""autograder/checks/torch_names.py, generated from the pinned torch: the torch half of the allowlist.

The verifier (autograder/checks/verifier.py) judges source text and ships in the notebooks, where
torch may be another version; so what torch offers is written down once, from the torch that
requirements.txt pins, as plain data. What is left out, and why, is decided here by rules that
read as a list; the release regenerates the file and a test fails when the committed copy is stale.
"""

from __future__ import annotations

import re
import types
from pathlib import Path

TORCH_NAMES_FILE = Path(__file__).resolve().parent.parent / "checks" / "torch_names.py"

# Never on the list, whatever else they are: the work the assignments ask for, gradients, code built
# or loaded at run time, global state that changes how later code runs, and the compilers.
_LEFT_OUT = re.compile(
    r"loss|softmax|sigmoid|logsumexp|logcumsumexp|expit|backward|grad(?!ient$)|hook|dropout|"
    r"^(load|save|from_file|compile|cond|while_loop|vmap|fork|wait|jit|trace|typename|classproperty|"
    r"get_file_path|prepare_multiprocessing_environment|profiler_.*|sym_.*|set_default_.*|"
    r"use_deterministic_algorithms|set_deterministic_debug_mode|set_anomaly_enabled|set_autocast_.*|"
    r"set_warn_always|set_float32_matmul_precision|set_flush_denormal|set_num_interop_threads|kl_div|"
    r"import_ir_module.*|merge_type_from_type_comment|parse_.*|unify_type_list|vitals_enabled|set_vital|"
    r"read_vitals|init_num_threads|is_anomaly.*|autocast.*|get_device_module|thread_safe_generator|"
    r"from_dlpack|default_generator|PRIVATE_OPS|quantized_gru|quantized_lstm)$")
# The classes graded code may name: values it computes with, and the grad-mode switches.
_CLASSES = ("Tensor", "Size", "dtype", "device", "Generator", "finfo", "iinfo", "layout", "memory_format",
            "no_grad", "enable_grad", "inference_mode", "set_grad_enabled", "is_grad_enabled")
# (not the legacy FloatTensor, CharTensor ...: they hold copies of Tensor's methods made before the
# tripwires wrap Tensor's)
# torch's submodules on the list, with the members taken from each (None: every public function).
_SUBMODULES = {
    "linalg": None, "fft": None, "special": None,
    "random": ("manual_seed", "seed", "initial_seed", "get_rng_state", "set_rng_state"),
    "cuda": ("is_available", "device_count", "current_device", "get_device_name", "synchronize",
             "manual_seed", "manual_seed_all", "empty_cache", "memory_allocated", "max_memory_allocated"),
    "backends.mps": ("is_available", "is_built"),
    "utils.data": ("DataLoader", "TensorDataset", "Dataset", "Subset", "random_split", "RandomSampler",
                   "SequentialSampler", "BatchSampler"),
    "autograd": ("no_grad", "enable_grad", "set_grad_enabled", "inference_mode"),
    "autograd.grad_mode": ("no_grad", "enable_grad", "set_grad_enabled", "inference_mode"),
}
# Attributes of torch's values that graded code never needs and that reach gradients, the graph,
# storage internals or a subclass's hooks.
# (a storage's .type(name) imports a module by name)
_ATTRIBUTES_LEFT_OUT = re.compile(r"grad(?!_enabled)|hook|backward|^(as_subclass|module_load|is_leaf|output_nr|"
                                  r"data_ptr|storage_offset_bytes|storage|untyped_storage|storage_type|share_memory_|"
                                  r"multiprocessing_context)$|"
                                  r"softmax|sigmoid|logsumexp|logcumsumexp")


def _public(obj: object) -> list[str]:
    return sorted(n for n in dir(obj) if not n.startswith("_"))


def _torch_members(torch: types.ModuleType) -> list[str]:
    from ..checks.rules import ban_of
    out = []
    for name in _public(torch):
        value = getattr(torch, name)
        if isinstance(value, types.ModuleType) or (_LEFT_OUT.search(name) and name not in _CLASSES) \
                or ban_of(f"torch.{name}") is not None:
            continue
        if isinstance(value, type) and name not in _CLASSES:
            continue
        out.append(name)
    out += [name for name in _CLASSES if hasattr(torch, name) and name not in out]
    return out


def _submodule_members(torch: types.ModuleType) -> dict[str, list[str]]:
    import importlib
    out = {}
    for sub, listed in _SUBMODULES.items():
        module = importlib.import_module(f"torch.{sub}")
        if listed is None:  # every public function, less what the rules leave out
            members: tuple[str, ...] = tuple(n for n in _public(module) if callable(getattr(module, n))
                                             and not _LEFT_OUT.search(n)
                                             and not isinstance(getattr(module, n), (types.ModuleType, type)))
        else:
            members = listed
        out[sub] = sorted(m for m in members if hasattr(module, m))
    return out


def _value_attributes(torch: types.ModuleType) -> list[str]:
    """Attributes graded code may use on any value: what tensors, dtypes, devices, sizes, generators and
    torch's data loaders offer in public, less what reaches gradients and the graph."""
    from torch.utils.data import DataLoader, TensorDataset
    names: set[str] = set()
    for cls in (torch.Tensor, torch.dtype, torch.device, torch.Size, torch.Generator, torch.finfo, torch.iinfo,
                DataLoader, TensorDataset):
        names.update(_public(cls))
    for name in _public(torch.return_types):  # the fields of what max, sort, lstsq, qr ... return
        kind = getattr(torch.return_types, name)
        if isinstance(kind, type):
            names.update(n for n in _public(kind) if n not in ("count", "index"))
    import numpy
    names.update(n for n in _public(numpy.ndarray) if n not in ("ctypes", "dump", "dumps", "tofile", "setflags"))
    return sorted(n for n in names if not _ATTRIBUTES_LEFT_OUT.search(n) or n == "requires_grad")


def _library_attributes(torch: types.ModuleType) -> list[str]:
    """Every attribute name of torch's classes and of Python's frames, code, functions and generators that is
    not on the list: a name the student also defines on their own objects is still refused on these."""
    import builtins
    import dataclasses
    import multiprocessing.context

    import numpy
    from torch.utils.data import DataLoader, Dataset, Sampler
    # (only what leads somewhere: torch's internals, a module, a frame, code; a name that only harmless
    # objects have, numpy's random generators' logistic say, stays free for the submission's own methods)
    objects = [torch.Tensor, torch.Generator, torch.Size, torch.dtype, torch.device, numpy.ndarray,
               DataLoader, Dataset, Sampler, multiprocessing.context.BaseContext, dataclasses.Field,
               types.FunctionType, types.CodeType, types.FrameType, types.GeneratorType, types.CoroutineType,
               types.AsyncGeneratorType, types.TracebackType, types.ModuleType, types.MethodType,
               types.BuiltinFunctionType, types.CellType, type, object, property,
               *(v for v in vars(builtins).values() if isinstance(v, type) and issubclass(v, BaseException))]
    # (not the dunder names: the verifier refuses those by its own list, and copy caches __slotnames__ on
    # classes, so dir() would depend on what ran before)
    names = {n for obj in objects for n in dir(obj) if not (n.startswith("__") and n.endswith("__"))}
    return sorted(names - set(_value_attributes(torch)))


def torch_names_source() -> str:
    """The text of autograder/checks/torch_names.py for the installed torch."""
    import torch
    data: dict[str, list[str] | dict[str, list[str]]] = {
        "TORCH": _torch_members(torch), "SUBMODULES": _submodule_members(torch),
        "VALUE_ATTRIBUTES": _value_attributes(torch), "LIBRARY_ATTRIBUTES": _library_attributes(torch)}
    lines = ['"""What torch offers graded code, as data (generated from torch '
             f'{torch.__version__.split("+")[0]} by autograder/release/torch_names.py; do not edit)."""', ""]
    for key, value in data.items():
        if isinstance(value, dict):
            lines.append(f"{key} = {{")
            for sub, members in value.items():
                lines.append(f"    {sub!r}: frozenset({_wrapped(members, 8)}),")
            lines.append("}")
        else:
            lines.append(f"{key} = frozenset({_wrapped(value, 4)})")
        lines.append("")
    return "\n".join(lines)


def _wrapped(names: list[str], indent: int) -> str:
    """A sorted list of names as a tuple literal, wrapped at 110 columns."""
    if not names:
        return "()"
    rows, row = [], ""
    for name in names:
        item = f"{name!r}, "
        if len(row) + len(item) > 110 - indent:
            rows.append(row.rstrip())
            row = ""
        row += item
    rows.append(row.rstrip())
    pad = " " * indent
    return "(\n" + "\n".join(pad + r for r in rows) + "\n" + " " * (indent - 4) + ")"
