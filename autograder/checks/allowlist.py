"""What graded code may use: the allowlist the verifier (verifier.py) reads.

Graded code may use torch's tensor arithmetic (torch_names.py, generated from the pinned torch with
the assignments' banned calls left out), math, a few harmless standard names students reach for
(typing, collections, dataclasses, functools.wraps, itertools, tqdm, print ...), its own functions,
classes and constants, and nothing else. Each entry below is a module with the names taken from it,
or a set of names allowed on any value. Standard library only: the notebook's setup cell ships it.
"""

from __future__ import annotations

from typing import Literal

from .torch_names import LIBRARY_ATTRIBUTES, SUBMODULES, TORCH, VALUE_ATTRIBUTES

ANY = None  # (no module is listed this way any more: every list names its members)


def _every_public_name(module: str) -> frozenset[str]:
    """Every public name of a standard-library module that only computes (math, itertools ...)."""
    return frozenset(n for n in dir(__import__(module, fromlist=["_"])) if not n.startswith("_"))


# module path -> the names graded code may take from it (ANY: every public name).
MODULES: dict[str, "frozenset[str] | None"] = {
    "torch": TORCH,
    **{f"torch.{sub}": names for sub, names in SUBMODULES.items()},
    "math": _every_public_name("math"),
    "cmath": _every_public_name("cmath"),
    "statistics": frozenset({"mean", "median", "stdev", "pstdev", "variance", "pvariance", "fmean"}),
    "random": frozenset({"random", "seed", "shuffle", "randint", "randrange", "sample", "choice", "choices",
                         "uniform", "gauss", "normalvariate", "Random"}),
    "itertools": _every_public_name("itertools"),
    # functools.wraps only with the wrapped function (the verifier checks): its assigned= names attributes
    "functools": frozenset({"wraps", "partial", "reduce", "lru_cache", "cache", "cached_property",
                            "total_ordering"}),
    "operator": frozenset({"add", "sub", "mul", "truediv", "floordiv", "matmul", "neg", "pos", "pow", "mod",
                           "abs", "eq", "ne", "lt", "le", "gt", "ge", "and_", "or_", "not_", "xor", "itemgetter",
                           "iadd", "isub", "imul", "itruediv", "index", "truth"}),
    "collections": frozenset({"OrderedDict", "defaultdict", "namedtuple", "deque", "Counter", "ChainMap"}),
    "collections.abc": _every_public_name("collections.abc"),
    # not dataclasses.fields: a field's .type hands back whatever its annotation named
    "dataclasses": frozenset({"dataclass", "field", "asdict", "astuple", "replace", "InitVar", "KW_ONLY"}),
    "typing": frozenset({
        "Any", "Callable", "ClassVar", "Dict", "DefaultDict", "Deque", "Final", "FrozenSet", "Generator",
        "Generic", "Iterable", "Iterator", "List", "Literal", "Mapping", "MutableMapping", "MutableSequence",
        "NamedTuple", "NoReturn", "Optional", "OrderedDict", "Protocol", "Sequence", "Set", "Tuple", "Type",
        "TypeVar", "TypedDict", "Union", "Annotated", "Counter", "Self", "TypeAlias", "cast", "overload",
        "TYPE_CHECKING", "Hashable", "Sized", "Container", "Collection", "Reversible", "SupportsFloat",
        "SupportsInt", "SupportsIndex"}),
    "typing_extensions": frozenset({"Self", "TypeAlias", "Literal", "Annotated", "TypedDict", "Protocol"}),
    "enum": frozenset({"Enum", "IntEnum", "auto"}),
    "abc": frozenset({"ABC", "abstractmethod"}),
    "copy": frozenset({"copy", "deepcopy"}),
    "time": frozenset({"time", "perf_counter", "process_time", "monotonic", "perf_counter_ns", "time_ns",
                       "sleep"}),
    "warnings": frozenset({"warn"}),
    "sys": frozenset({"stdout", "stderr", "float_info", "maxsize", "version_info"}),
    "tqdm": frozenset({"tqdm", "trange"}),
    "tqdm.auto": frozenset({"tqdm", "trange"}),
    "tqdm.notebook": frozenset({"tqdm", "trange"}),
    "tqdm.std": frozenset({"tqdm", "trange"}),
    "numpy": frozenset({
        "array", "asarray", "zeros", "ones", "full", "empty", "arange", "linspace", "eye", "zeros_like",
        "ones_like", "sqrt", "exp", "log", "log1p", "expm1", "log2", "log10", "abs", "maximum", "minimum",
        "clip", "where", "sum", "mean", "std", "var", "max", "min", "argmax", "argmin", "prod", "dot", "matmul",
        "outer", "tanh", "sin", "cos", "pi", "e", "inf", "nan", "float32", "float64", "int64", "int32", "bool_",
        "isfinite", "isnan", "isclose", "allclose", "concatenate", "stack", "vstack", "hstack", "reshape",
        "transpose", "square", "power", "floor", "ceil", "round", "sign", "cumsum", "sort", "argsort",
        "unique", "ndarray", "newaxis", "prod", "float16"}),
    "numpy.random": frozenset({"seed", "rand", "randn", "randint", "normal", "uniform", "permutation", "shuffle",
                               "choice", "default_rng", "standard_normal", "random"}),
    "numpy.linalg": frozenset({"norm", "inv", "solve", "lstsq", "pinv", "det", "eig", "eigh", "svd", "qr",
                               "cholesky", "matrix_rank"}),
    "__future__": frozenset({"annotations"}),
}

# Built-in names graded code may use (getattr and hasattr only with a literal name, super() only
# without arguments, type() only with one): everything else, eval and open above all, is off the list.
BUILTINS = frozenset({
    "abs", "all", "any", "ascii", "bin", "bool", "bytearray", "bytes", "callable", "chr", "classmethod",
    "complex", "dict", "divmod", "enumerate", "filter", "float", "format", "frozenset", "getattr", "hasattr",
    "hash", "hex", "id", "int", "isinstance", "issubclass", "iter", "len", "list", "map", "max", "min", "next",
    "object", "oct", "ord", "pow", "print", "property", "range", "repr", "reversed", "round", "set", "slice",
    "sorted", "staticmethod", "str", "sum", "super", "tuple", "type", "zip", "Ellipsis", "NotImplemented",
    "True", "False", "None", "__name__",
    "ArithmeticError", "AssertionError", "AttributeError", "BaseException", "Exception", "FloatingPointError",
    "IndexError", "KeyError", "LookupError", "NotImplementedError", "OverflowError", "RuntimeError",
    "StopIteration", "TypeError", "ValueError", "ZeroDivisionError", "Warning", "UserWarning",
    "RuntimeWarning", "DeprecationWarning",
    # every built-in exception (except KeyboardInterrupt: ..., raise OSError ...)
    *(name for name, value in vars(__import__("builtins")).items()
      if isinstance(value, type) and issubclass(value, BaseException))})
LITERAL_NAME_ONLY = frozenset({"getattr", "hasattr"})  # the second argument must be a string literal

# Classes a student's class may derive from, besides its own classes.
BASES = frozenset({"object", "Exception", "ValueError", "RuntimeError", "TypeError", "typing.NamedTuple",
                   "typing.Generic", "typing.Protocol", "typing.TypedDict", "enum.Enum", "enum.IntEnum",
                   "abc.ABC", "torch.utils.data.Dataset", "dict", "list", "tuple"})

# Dunder attributes graded code may touch: a function's name for a log line, super().__init__() ...
DUNDERS = frozenset({"__init__", "__name__", "__qualname__", "__doc__", "__len__", "__iter__", "__next__",
                     "__post_init__", "__enter__", "__exit__", "__call__", "__getitem__", "__setitem__",
                     "__contains__", "__repr__", "__str__"})

# Attributes of ordinary values (lists, dicts, strings, numbers, numpy arrays, tqdm bars, matplotlib
# axes) graded code may use on any value, besides torch's (VALUE_ATTRIBUTES).
_PYTHON_TYPES = (list, dict, set, frozenset, tuple, str, bytes, int, float, complex, bool, range, slice)
PYTHON_ATTRIBUTES = frozenset(n for t in _PYTHON_TYPES for n in dir(t) if not n.startswith("_"))
OTHER_ATTRIBUTES = frozenset({
    # numpy arrays
    "shape", "ndim", "dtype", "size", "T", "astype", "reshape", "mean", "sum", "std", "max", "min", "copy",
    "tolist", "item", "flatten", "ravel", "transpose", "argmax", "argmin", "clip", "dot", "round",
    # tqdm, functools, dataclass fields, exceptions
    "set_description", "set_postfix", "set_postfix_str", "update", "close", "write", "refresh", "n", "total",
    "flush",
    # torch's data loaders and datasets (instance attributes), numpy's random generators, properties
    "dataset", "batch_size", "drop_last", "sampler", "batch_sampler", "num_workers", "generator", "tensors",
    "indices", "normal", "standard_normal", "integers", "permutation", "uniform", "choice", "random", "shuffle",
    "getter", "setter", "deleter", "fget", "fset", "fdel", "send", "throw", "value",
    "cache_clear", "cache_info", "args", "with_traceback", "default", "default_factory", "most_common",
    "elements", "appendleft", "popleft",
    # matplotlib figures and axes, when a training function also draws
    "plot", "scatter", "set_title", "set_xlabel", "set_ylabel", "set_yscale", "set_xscale", "legend",
    "grid", "savefig", "tight_layout", "imshow", "axis", "set_xlim", "set_ylim", "semilogy", "hist",
    "subplots", "figure", "show", "title", "xlabel", "ylabel", "yscale"})
ATTRIBUTES = VALUE_ATTRIBUTES | PYTHON_ATTRIBUTES | OTHER_ATTRIBUTES

# Attribute names of torch's classes and of Python's frames, functions, code and generators that are
# not on the list: refused on any value even when the submission defines one of its own by that name.
DENIED_ATTRIBUTES = LIBRARY_ATTRIBUTES - ATTRIBUTES


def module_members(path: str) -> "frozenset[str] | None | Literal[False]":
    """The names graded code may take from a module: a set, ANY (every public name), or False
    when the module is not on the list."""
    return MODULES.get(path, False)


def is_module(path: str) -> bool:
    """Whether a dotted path names a module on the list or a module that contains one (torch.utils)."""
    return path in MODULES or any(m.startswith(path + ".") for m in MODULES)
