"""The global random state of the TensorFlow front end, as TensorFlow 2 keeps it in eager mode.

This module is the one place that holds state:

* the global seed (``tf.random.set_seed``) and the ``random.Random(global_seed)``
  sequence from which ops without a seed draw theirs
  (``tensorflow/python/framework/random_seed.py``, ``context._internal_operation_seed``);
* the kernel cache: one :class:`Kernel` per (op, attributes), attributes including the
  two seeds, as TensorFlow's eager kernel cache. A kernel's generator advances with
  every call, so repeated identical calls continue one stream; the learned unigram
  sampler's counts live in its kernel. ``set_seed`` empties the cache.

Every function here is thread-safe.
"""

from __future__ import annotations

import random
import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Callable, Hashable

from ...core import checks
from .philox import PhiloxStream

__all__ = [
    "DEFAULT_GRAPH_SEED", "MAXINT32", "Kernel", "set_seed", "global_seed", "get_seed", "kernel",
    "locked",
]

DEFAULT_GRAPH_SEED = 87654321
"""Global seed used when only an op seed is given."""
MAXINT32 = 2**31 - 1
"""Seeds are reduced modulo this; drawn op seeds are in ``[0, MAXINT32]``."""
_MAX_KERNELS = 1 << 16
"""Kernels kept (least recently used ones are dropped first). TensorFlow keeps them
all; a dropped kernel matters only if a later call has exactly its op, attributes and
seeds, which with drawn op seeds means the same 31-bit draw twice."""


@dataclass
class Kernel:
    """One cached op kernel: its Philox generator and what the op keeps between calls.

    Attributes:
      key: the 64-bit Philox key (the op's ``seed`` attribute).
      counter: the initial 128-bit block counter (``seed2 << 64``).
      position: blocks reserved by earlier calls.
      sampler: the op's sampler object (which may hold state, e.g. learned counts).
    """

    key: int
    counter: int
    sampler: Any
    position: int = 0

    def reserve(self, words: int) -> PhiloxStream:
        """The stream of this call: reserve ``words`` uint32 (whole blocks) and return a
        stream starting where the previous call's reservation ended."""
        stream = PhiloxStream(self.key, self.counter, self.position)
        self.position += (words + 3) // 4
        return stream


class _State:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.global_seed: int | None = None
        self.rng: random.Random | None = None
        self.kernels: OrderedDict[Hashable, Kernel] = OrderedDict()


_STATE = _State()


def tf_seed(seed: Any) -> int | None:
    """A seed as TensorFlow takes it: None, or any int, a bool as its int (Python's
    ``bool`` is an ``int``: ``set_seed(True)`` is ``set_seed(1)`` to TensorFlow)."""
    if seed is None:
        return None
    if isinstance(seed, bool):
        return int(seed)
    return checks.check_int(seed, "seed")


def set_seed(seed: int | None) -> None:
    """Sets the global random seed (``tf.random.set_seed``).

    Ops with a seed of their own use ``(seed, op seed)``; ops without one draw their op
    seed from a sequence that this call restarts. Every cached kernel is dropped, so
    every sampler starts its stream afresh. ``None`` unsets the global seed.
    """
    seed = tf_seed(seed)
    with _STATE.lock:
        _STATE.global_seed = seed
        _STATE.rng = random.Random(seed)
        _STATE.kernels.clear()


def global_seed() -> int | None:
    """The global seed set by :func:`set_seed` (``None`` when unset)."""
    return _STATE.global_seed


def get_seed(op_seed: int | None) -> tuple[int | None, int | None]:
    """The two seeds of an op given its own seed (``tf.compat.v1.get_seed`` in eager mode).

    ``(global, op)`` -> both reduced modulo ``2**31 - 1``; only the op seed ->
    ``(87654321, op)``; only the global seed -> the op seed is the next draw of the
    global sequence; neither -> ``(None, None)`` (a nondeterministic kernel). ``(0, 0)``
    becomes ``(0, 2**31 - 1)``.
    """
    op_seed = tf_seed(op_seed)
    with _STATE.lock:
        g = _STATE.global_seed
        if g is not None:
            if op_seed is None:
                op_seed = _STATE.rng.randint(0, MAXINT32)
            seeds = (g % MAXINT32, op_seed % MAXINT32)
        elif op_seed is not None:
            seeds = (DEFAULT_GRAPH_SEED, op_seed % MAXINT32)
        else:
            return None, None
    return (0, MAXINT32) if seeds == (0, 0) else seeds


def kernel(op: str, attrs: Hashable, seeds: tuple[int | None, int | None],
           build: Callable[[], Any]) -> Kernel:
    """The cached kernel of ``op`` with ``attrs`` and ``seeds``, made with ``build()``
    (the sampler object) the first time. Seeds ``(None, None)`` give a kernel with
    fresh random seeds, as TensorFlow's seed 0, seed2 0."""
    seed, seed2 = (0 if s is None else s for s in seeds)
    cache_key = (op, attrs, seed, seed2)
    with _STATE.lock:
        found = _STATE.kernels.get(cache_key)
        if found is not None:
            _STATE.kernels.move_to_end(cache_key)
            return found
    sampler = build()  # may raise: nothing is cached then
    if seed == 0 and seed2 == 0:
        seed, seed2 = secrets.randbits(64), secrets.randbits(64)
    made = Kernel(key=seed, counter=seed2 << 64, sampler=sampler)
    with _STATE.lock:
        found = _STATE.kernels.setdefault(cache_key, made)
        _STATE.kernels.move_to_end(cache_key)
        while len(_STATE.kernels) > _MAX_KERNELS:
            _STATE.kernels.popitem(last=False)
    return found


def locked() -> threading.RLock:
    """The lock to hold while a kernel is used (its position and sampler state change)."""
    return _STATE.lock
