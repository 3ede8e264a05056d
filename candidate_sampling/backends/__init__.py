"""Per-backend pieces: what the Array API does not say.

A backend is a small class (see :mod:`._base`). :func:`backend_for` picks the one
for an array namespace; a framework's backend is only ever looked at when that
framework's namespace is in hand, so nothing here imports a framework that the
caller has not imported already.
"""

from __future__ import annotations

from typing import Any

import array_api_compat

from ._base import Backend
from .cupy import CupyBackend
from .jax import JaxBackend
from .numpy import NumpyBackend
from .torch import TorchBackend

__all__ = ["Backend", "array_namespace", "backend_for", "backend_name", "host_array",
           "outside_graph"]

_COMPAT = array_api_compat.__name__
_BY_NAME = {
    "numpy": NumpyBackend, f"{_COMPAT}.numpy": NumpyBackend,
    "torch": TorchBackend, f"{_COMPAT}.torch": TorchBackend,
    "jax.numpy": JaxBackend, "jax.experimental.array_api": JaxBackend,
    "cupy": CupyBackend, f"{_COMPAT}.cupy": CupyBackend,
}
"""Backends by the name of their namespace, as array-api-compat's ``is_*_namespace``
tell them (whose caches make ``torch.compile`` warn when it traces a first call)."""
_GENERIC = Backend()
_cache: dict[int, Backend] = {}


def backend_for(xp: Any) -> Backend:
    """The backend for array namespace ``xp`` (a generic one for other array-API libraries)."""
    found = _cache.get(id(xp))
    if found is None:
        cls = _BY_NAME.get(getattr(xp, "__name__", None))
        found = _cache[id(xp)] = _GENERIC if cls is None else cls()
    return found


def array_namespace(x: Any) -> Any:
    """The array-API namespace of the array ``x``, ``None`` if ``x`` is not an array.

    PyTorch's is known by type (:meth:`TorchBackend.namespace_of`): inside
    ``torch.compile``, array-api-compat's lookup would be traced, and its cached type
    tests warn there. Other arrays are looked up by array-api-compat."""
    xp = TorchBackend.namespace_of(x)
    if xp is not None:
        return xp
    return array_api_compat.array_namespace(x) if array_api_compat.is_array_api_obj(x) else None


def backend_name(xp: Any) -> str:
    """Short name of the backend of ``xp``: numpy, torch, jax, cupy or generic."""
    return backend_for(xp).name


def outside_graph(fn: Any, like: Any) -> Any:
    """``fn``, made to run as plain Python by the backend of the array ``like``
    (:meth:`Backend.outside_graph`: outside ``torch.compile``'s graphs); ``fn`` itself
    when ``like`` is not an array (``fn``'s own checks then say so)."""
    from ..core.namespace import namespace_of

    try:
        xp = namespace_of(like=like)
    except TypeError:
        return fn
    return backend_for(xp).outside_graph(fn)


def host_array(x: Any):
    """The values of array ``x`` as a NumPy array, copied off an accelerator where needed
    (the exact TensorFlow and Paddle streams are computed on the host); another array
    library's arrays come through DLPack, from whichever device holds them. Under a
    ``torch.func`` transform a tensor has no memory of its own: its values come as a
    list."""
    import numpy as np

    torch_array = array_api_compat.is_torch_array(x)
    if torch_array:
        from .torch import under_torch_func

        if under_torch_func():
            return np.array(x.tolist(), dtype=str(x.dtype).removeprefix("torch."))
    if torch_array or array_api_compat.is_cupy_array(x):
        x = array_api_compat.to_device(x, "cpu")
    elif not (array_api_compat.is_numpy_array(x) or array_api_compat.is_jax_array(x)):
        return np.from_dlpack(x, device="cpu")  # any library, any device (a copy off it)
    return np.asarray(x)
