"""What a conformance run checks (:class:`Target`), and the callables behind each case
(:class:`Functions`): this library's front ends, a third party's one function, or the
installed TensorFlow itself (:mod:`.tensorflow_impl`).

A :class:`Target` is plain data (it crosses into the worker process of
:mod:`.isolation`); :func:`functions_of` turns it into callables where they run.
"""

from __future__ import annotations

import importlib
import os
import sys
from dataclasses import dataclass
from typing import Any, Callable

from .adapters import ImplementationError, exception_text
from .ops import OPS

__all__ = ["Target", "Functions", "LibraryFunctions", "SingleFunction", "functions_of",
           "load_impl", "call_set_seed", "TENSORFLOW", "STREAM_CHOICES"]

TENSORFLOW = "tensorflow"
"""``--impl tensorflow``: the installed TensorFlow 2.x, op by op."""
STREAM_CHOICES = ("tf2", "paddle", "none")


@dataclass(frozen=True)
class Target:
    """The implementation a run checks.

    ``impl``: ``None`` (this library), ``"module:function"`` (one callable for ``op``),
    or ``"tensorflow"``. ``stream``: the random stream the implementation claims to
    reproduce bit for bit (``tf2``, ``paddle``, ``none``). ``set_seed``:
    ``"module:function"`` of its ``tf.random.set_seed`` (default: ``set_seed`` of the
    implementation's module, where there is one).
    """

    impl: str | None = None
    op: str | None = None
    semantics: str | None = None
    stream: str = "none"
    set_seed: str | None = None

    @property
    def is_library(self) -> bool:
        return self.impl is None

    @property
    def is_tensorflow(self) -> bool:
        return self.impl == TENSORFLOW


def load_impl(target: str, option: str = "--impl") -> Callable[..., Any]:
    """The callable named ``module:function`` (dots after the colon walk attributes),
    imported from the working directory first, as ``python -m`` would."""
    module, sep, attr = target.partition(":")
    if not sep or not module or not attr:
        raise ValueError(f"{option}: expected 'module:function', got {target!r}")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        obj: Any = importlib.import_module(module)
    except ImportError as exc:
        raise ValueError(f"{option}: cannot import {module!r}: {exception_text(exc)}") from None
    except SystemExit as exc:  # in this process (--in-process) it would end the run
        raise ValueError(f"{option}: importing {module!r} called sys.exit({exc.code!r})") from None
    except Exception as exc:  # the module's own code failed (a SyntaxError included)
        raise ValueError(f"{option}: importing {module!r} raised {type(exc).__name__}: "
                         f"{exception_text(exc)}") from None
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise ValueError(f"{option}: {module!r} has no attribute {attr!r}")
        obj = getattr(obj, part)
    if not callable(obj):
        raise ValueError(f"{option}: {target!r} is not callable")
    return obj


def call_set_seed(set_seed: Callable[[Any], Any], seed: Any) -> None:
    """``set_seed(seed)`` of an implementation; an exception of it as an
    :class:`~.adapters.ImplementationError` that names the call
    (``set_seed(None) raised TypeError: ...``)."""
    try:
        set_seed(seed)
    except Exception as exc:
        raise ImplementationError(f"set_seed({seed!r}) raised {type(exc).__name__}: "
                                  f"{exception_text(exc)}") from exc


class Functions:
    """The callables of an implementation."""

    def function(self, op: str, origin: str) -> Callable[..., Any]:
        """The callable for ``op`` with the signature and defaults of ``origin`` (``tf2``,
        ``tf1``, ``contrib``, ``paddle``; ``native`` for this library's own samplers)."""
        raise NotImplementedError

    def set_seed(self) -> Callable[[Any], Any] | None:
        """The implementation's ``tf.random.set_seed``, or None."""
        return None


class LibraryFunctions(Functions):
    """candidate_sampling: ``cs.*`` (native), ``compat.tf`` (tf2, tf1, contrib),
    ``compat.paddle`` (paddle)."""

    def function(self, op: str, origin: str) -> Callable[..., Any]:
        if origin == "native":
            import candidate_sampling

            return getattr(candidate_sampling, op)
        if op.endswith("_candidate_sampler"):
            if origin == "paddle":
                from ..compat.paddle import log_uniform_candidate_sampler

                return log_uniform_candidate_sampler
            from ..compat.tf import random

            return getattr(random, op)
        if op == "compute_accidental_hits":
            from ..compat.tf.nn import compute_accidental_hits

            return compute_accidental_hits
        return OPS[(op, origin)].resolve()

    def set_seed(self) -> Callable[[Any], Any]:
        from ..compat.tf.random import set_seed

        return set_seed


class SingleFunction(Functions):
    """A third party's one callable, for whatever op the run checks."""

    def __init__(self, fn: Callable[..., Any], set_seed: Callable[[Any], Any] | None = None):
        self.fn, self._set_seed = fn, set_seed

    def function(self, op: str, origin: str) -> Callable[..., Any]:
        return self.fn

    def set_seed(self) -> Callable[[Any], Any] | None:
        return self._set_seed


def functions_of(target: Target) -> Functions:
    """The callables of ``target`` (imports the implementation)."""
    if target.is_library:
        return LibraryFunctions()
    if target.is_tensorflow:
        from .tensorflow_impl import TensorFlowFunctions

        return TensorFlowFunctions()
    fn = load_impl(target.impl)
    seed_fn = None
    if target.set_seed is not None:
        seed_fn = load_impl(target.set_seed, "--set-seed")
    elif target.stream == "tf2":
        module = sys.modules[target.impl.partition(":")[0]]
        seed_fn = getattr(module, "set_seed", None)
    return SingleFunction(fn, seed_fn)
