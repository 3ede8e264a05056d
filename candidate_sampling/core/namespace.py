"""Finding the one array namespace of a call's arguments, and dtype helpers."""

from __future__ import annotations

from typing import Any

from ..backends import array_namespace, backend_for

__all__ = ["namespace_of", "required_namespace", "require_arrays", "device_of", "flatten_arrays",
           "index_dtype", "wide_float", "accumulation_dtype"]


def flatten_arrays(value: Any) -> list:
    """The arrays in ``value`` (an array, ``None``, or a list/tuple of those)."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        out = []
        for v in value:
            out.extend(flatten_arrays(v))
        return out
    return [value]


_BY_TYPE: dict[type, Any] = {}
"""The namespace of each array type met so far (``None``: not an array). It depends on
the type alone, so it is looked up once per type, not on every call (inside
``torch.compile`` every lookup would be traced again)."""


def _namespace_of_type(arr: Any) -> Any:
    kind = type(arr)
    if kind not in _BY_TYPE:
        _BY_TYPE[kind] = array_namespace(arr)
    return _BY_TYPE[kind]


def require_arrays(**named: Any) -> None:
    """Raise ``TypeError`` naming the first argument that is None, or a list or tuple
    holding None, where an array is required (:func:`namespace_of` passes None over,
    for arguments that may be left out)."""
    for name, value in named.items():
        parts = value if isinstance(value, (list, tuple)) else [value]
        if value is None or any(part is None for part in parts):
            got = "None" if value is None else f"a {type(value).__name__} holding None"
            raise TypeError(f"{name}: expected an array (NumPy, PyTorch, JAX, CuPy or any "
                            f"array-API array), got {got}")


def namespace_of(**named: Any):
    """The array-API namespace shared by every array argument.

    Raises ``TypeError`` naming the arguments when they come from different array
    libraries, or when an argument is not an array at all, or not a dense one (torch's
    sparse and nested tensors).
    """
    kinds: dict[str, Any] = {}  # the first array of each argument
    first, odd = None, None  # the first namespace; the first array of another library
    for name, value in named.items():
        shards = isinstance(value, (list, tuple))
        for index, part in enumerate(value if shards else [value]):
            for arr in flatten_arrays(part):
                xp = _namespace_of_type(arr)
                if xp is None:
                    got = type(arr).__name__ if arr is value else \
                        f"a {type(value).__name__} holding {type(arr).__name__}"
                    raise TypeError(
                        f"{name}: expected an array (NumPy, PyTorch, JAX, CuPy or any "
                        f"array-API array), got {got}")
                problem = backend_for(xp).layout_problem(arr)
                if problem is not None:
                    raise TypeError(f"{name}: expected a dense array, got {problem}")
                kinds.setdefault(name, arr)
                if first is None:
                    first = xp
                elif xp is not first and odd is None:
                    odd = (f"{name}[{index}]" if shards else name, arr)
    if not kinds:
        raise TypeError("no array arguments were given")
    if odd is not None:
        described = [f"{n} ({_type_name(a)})" for n, a in kinds.items()]
        if all(a is not odd[1] for a in kinds.values()):  # a later shard
            described.append(f"{odd[0]} ({_type_name(odd[1])})")
        raise TypeError(
            f"arrays from different array libraries cannot be mixed: {', '.join(described)}; "
            "convert them all to one library")
    return first


def _type_name(arr: Any) -> str:
    return f"{type(arr).__module__}.{type(arr).__name__}"


def required_namespace(**named: Any):
    """:func:`namespace_of` for arguments that must all be arrays: None, or a list or
    tuple holding None, is a ``TypeError`` naming it (:func:`require_arrays`)."""
    require_arrays(**named)
    return namespace_of(**named)


def device_of(x: Any) -> Any:
    """The device of array ``x`` (:meth:`~candidate_sampling.backends.Backend.device`)."""
    return backend_for(_namespace_of_type(x)).device(x)


def index_dtype(xp: Any, *ids: Any) -> Any:
    """The dtype in which to index with the given id arrays: their promoted dtype where
    that is int32 or int64, else the backend's int64 (int32 for JAX without
    ``jax_enable_x64``). Every library indexes with those (torch with no other), and
    NumPy promotes uint64 with a signed dtype to float64, and the Array API leaves that
    promotion undefined (array_api_strict refuses it); ids are checked to lie in
    ``[0, range_max)``, which that dtype holds."""
    try:
        dtype = xp.result_type(*(a.dtype for a in ids))
    except TypeError:  # no promotion between these integer dtypes
        return backend_for(xp).int64(xp)
    return dtype if dtype in (xp.int32, xp.int64) else backend_for(xp).int64(xp)


def wide_float(xp: Any, dtype: Any) -> Any:
    """The dtype in which to take ``log(Q)`` for logits of ``dtype``: float64 for
    float64 logits, float32 otherwise (expected counts are float32 numbers)."""
    return xp.float64 if dtype == xp.float64 else xp.float32


def accumulation_dtype(xp: Any, dtype: Any) -> Any:
    """The dtype a loss is reduced in: float32 for float16/bfloat16 logits (whose range
    a shifted masked logit would overflow), the logits' own dtype otherwise."""
    half = [getattr(xp, name) for name in ("float16", "bfloat16") if hasattr(xp, name)]
    return xp.float32 if any(dtype == h for h in half) else dtype
