"""``tf.random`` candidate samplers with TensorFlow 2's eager streams, bit for bit.

Each sampler follows TensorFlow 2.x in eager mode exactly: the seeds come from
:func:`set_seed` and the op seed as ``tf.compat.v1.get_seed`` gives them, the kernel
(one per op and attributes) keeps its Philox4x32-10 generator and reserves
``2048 * num_sampled`` words per call, and draws, tries and float32 expected counts
are TensorFlow's. So after ``set_seed(G)`` the same calls give the same candidates and
expected counts as ``tf.random.set_seed(G)`` and the ``tf.random`` samplers.

The numbers are computed on the host with NumPy; the outputs are arrays of the library
and device of ``true_classes`` (NumPy, PyTorch, JAX, CuPy, ...). ``true_classes`` must
hold values (not a traced array inside ``jax.jit``). For samplers that do not keep
TensorFlow's streams but run anywhere, see :mod:`candidate_sampling.core.samplers`.
"""

from __future__ import annotations

import numbers
import os
from typing import Any, Callable, Hashable, Sequence

import numpy as np

from ...backends import backend_for, host_array, outside_graph
from ...core import checks
from ...core.namespace import device_of, namespace_of
from ...core.checks import check_sampler_arguments
from ...core.types import SampledValues
from . import seed_state
from .range_samplers import (
    FixedUnigramSampler,
    LogUniformSampler,
    UniformSampler,
    UnigramSampler,
    check_drawable,
    fixed_unigram_weights,
    float32_distortion,
    sample_batch,
)
from .seed_state import set_seed

__all__ = [
    "uniform_candidate_sampler", "log_uniform_candidate_sampler",
    "learned_unigram_candidate_sampler", "fixed_unigram_candidate_sampler",
    "all_candidate_sampler", "set_seed",
]

_WORDS_PER_SAMPLE = 2048
"""uint32 words a kernel reserves per sampled candidate, whatever a call uses."""


def tensor_like(value: Any) -> Any:
    """A Python list or tuple of ids as the NumPy array TensorFlow would convert it to
    for an op's int64 input: an empty one as int64 (TensorFlow takes the op's dtype),
    bools as 0 and 1, other numbers as ``tf.constant`` would (floats stay floats, for the
    checks to refuse: TensorFlow refuses a list of floats); an array as :func:`int_ids`
    makes it; anything else, or a list that does not convert (ragged), as given, for the
    argument checks to name."""
    if not isinstance(value, (list, tuple)):
        return int_ids(value)
    try:
        array = np.asarray(value)
    except ValueError:
        return value
    if array.size == 0 or array.dtype.kind == "b":
        return array.astype(np.int64)
    return array if array.dtype.kind in "iuf" else value


def int_ids(value: Any) -> Any:
    """An array of floats or bools (of any library) as int64 ids, the floats truncated
    toward zero, as TensorFlow converts a NumPy array for an op's int64 input and casts
    a loss's labels (``math_ops.cast``); a NaN or a float beyond int64's range becomes an
    id out of range, refused as such. Anything else as given."""
    if getattr(value, "dtype", None) is None or isinstance(value, (list, tuple)):
        return value
    try:
        xp = namespace_of(value=value)
        cast = xp.isdtype(value.dtype, ("real floating", "bool"))
    except (TypeError, ValueError):
        return value
    if not cast:
        return value
    with np.errstate(invalid="ignore"):  # NumPy warns of a NaN's cast
        return xp.astype(value, backend_for(xp).int64(xp))


def loss_ids(labels: Any, sampled_values: Any) -> tuple[Any, Any]:
    """A loss's ``labels`` and the candidates of its ``sampled_values`` as TensorFlow's
    losses cast them (``math_ops.cast(..., int64)``): float or bool arrays become ids
    (:func:`int_ids`); anything else as given, for the loss's own checks."""
    if isinstance(sampled_values, tuple) and len(sampled_values) == 3:
        sampled_values = (int_ids(sampled_values[0]), *sampled_values[1:])
    return int_ids(labels), sampled_values


def host_classes(xp: Any, true_classes: Any) -> np.ndarray:
    """``true_classes`` as a NumPy int64 array on the host; a TypeError naming it where
    it is traced, or where the call is staged (JAX: ``jax.jit``, ``lax.scan``, ...), even
    with concrete values: the stream would move on once, when the function is traced,
    and every call would return that sample."""
    backend = backend_for(xp)
    if not backend.is_concrete(true_classes):
        raise TypeError("true_classes: TensorFlow's sampler streams read the values of "
                        "true_classes on the host; they cannot take a traced array (jax.jit)")
    if backend.stages():
        raise TypeError("true_classes: TensorFlow's sampler streams draw on the host at every "
                        "call; inside a function that JAX stages (jax.jit, lax.scan, ...) "
                        "they would draw once, when it is traced, and every call would "
                        "return that sample: draw outside it and pass the result in (a "
                        "loss's sampled_values), or use the native samplers with a JAX key")
    return host_array(true_classes).astype(np.int64, copy=False)


def _outputs(xp: Any, true_classes: Any, candidates: np.ndarray, true_q: np.ndarray,
             sampled_q: np.ndarray) -> SampledValues:
    device = device_of(true_classes)
    return SampledValues(
        xp.asarray(candidates, dtype=backend_for(xp).int64(xp), device=device),
        xp.asarray(true_q.reshape(tuple(true_classes.shape)), dtype=xp.float32, device=device),
        xp.asarray(sampled_q, dtype=xp.float32, device=device))


def _run(op: str, build: Callable[[int], Any], true_classes: Any, num_true: int,
         num_sampled: int, unique: bool, range_max: int, seed: int | None,
         attrs: Callable[[], Hashable] = tuple) -> SampledValues:
    """One call of a sampler op (:func:`_run_on_host`), run as plain Python on every call
    even inside ``torch.compile`` (:func:`~candidate_sampling.backends.outside_graph`):
    it reads the labels and moves the seed sequence along."""
    true_classes = tensor_like(true_classes)
    return outside_graph(_run_on_host, true_classes)(op, build, true_classes, num_true,
                                                     num_sampled, unique, range_max, seed,
                                                     attrs)


def _run_on_host(op: str, build: Callable[[int], Any], true_classes: Any, num_true: int,
                 num_sampled: int, unique: bool, range_max: int, seed: int | None,
                 attrs: Callable[[], Hashable]) -> SampledValues:
    """One call of a sampler op: its seeds, the argument checks, the cached kernel (made
    with ``build(range_max)``; ``attrs()`` adds the op's own attributes to its cache
    key), the kernel's stream for this call, the candidates and expected counts. All of
    it under the seed state's lock: a ``set_seed`` from another thread between the op
    seed and the kernel's lookup left a kernel of the old sequence in the new cache."""
    with seed_state.locked():
        seeds = seed_state.get_seed(seed)
        xp, num_sampled, unique, range_max, _ = check_sampler_arguments(
            true_classes, num_true, num_sampled, unique, range_max, seed_state.tf_seed(seed),
            any_seed=True)
        host = host_classes(xp, true_classes).reshape(-1)
        key = (int(num_true), num_sampled, unique, range_max, attrs())
        kernel = seed_state.kernel(op, key, seeds, lambda: build(range_max))
        check_drawable(kernel.sampler, num_sampled, unique)
        stream = kernel.reserve(_WORDS_PER_SAMPLE * num_sampled)
        candidates, true_q, sampled_q = sample_batch(kernel.sampler, stream, num_sampled, unique,
                                                     host)
        if isinstance(kernel.sampler, UnigramSampler):
            kernel.sampler.update(host)
    return _outputs(xp, true_classes, candidates, true_q, sampled_q)


def uniform_candidate_sampler(true_classes: Any, num_true: int, num_sampled: int, unique: bool,
                              range_max: int, seed: int | None = None,
                              name: str | None = None) -> SampledValues:
    """Samples a set of classes using a uniform base distribution
    (``tf.random.uniform_candidate_sampler``).

    Args:
      true_classes: int ``[batch_size, num_true]``, the target classes, in ``[0, range_max)``.
      num_true: number of target classes per training example.
      num_sampled: number of classes to sample (at most ``range_max`` when ``unique``).
      unique: sample without repetition (drawing until ``num_sampled`` distinct classes).
      range_max: number of possible classes.
      seed: op seed (see :func:`set_seed`); ``name`` is accepted and ignored.

    Returns:
      ``SampledValues(sampled_candidates, true_expected_count, sampled_expected_count)``:
      int64 ``[num_sampled]``, float32 ``[batch_size, num_true]``, float32 ``[num_sampled]``,
      TensorFlow's numbers exactly.
    """
    return _run("UniformCandidateSampler", UniformSampler, true_classes, num_true, num_sampled,
                unique, range_max, seed)


def log_uniform_candidate_sampler(true_classes: Any, num_true: int, num_sampled: int,
                                  unique: bool, range_max: int, seed: int | None = None,
                                  name: str | None = None) -> SampledValues:
    """Samples a set of classes using a log-uniform (Zipfian) base distribution
    (``tf.random.log_uniform_candidate_sampler``).

    ``P(class) = (log(class + 2) - log(class + 1)) / log(range_max + 1)``. Arguments and
    outputs as :func:`uniform_candidate_sampler`.
    """
    return _run("LogUniformCandidateSampler", LogUniformSampler, true_classes, num_true,
                num_sampled, unique, range_max, seed)


def learned_unigram_candidate_sampler(true_classes: Any, num_true: int, num_sampled: int,
                                      unique: bool, range_max: int, seed: int | None = None,
                                      name: str | None = None) -> SampledValues:
    """Samples a set of classes from a distribution learned during training
    (``tf.random.learned_unigram_candidate_sampler``).

    Every class starts with weight 1 and gains 1 each time it is a true class of a call
    of the same kernel (same op seed and attributes; with only a global seed, each call
    draws a new op seed and so starts afresh, as in TensorFlow). ``range_max`` must be
    below ``2**31 - 1``. Arguments and outputs as :func:`uniform_candidate_sampler`.
    """
    def build(range_max: int) -> UnigramSampler:
        if range_max >= 2**31 - 1:
            raise ValueError(f"range_max: must be below 2147483647 for the learned unigram "
                             f"sampler, got {range_max}")
        return UnigramSampler(range_max)

    return _run("LearnedUnigramCandidateSampler", build, true_classes, num_true, num_sampled,
                unique, range_max, seed)


def fixed_unigram_candidate_sampler(true_classes: Any, num_true: int, num_sampled: int,
                                    unique: bool, range_max: int, vocab_file: str = "",
                                    distortion: float = 1.0, num_reserved_ids: int = 0,
                                    num_shards: int = 1, shard: int = 0,
                                    unigrams: Sequence[float] = (), seed: int | None = None,
                                    name: str | None = None) -> SampledValues:
    """Samples a set of classes using the provided (fixed) base distribution
    (``tf.random.fixed_unigram_candidate_sampler``).

    Weights come from ``unigrams`` or the last comma-separated field of each line of
    ``vocab_file`` (exactly one of them), raised to ``distortion`` in float32;
    ``num_reserved_ids`` ids of weight 0 come first; ``num_shards``/``shard`` keep one
    shard, with shard-local ids (see
    :func:`~candidate_sampling.compat.tf.range_samplers.fixed_unigram_weights` for
    TensorFlow's numbering). A true class of weight 0 gets expected count 0. Weights or
    a total weight past float32's range (where TensorFlow returns NaN or 0 expected
    counts) are a ValueError naming ``unigrams`` (or ``vocab_file``) and ``distortion``.
    ``vocab_file`` is read when the kernel is made (the first call with these
    arguments). ``vocab_file=None`` and ``unigrams=None`` are their defaults, as for
    TensorFlow's attributes. Other arguments and outputs as
    :func:`uniform_candidate_sampler`.
    """
    vocab_file = "" if vocab_file is None else checks.check_path(vocab_file, "vocab_file")
    counts = _unigram_values(() if unigrams is None else unigrams)

    def attrs() -> tuple:
        with np.errstate(over="ignore"):  # a count past float32's range is refused in build
            weights32 = np.asarray(counts, dtype=np.float64).astype(np.float32)  # as TF
        return (os.fspath(vocab_file), float(float32_distortion(distortion)),
                checks.check_int(num_reserved_ids, "num_reserved_ids", minimum=0),
                checks.check_int(num_shards, "num_shards", minimum=1),
                checks.check_int(shard, "shard", minimum=0), weights32.tobytes())

    def build(range_max: int) -> FixedUnigramSampler:
        return FixedUnigramSampler(*fixed_unigram_weights(
            range_max, vocab_file, distortion, num_reserved_ids, num_shards, shard, counts))

    return _run("FixedUnigramCandidateSampler", build, true_classes, num_true, num_sampled,
                unique, range_max, seed, attrs)


def _unigram_values(unigrams: Any) -> Any:
    """``unigrams`` as TensorFlow's ``list(float)`` attribute takes it: a list or tuple of
    real numbers (or a 1-D real array of any library), as a NumPy array of them (or, for
    numbers NumPy does not hold as such, a list). A string, a nested list or a non-number
    is a TypeError naming ``unigrams``, as in TensorFlow; the values are checked later
    (:func:`~.range_samplers.fixed_unigram_weights`)."""
    expected = "unigrams: expected a list of real numbers"
    if hasattr(unigrams, "shape") and hasattr(unigrams, "dtype"):
        values = host_array(unigrams)
        if values.ndim != 1 or not (np.issubdtype(values.dtype, np.integer)
                                    or np.issubdtype(values.dtype, np.floating)):
            raise TypeError(f"{expected}, got an array of shape {list(values.shape)} and "
                            f"dtype {values.dtype}")
        return values
    if not isinstance(unigrams, (list, tuple)):
        raise TypeError(f"{expected}, got {type(unigrams).__name__}")
    try:  # one conversion, not a check of every element (seconds at 10^6 of them)
        values = np.asarray(unigrams)
    except (ValueError, TypeError, OverflowError):  # ragged: named below
        values = None
    if values is not None and values.ndim == 1 and values.dtype.kind in "iuf":
        return values
    for index, value in enumerate(unigrams):
        if not isinstance(value, numbers.Real):
            raise TypeError(f"{expected}, got {type(value).__name__} {value!r} at index {index}")
    return list(unigrams)


def all_candidate_sampler(true_classes: Any, num_true: int, num_sampled: int, unique: bool,
                          seed: int | None = None, name: str | None = None) -> SampledValues:
    """Generates the set of all classes (``tf.random.all_candidate_sampler``).

    Returns ``0 .. num_sampled - 1`` with every expected count 1; true classes must be in
    ``[0, num_sampled)``. It draws an op seed as TensorFlow does (which moves the global
    sequence along) and uses no random numbers.
    """
    true_classes = tensor_like(true_classes)
    return outside_graph(_all_candidates, true_classes)(true_classes, num_true, num_sampled,
                                                        unique, seed)


def _all_candidates(true_classes: Any, num_true: int, num_sampled: int, unique: bool,
                    seed: int | None) -> SampledValues:
    seed_state.get_seed(seed)
    xp, num_sampled, _, _, _ = check_sampler_arguments(
        true_classes, num_true, num_sampled, unique, num_sampled, seed_state.tf_seed(seed),
        any_seed=True)
    return _outputs(xp, true_classes, np.arange(num_sampled, dtype=np.int64),
                    np.ones(tuple(true_classes.shape), dtype=np.float32),
                    np.ones(num_sampled, dtype=np.float32))
