"""Paddle 1.8.5's seeded log-uniform unique sampler, bit for bit.

What the ``sample_logits`` op draws when ``seed != 0``: a fresh
``std::mt19937_64(seed mod 2**32)`` per call, one engine output per draw, the
first ``S`` distinct classes in draw order as the negatives of every row, and the
expected counts ``Q`` of the true and sampled columns from the number of draws
(``spec/sampled_softmax_with_cross_entropy.md``, section 1).

Everything on the stream runs on NumPy arrays: blocks of engine outputs are
turned into classes at once, and the first ``S`` distinct ones are found with
``numpy.unique``. NumPy's vectorised ``exp``, ``log``, ``expm1`` and ``log1p``
may differ from the C library's (what C++ ``std::`` calls) in the last bit;
wherever that bit could change a truncation or a rounding to float32, the value
is computed again with the C library's function (Python's ``math``).
"""

from __future__ import annotations

import math
from functools import lru_cache
from types import SimpleNamespace
from typing import Any, Callable

import numpy as np

from ...backends import backend_for, host_array, outside_graph
from ...backends.numpy import first_distinct
from ...core import checks
from ...core.namespace import device_of, index_dtype, required_namespace
from ...core.types import SampledValues
from .mt19937_64 import STATE_SIZE, MT19937_64

__all__ = ["log_uniform_samples", "log_uniform_candidate_sampler", "unique_negatives",
           "draw_classes", "probability", "expected_count", "log_range", "engine_seed"]

_MARGIN = 16 * float(np.finfo(np.float64).eps)
"""Relative distance within which a double's last bits may decide a result; NumPy's
and the C library's functions differ by at most one unit in the last place."""

_BELOW_ONE = math.nextafter(1.0, 0.0)


def _elementwise(fn: Callable[[float], float]) -> Callable[[np.ndarray], np.ndarray]:
    def apply(x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        return np.array([fn(v) for v in x.ravel().tolist()], dtype=np.float64).reshape(x.shape)
    return apply


_NUMPY = SimpleNamespace(exp=np.exp, log=np.log, expm1=np.expm1, log1p=np.log1p)
_LIBM = SimpleNamespace(exp=_elementwise(math.exp), log=_elementwise(math.log),
                        expm1=_elementwise(math.expm1), log1p=_elementwise(math.log1p))


def _as_in_c(compute: Callable[..., np.ndarray], sensitive: Callable[[np.ndarray], np.ndarray],
             *args: np.ndarray) -> np.ndarray:
    """``compute(fns, *args)`` in double, with NumPy's functions, then again with the C
    library's for the elements where ``sensitive(result)`` says the last bits matter."""
    out = compute(_NUMPY, *args)
    redo = sensitive(out)
    if np.any(redo):
        out[redo] = compute(_LIBM, *(a[redo] for a in args))
    return out


def _near_integer(t: np.ndarray) -> np.ndarray:
    return np.abs(t - np.rint(t)) <= _MARGIN * np.abs(t)


def _near_float32_boundary(d: np.ndarray) -> np.ndarray:
    return (d * (1.0 - _MARGIN)).astype(np.float32) != (d * (1.0 + _MARGIN)).astype(np.float32)


def engine_seed(seed: int) -> int:
    """The ``std::mt19937_64`` seed of Paddle's ``seed`` attribute: the C ``int`` taken as
    ``unsigned int``, i.e. ``seed mod 2**32`` (``-1`` gives 4294967295)."""
    return int(seed) % 2**32


def log_range(num_classes: int) -> float:
    """``float32(log(K + 1))``, the sampler's scale, as a Python float."""
    return float(np.float32(math.log(num_classes + 1)))


def draw_classes(raw: np.ndarray, num_classes: int) -> np.ndarray:
    """The class each engine output ``raw`` (``uint64``) draws, ``int64`` of the same shape.

    ``u = double(x) / 2**64`` (below 1), ``(int64(exp(u * log_range)) - 1) % K``.
    """
    scale = log_range(num_classes)
    u = np.minimum(np.asarray(raw, dtype=np.uint64).astype(np.float64) / 2.0**64, _BELOW_ONE)
    t = _as_in_c(lambda f, u: f.exp(u * scale), _near_integer, u)
    return (t.astype(np.int64) - 1) % num_classes


def probability(classes: np.ndarray, num_classes: int) -> np.ndarray:
    """``float32(log((v + 2) / (v + 1)) / log_range)``: the chance of one draw giving
    class ``v``, for each of ``classes`` (float32, same shape)."""
    scale = log_range(num_classes)
    v = np.asarray(classes, dtype=np.float64)
    return _as_in_c(lambda f, v: f.log((v + 2.0) / (v + 1.0)) / scale,
                    _near_float32_boundary, v).astype(np.float32)


def expected_count(p: np.ndarray, tries: int, num_samples: int) -> np.ndarray:
    """Paddle's ``Q`` of classes with draw probabilities ``p`` (float32) after ``tries``
    draws for ``num_samples`` distinct classes: ``float32(p * S)`` if every draw was
    accepted, else ``float32(-expm1(tries * log1p(-p)))`` in double."""
    p = np.asarray(p, dtype=np.float32)
    if tries == num_samples:
        return p * np.float32(num_samples)
    return _as_in_c(lambda f, p: -f.expm1(tries * f.log1p(-p)), _near_float32_boundary,
                    p.astype(np.float64)).astype(np.float32)


def unique_negatives(num_classes: int, num_samples: int, seed: int) -> tuple[np.ndarray, int]:
    """The ``num_samples`` distinct classes Paddle's sampler draws with op attribute ``seed``,
    in draw order (``int64 [S]``), and the number of draws it took.

    Blocks of engine outputs are drawn at once (:func:`first_distinct`); the first
    occurrences of classes are taken in draw order until there are ``S``.
    """
    num_classes = checks.check_int(num_classes, "num_classes", minimum=1)
    num_samples = checks.check_int(num_samples, "num_samples", minimum=0, maximum=num_classes)
    engine = MT19937_64(engine_seed(checks.check_int(seed, "seed")))
    if num_samples == 0:
        return np.empty(0, dtype=np.int64), 0
    return first_distinct(lambda _, n: draw_classes(engine.random_raw(n), num_classes),
                          num_samples, max(STATE_SIZE, 2 * num_samples))


@lru_cache(maxsize=32)
def _negatives(num_classes: int, num_samples: int, seed: int) -> tuple[np.ndarray, np.ndarray, int]:
    """``(classes, their Q, tries)``, kept per arguments; callers copy before handing out."""
    classes, tries = unique_negatives(num_classes, num_samples, seed)
    return classes, expected_count(probability(classes, num_classes), tries, num_samples), tries


def _true_counts(xp: Any, label: Any, num_classes: int, num_samples: int, tries: int) -> Any:
    """``Q`` of the true columns, float32 like ``label``'s shape, in ``label``'s namespace.

    Concrete labels are read; traced ones (inside ``jax.jit``) pick from a table of
    every class's ``Q``, built on the host, with an array ``take``."""
    device = device_of(label)
    if backend_for(xp).is_concrete(label):
        q = expected_count(probability(host_array(label), num_classes), tries, num_samples)
        return xp.asarray(q, dtype=xp.float32, device=device)
    table = expected_count(probability(np.arange(num_classes), num_classes), tries, num_samples)
    picked = xp.take(xp.asarray(table, dtype=xp.float32, device=device), xp.reshape(label, (-1,)))
    return xp.reshape(picked, label.shape)


def log_uniform_samples(label: Any, num_samples: int, num_classes: int, seed: int) -> tuple[Any, Any]:
    """Samples and expected counts of Paddle 1.8.5's seeded sampler, bit for bit.

    The op's ``Samples`` and ``Probabilities`` outputs: each row is its true labels
    followed by the same ``S`` distinct log-uniform negatives, in draw order; ``Q`` of
    every column comes from the number of draws. The negatives depend only on
    ``(num_classes, num_samples, seed)``: every call with the same ones gives the same
    (they are computed once on the host and kept). Works on traced labels (``jax.jit``).

    Args:
      label: int ``[N, T]``, the true classes, in ``[0, num_classes)``.
      num_samples: ``S``, in ``[0, num_classes]``.
      num_classes: ``K``, the range of classes.
      seed: the op's ``seed`` attribute, a nonzero C ``int`` (the engine takes it mod 2**32).

    Returns:
      ``(samples, probabilities)``: int ``[N, T+S]`` (``label``'s dtype) and float32
      ``[N, T+S]``, in ``label``'s namespace and on its device.
    """
    return outside_graph(_samples, label)(label, num_samples, num_classes, seed)


def _samples(label: Any, num_samples: int, num_classes: int, seed: int) -> tuple[Any, Any]:
    """:func:`log_uniform_samples`, run as plain Python (outside ``torch.compile``'s
    graphs: its NumPy engine and the reads of concrete labels stay on the host)."""
    xp = required_namespace(label=label)
    num_classes = checks.check_int(num_classes, "num_classes", minimum=1)
    num_samples = checks.check_int(num_samples, "num_samples", minimum=0, maximum=num_classes)
    seed = checks.check_int(seed, "seed", minimum=-2**31, maximum=2**31 - 1)
    if seed == 0:
        raise ValueError("seed: must be nonzero (Paddle's seed 0 draws a fresh engine seed on "
                         "every run)")
    checks.check_int_array(xp, label, "label")
    checks.check_ndim(label, 2, "label", "[N, num_true]")
    checks.check_ids_in_range(xp, label, num_classes, "label")
    checks.check_range_of_ids(xp, num_classes, "num_classes")
    ids = index_dtype(xp, label)  # not int8 or uint8 labels' own: ids past 127 would wrap
    if num_classes - 1 > int(xp.iinfo(ids).max):  # int32 labels, ids past 2**31 - 1
        ids = backend_for(xp).int64(xp)
    classes, sampled_q, tries = _negatives(num_classes, num_samples, seed)
    rows = int(label.shape[0])
    device = device_of(label)
    sampled = xp.broadcast_to(xp.asarray(classes, dtype=ids, device=device)[None, :],
                              (rows, num_samples))
    sampled_q = xp.broadcast_to(xp.asarray(sampled_q, device=device)[None, :], (rows, num_samples))
    true_q = _true_counts(xp, label, num_classes, num_samples, tries)
    return (xp.concat([xp.astype(label, ids), sampled], axis=1),
            xp.concat([true_q, sampled_q], axis=1))


def log_uniform_candidate_sampler(true_classes: Any, num_true: int, num_sampled: int,
                                  unique: bool, range_max: int,
                                  seed: int | None = None) -> SampledValues:
    """Paddle 1.8.5's seeded sampler with TensorFlow's sampler signature.

    The negatives and expected counts of :func:`log_uniform_samples` (Paddle's
    ``Samples`` and ``Probabilities``, bit for bit) as TensorFlow's triple:
    ``sampled_candidates`` int64 ``[num_sampled]`` (the negatives, in draw order),
    ``true_expected_count`` float32 ``[batch_size, num_true]`` and
    ``sampled_expected_count`` float32 ``[num_sampled]``. Paddle's sampler always draws
    distinct classes, so ``unique`` must be True; ``seed`` is the op's nonzero ``seed``
    attribute, and the same seed gives the same sample on every call.
    """
    return outside_graph(_candidates, true_classes)(true_classes, num_true, num_sampled,
                                                    unique, range_max, seed)


def _candidates(true_classes: Any, num_true: int, num_sampled: int, unique: bool,
                range_max: int, seed: int | None) -> SampledValues:
    """:func:`log_uniform_candidate_sampler`, run as plain Python (as :func:`_samples`)."""
    xp, num_sampled, unique, range_max, seed = checks.check_sampler_arguments(
        true_classes, num_true, num_sampled, unique, range_max, seed, any_seed=True)
    if not unique:
        raise ValueError("unique: Paddle's sampler draws distinct classes only; must be True, "
                         "got False")
    if seed is None or seed == 0:
        raise ValueError(f"seed: must be a nonzero int in [-2147483648, 2147483647] (Paddle's "
                         f"seed 0 draws a fresh engine seed on every run), got {seed}")
    seed = checks.check_int(seed, "seed", minimum=-2**31, maximum=2**31 - 1)
    classes, sampled_q, tries = _negatives(range_max, num_sampled, seed)
    device = device_of(true_classes)
    return SampledValues(
        xp.asarray(np.array(classes), dtype=backend_for(xp).int64(xp), device=device),
        _true_counts(xp, true_classes, range_max, num_sampled, tries),
        xp.asarray(np.array(sampled_q), dtype=xp.float32, device=device))
