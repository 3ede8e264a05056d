"""Backend adapters: turn golden-case NumPy arrays into a backend's arrays, call an
implementation, and bring values and gradients back as NumPy.

An adapter is a small class; :func:`available_adapters` lists those whose library is
installed (importing it only when asked for).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from typing import Any, Callable

import numpy as np

__all__ = ["Adapter", "ADAPTERS", "TENSORFLOW_ADAPTER", "available_adapters", "get_adapter",
           "CAST_INPUTS", "ImplementationError", "describe_value"]

SHOWN_NAMES = {"sampled_candidates_": "sampled_values[0] (sampled_candidates)",
               "expected_counts": "sampled_values[1:] (the expected counts)"}
"""The implementation's own names of the inputs the runner passes apart (to take the
gradient into the expected counts, :func:`~.runner.run_case`)."""

CAST_INPUTS = ("weights", "biases", "inputs", "logits")
"""The float inputs a dtype applies to (expected counts stay as the samplers give them)."""


class ImplementationError(Exception):
    """A failure of the implementation checked (what it returned, how it exited), with
    its message ready for the report."""


class InputWritten(ImplementationError):
    """The implementation changed one of its inputs in place."""


MESSAGE_LIMIT = 2000
"""The most characters of an implementation's message a report line carries."""


def exception_text(exc: BaseException) -> str:
    """``str(exc)``, cut to :data:`MESSAGE_LIMIT` characters, or where the
    implementation's exception cannot even say that (its ``__str__`` raises), a note of
    it: the report must not fail with it, nor carry megabytes of it."""
    return foreign_text(lambda: str(exc))


def foreign_text(text: Callable[[], str]) -> str:
    """``text()``, the text of an implementation's object, at most :data:`MESSAGE_LIMIT`
    characters (the rest counted), or a note where making it raises."""
    try:
        value = text()
    except BaseException as inner:  # noqa: BLE001 - any failure of foreign code
        return f"<its message raised {type(inner).__name__}>"
    if len(value) > MESSAGE_LIMIT:
        return f"{value[:MESSAGE_LIMIT]}... ({len(value) - MESSAGE_LIMIT} more characters)"
    return value


def describe_value(value: Any) -> str:
    """What a returned value is, for messages: ``None``, or its type's name (``str``,
    ``dict``; the object inside a 0-d object array)."""
    if isinstance(value, np.ndarray) and value.dtype == object and value.ndim == 0:
        value = value.item()
    return "None" if value is None else type(value).__name__


def _map(fn: Callable[[Any], Any], value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        mapped = [_map(fn, v) for v in value]
        return type(value)(*mapped) if hasattr(value, "_fields") else type(value)(mapped)
    return fn(value)


def _leaves(value: Any) -> list:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [leaf for v in value for leaf in _leaves(v)]
    return [value]


def _array_leaves(value: Any) -> list:
    """The arrays among :func:`_leaves` (not the Python numbers of an input)."""
    return [leaf for leaf in _leaves(value) if not isinstance(leaf, (int, float, bool))]


class Adapter:
    """NumPy: values only."""

    name = "numpy"
    module = "numpy"
    differentiable = False
    traced = False  # True when the implementation runs under a tracer (jit): no data-dependent shapes
    dtypes = ("float16", "float32", "float64")
    """Float dtypes this backend offers."""

    def __init__(self, dtype: str | None = None):
        self.dtype = dtype

    def with_dtype(self, dtype: str) -> "Adapter":
        """A copy of this adapter that casts the float inputs (weights, biases, inputs,
        logits) to ``dtype``."""
        if dtype not in self.dtypes:
            raise ValueError(f"dtype: {self.name} offers {list(self.dtypes)}, got {dtype!r}")
        clone = type(self).__new__(type(self))
        clone.__dict__.update(self.__dict__, dtype=dtype)
        return clone

    def cast(self, x: Any, dtype: str) -> Any:
        """Backend array ``x`` as float ``dtype``."""
        return x.astype(dtype)

    def available(self) -> bool:
        return importlib.util.find_spec(self.module) is not None

    def asarray(self, a: np.ndarray) -> Any:
        return np.array(a)

    def to_numpy(self, x: Any) -> np.ndarray:
        return np.asarray(x)

    def fetch(self, x: Any) -> Any:
        """An output ``x`` as NumPy; a str, bytes or mapping as it is (no array of any
        backend), for the checks to name. A masked array with masked values is refused
        (NumPy would read the values under the mask)."""
        if isinstance(x, (str, bytes, Mapping)):
            return x
        if isinstance(x, np.ma.MaskedArray) and np.ma.is_masked(x):
            raise ImplementationError("returned a masked array with masked values, expected "
                                      "an array of values")
        return self.to_numpy(x)

    def call(self, fn: Callable[..., Any], inputs: dict, kwargs: dict,
             listed: bool = False) -> Any:
        """``fn(**inputs, **kwargs)`` with the inputs converted; outputs as NumPy. An
        input the implementation changed in place is an :class:`ImplementationError`.
        ``listed``: the ids come as Python lists in ``kwargs`` (:meth:`fetch_listed`)."""
        converted = {k: self._convert(k, v) for k, v in inputs.items()}
        before = self.snapshot(converted)
        out = fn(**converted, **kwargs)
        self.check_unchanged(before, converted)
        return self.fetch_outputs(out, listed)

    def fetch_outputs(self, out: Any, listed: bool) -> Any:
        """Every array of ``out`` (a tuple or a single output) through :meth:`fetch`, or
        :meth:`fetch_listed` where the call was given its ids as Python lists."""
        return _map(self.fetch_listed if listed else self.fetch, out)

    def fetch_listed(self, x: Any) -> Any:
        """An output of a call given its ids as Python lists: a NumPy array too, where
        :meth:`fetch` wants the backend's arrays (from lists TensorFlow returns its
        tensors; a library may return NumPy's, as this one does)."""
        return x if type(x) is np.ndarray else self.fetch(x)

    def snapshot(self, converted: dict) -> dict:
        """Copies of the converted inputs' values, for :meth:`check_unchanged`."""
        return {name: [np.array(self.to_numpy(leaf)) for leaf in _array_leaves(value)]
                for name, value in converted.items()}

    def check_unchanged(self, before: dict, converted: dict) -> None:
        """The inputs hold the values of :meth:`snapshot`: TensorFlow's ops write none of
        their inputs, and a port that did would corrupt its caller's parameters."""
        for name, copies in before.items():
            for copy, leaf in zip(copies, _array_leaves(converted[name])):
                if not np.array_equal(copy, self.to_numpy(leaf), equal_nan=True):
                    raise InputWritten(f"changed {SHOWN_NAMES.get(name, name)} in place "
                                       f"(TensorFlow's ops write none of their inputs)")

    def _convert(self, name: str, value: Any) -> Any:
        converted = _map(self.asarray, value)
        if self.dtype is not None and name in CAST_INPUTS:
            converted = _map(lambda x: self.cast(x, self.dtype), converted)
        if name == "sampled_values" and converted is not None:
            return tuple(converted)
        return converted

    def value_and_grads(self, fn: Callable[..., Any], inputs: dict, kwargs: dict,
                        wrt: tuple, cotangent: np.ndarray) -> tuple[Any, dict]:
        """Outputs and the gradients of ``sum(first output * cotangent)`` w.r.t. ``wrt``."""
        raise NotImplementedError(f"{self.name} has no automatic differentiation")


class StrictAdapter(Adapter):
    """array-api-strict: the minimal standard namespace, values only."""

    name = "array_api_strict"
    module = "array_api_strict"

    def asarray(self, a: np.ndarray) -> Any:
        import array_api_strict

        return array_api_strict.asarray(np.array(a))

    def cast(self, x: Any, dtype: str) -> Any:
        import array_api_strict

        return array_api_strict.astype(x, getattr(array_api_strict, dtype))


class TorchAdapter(Adapter):
    """PyTorch on the CPU (or ``device``), gradients by autograd."""

    name = "torch"
    module = "torch"
    differentiable = True
    dtypes = ("float16", "bfloat16", "float32", "float64")

    def __init__(self, device: str = "cpu", dtype: str | None = None):
        super().__init__(dtype)
        self.device = device

    def cast(self, x: Any, dtype: str) -> Any:
        import torch

        return x.to(getattr(torch, dtype))

    def asarray(self, a: np.ndarray) -> Any:
        import torch

        return torch.from_numpy(np.array(a)).to(self.device)

    def to_numpy(self, x: Any) -> np.ndarray:
        import torch

        if not isinstance(x, torch.Tensor):  # a NumPy array or a number, say, of a port
            raise ImplementationError(f"returned {describe_value(x)}, expected a torch tensor")
        if x.dtype == torch.bfloat16:
            x = x.float()
        return x.detach().cpu().numpy()

    def value_and_grads(self, fn, inputs, kwargs, wrt, cotangent):
        converted = {k: self._convert(k, v) for k, v in inputs.items()}
        for name in wrt:
            for leaf in _leaves(converted[name]):
                leaf.requires_grad_(True)
        before = self.snapshot(converted)
        out = fn(**converted, **kwargs)
        self.check_unchanged(before, converted)
        first = self._first_tensor(out)
        if not first.requires_grad:
            raise ImplementationError(
                "returned a tensor without a gradient (no grad_fn: computed outside autograd, "
                "or detached); the gradient checks need one that autograd differentiates")
        (first * self.asarray(cotangent).to(first.dtype)).sum().backward()
        grads = {name: _map(lambda t: self.to_numpy(t.grad) if t.grad is not None
                            else np.zeros(t.shape, np.float32), converted[name]) for name in wrt}
        return _map(self.fetch, out), grads

    @staticmethod
    def _first_tensor(out: Any) -> Any:
        """The output to differentiate: ``out``, or its first item; a tensor."""
        import torch

        first = out[0] if isinstance(out, tuple) else out
        if not isinstance(first, torch.Tensor):
            raise ImplementationError(f"returned {describe_value(first)}, expected a torch "
                                      f"tensor")
        if not first.is_floating_point():
            raise ImplementationError(f"returned dtype {str(first.dtype).replace('torch.', '')}, "
                                      f"expected a real float array")
        return first


class TorchFuncAdapter(TorchAdapter):
    """PyTorch on the CPU, gradients by ``torch.func.vjp``: the implementation runs under a
    ``torch.func`` transform, which differentiates its forward itself."""

    name = "torch.func"

    def value_and_grads(self, fn, inputs, kwargs, wrt, cotangent):
        import torch

        converted = {k: self._convert(k, v) for k, v in inputs.items()}

        def first_output(primals: dict) -> tuple:
            out = fn(**{**converted, **primals}, **kwargs)
            return self._first_tensor(out), out

        first, pullback, out = torch.func.vjp(first_output, {n: converted[n] for n in wrt},
                                              has_aux=True)
        (grads,) = pullback(self.asarray(cotangent).to(first.dtype))
        return _map(self.fetch, out), {n: _map(self.to_numpy, grads[n]) for n in wrt}


class TorchCudaAdapter(TorchAdapter):
    """PyTorch on the current CUDA device, where torch sees one; gradients by autograd."""

    name = "torch-cuda"

    def __init__(self, dtype: str | None = None):
        super().__init__("cuda", dtype)

    def available(self) -> bool:
        if not super().available():
            return False
        import torch

        return torch.cuda.is_available()


class JaxAdapter(Adapter):
    """JAX on the CPU (or its default device), gradients by ``jax.vjp``."""

    name = "jax"
    module = "jax"
    differentiable = True

    @property
    def dtypes(self) -> tuple[str, ...]:
        """float64 only while ``jax_enable_x64`` is on (else JAX makes it float32)."""
        import jax

        wide = ("float64",) if jax.config.jax_enable_x64 else ()
        return ("float16", "bfloat16", "float32") + wide

    def asarray(self, a: np.ndarray) -> Any:
        import jax.numpy as jnp

        return jnp.asarray(a)

    def _wrap(self, fn: Callable[..., Any], fixed: dict, kwargs: dict) -> Callable[..., Any]:
        return lambda floats: fn(**floats, **fixed, **kwargs)

    def call(self, fn, inputs, kwargs, listed=False):
        converted = {k: self._convert(k, v) for k, v in inputs.items()}
        return self.fetch_outputs(self._wrap(fn, {}, kwargs)(converted), listed)

    def value_and_grads(self, fn, inputs, kwargs, wrt, cotangent):
        import jax

        converted = {k: self._convert(k, v) for k, v in inputs.items()}
        floats = {k: converted[k] for k in wrt}
        fixed = {k: v for k, v in converted.items() if k not in wrt}
        inner = self._wrap(fn, fixed, kwargs)
        out, vjp = jax.vjp(inner, floats)
        first = _first_jax_array(out)
        cot = self.asarray(cotangent).astype(first.dtype)
        if isinstance(out, tuple):
            cot = (cot,) + tuple(jax.numpy.zeros_like(o) if o.dtype.kind == "f"
                                 else np.zeros(o.shape, jax.dtypes.float0) for o in out[1:])
        (grads,) = vjp(cot)
        return _map(self.fetch, out), {k: _map(self.to_numpy, v) for k, v in grads.items()}


def _first_jax_array(out: Any) -> Any:
    """The output of a JAX implementation to differentiate: ``out``, or its first item;
    a JAX array (a tracer under ``jax.jit``) of a real float dtype."""
    import jax
    import jax.numpy as jnp

    first = out[0] if isinstance(out, tuple) else out
    if not isinstance(first, jax.Array):
        raise ImplementationError(f"returned {describe_value(first)}, expected a JAX array")
    if not jnp.issubdtype(first.dtype, jnp.floating):
        raise ImplementationError(f"returned dtype {first.dtype}, expected a real float array")
    return first


class JaxJitAdapter(JaxAdapter):
    """JAX with the whole computation (values and gradients) under one ``jax.jit``;
    arrays are traced, scalars static."""

    name = "jax-jit"
    traced = True

    def _split(self, inputs: dict, wrt: tuple) -> tuple[dict, dict]:
        converted = {k: self._convert(k, v) for k, v in inputs.items()}
        return ({k: v for k, v in converted.items() if k in wrt},
                {k: v for k, v in converted.items() if k not in wrt})

    def call(self, fn, inputs, kwargs, listed=False):
        import jax

        floats, fixed = self._split(inputs, ("weights", "biases", "inputs", "logits"))
        jitted = jax.jit(lambda floats, fixed: fn(**floats, **fixed, **kwargs))
        return self.fetch_outputs(jitted(floats, fixed), listed)

    def value_and_grads(self, fn, inputs, kwargs, wrt, cotangent):
        import jax

        floats, fixed = self._split(inputs, wrt)

        def step(floats, fixed, cotangent):
            out, vjp = jax.vjp(lambda f: fn(**f, **fixed, **kwargs), floats)
            first = _first_jax_array(out)
            cot = cotangent.astype(first.dtype)
            if isinstance(out, tuple):
                cot = (cot,) + tuple(jax.numpy.zeros_like(o) for o in out[1:])
            return out, vjp(cot)[0]

        out, grads = jax.jit(step)(floats, fixed, self.asarray(cotangent))
        return _map(self.fetch, out), {k: _map(self.to_numpy, v) for k, v in grads.items()}


class CupyAdapter(Adapter):
    """CuPy on the current GPU, values only."""

    name = "cupy"
    module = "cupy"

    def available(self) -> bool:
        if not super().available():
            return False
        try:
            import cupy

            return cupy.cuda.runtime.getDeviceCount() > 0
        except Exception:
            return False

    def asarray(self, a: np.ndarray) -> Any:
        import cupy

        return cupy.asarray(a)

    def to_numpy(self, x: Any) -> np.ndarray:
        import cupy

        return cupy.asnumpy(x)


class TensorFlowAdapter(Adapter):
    """TensorFlow 2 eager tensors, gradients by ``tf.GradientTape`` (``IndexedSlices``
    made dense). Only for checking TensorFlow itself (``--impl tensorflow``): this
    library does not take TensorFlow tensors."""

    name = "tensorflow"
    module = "tensorflow"
    differentiable = True
    dtypes = ("float16", "bfloat16", "float32", "float64")

    def asarray(self, a: np.ndarray) -> Any:
        import tensorflow as tf

        return tf.constant(np.array(a))

    def cast(self, x: Any, dtype: str) -> Any:
        import tensorflow as tf

        return tf.cast(x, dtype)

    def to_numpy(self, x: Any) -> np.ndarray:
        import tensorflow as tf

        x = tf.convert_to_tensor(x)
        return (tf.cast(x, tf.float32) if x.dtype == tf.bfloat16 else x).numpy()

    def value_and_grads(self, fn, inputs, kwargs, wrt, cotangent):
        import tensorflow as tf

        converted = {k: self._convert(k, v) for k, v in inputs.items()}
        watched = {name: [leaf for leaf in _leaves(converted[name]) if leaf.dtype.is_floating]
                   for name in wrt}
        with tf.GradientTape() as tape:
            for leaves in watched.values():
                for leaf in leaves:
                    tape.watch(leaf)
            out = fn(**converted, **kwargs)
            first = out[0] if isinstance(out, tuple) else out
            objective = tf.reduce_sum(first * tf.cast(self.asarray(cotangent), first.dtype))
        flat = [leaf for name in wrt for leaf in watched[name]]
        found = dict(zip(map(id, flat), tape.gradient(objective, flat)))

        def grad_of(leaf: Any) -> np.ndarray:
            g = found.get(id(leaf))
            return np.zeros(tuple(leaf.shape), np.float32) if g is None else self.to_numpy(g)

        return _map(self.fetch, out), {name: _map(grad_of, converted[name]) for name in wrt}


ADAPTERS = {a.name: a for a in (Adapter(), StrictAdapter(), TorchAdapter(), TorchFuncAdapter(),
                                TorchCudaAdapter(), JaxAdapter(), JaxJitAdapter(),
                                CupyAdapter())}
TENSORFLOW_ADAPTER = TensorFlowAdapter()
"""Not among :data:`ADAPTERS`: only ``--impl tensorflow`` runs on it."""


def get_adapter(name: str) -> Adapter:
    """The adapter called ``name`` (numpy, array_api_strict, torch, torch.func,
    torch-cuda, jax, jax-jit, cupy; tensorflow)."""
    if name == TENSORFLOW_ADAPTER.name:
        return TENSORFLOW_ADAPTER
    try:
        return ADAPTERS[name]
    except KeyError:
        raise ValueError(f"backend: must be one of {sorted(ADAPTERS)}, got {name!r}") from None


def available_adapters() -> list[str]:
    """Names of the adapters whose library is installed here."""
    return [name for name, a in ADAPTERS.items() if a.available()]


def absence(name: str) -> str:
    """Why the known adapter ``name`` cannot run here: its library is not installed, or
    finds no device (torch-cuda and CuPy without a GPU)."""
    module = ADAPTERS[name].module
    if importlib.util.find_spec(module) is None:
        return f"backend {name!r}: {module} is not installed here"
    return f"backend {name!r}: {module} finds no device here"
