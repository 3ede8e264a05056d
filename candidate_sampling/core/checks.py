"""Argument checks. Every error names the argument and what it may be."""

from __future__ import annotations

import math
import numbers
import operator
import os
from typing import Any

import numpy as np

from ..backends import backend_for
from ..backends._base import MAX_TRIES
from .namespace import device_of, index_dtype, namespace_of, required_namespace

__all__ = [
    "check_int", "check_bool", "check_real", "check_seed", "check_ndim", "check_float_array",
    "check_int_array", "isdtype", "described",
    "check_ids_in_range", "check_partition_strategy", "check_rows", "check_positive",
    "check_nonnegative", "check_path", "check_same_device", "check_holds_values",
    "check_sampler_arguments",
    "check_range_of_ids", "check_memory",
    "available_memory",
    "check_labels", "check_single_labels", "check_inputs_dim", "check_distortion",
    "check_unigram_law", "broadcasts_to", "check_learning_rate", "drawable",
    "learned_count_stats", "learned_count_limit", "check_learned_counts",
    "MAX_RANGE", "MIN_SEED", "MAX_SEED", "FLOAT32_MAX", "DRAWABLE_SHARE", "DRAWABLE_CLASSES",
]


def check_int(value: Any, name: str, minimum: int | None = None, maximum: int | None = None) -> int:
    """``value`` as a Python int in ``[minimum, maximum]``."""
    if isinstance(value, bool):
        raise TypeError(f"{name}: expected an int, got bool {value!r}")
    if not isinstance(value, numbers.Integral):
        try:
            value = operator.index(value)
        except TypeError:
            hint = ""
            if "Tracer" in type(value).__name__:  # a JAX array traced by jit, vmap, ...
                hint = ("; it must be known when the function is traced: pass it as a Python "
                        "int (jax.jit's static_argnums/static_argnames)")
            raise TypeError(f"{name}: expected an int, got {type(value).__name__} "
                            f"{value!r}{hint}") from None
    value = int(value)
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        lo = "-inf" if minimum is None else str(minimum)
        hi = "inf" if maximum is None else str(maximum)
        raise ValueError(f"{name}: must be in [{lo}, {hi}], got {value}")
    return value


def check_bool(value: Any, name: str) -> bool:
    """``value`` as a Python bool (``True``/``False``, a NumPy bool, or a 0-d NumPy bool
    array, as the int arguments take 0-d int arrays)."""
    if isinstance(value, (bool, np.bool_)):  # NumPy 2 names its bool type "bool"
        return bool(value)
    if isinstance(value, np.ndarray) and value.shape == () and value.dtype == np.bool_:
        return bool(value)
    raise TypeError(f"{name}: expected a bool, got {type(value).__name__} {value!r}")


def check_path(value: Any, name: str) -> str | bytes | os.PathLike:
    """``value`` as a file path: a str, bytes or :class:`os.PathLike` (an int, which
    ``open`` would take as a file descriptor, is refused)."""
    if isinstance(value, (str, bytes, os.PathLike)):
        return value
    raise TypeError(f"{name}: expected a path (str or os.PathLike), got {type(value).__name__}")


def check_same_device(xp: Any, named: list) -> None:
    """Every array of ``named`` (``(name, array)`` pairs) is on the device of the first,
    one whose arrays hold values (:func:`check_holds_values`)."""
    backend = backend_for(xp)
    (first, reference), *others = named
    check_holds_values(xp, reference, first)
    for name, arr in others:
        if not backend.same_device(arr, reference):
            raise ValueError(f"{name}: is on {device_of(arr)}, {first} on "
                             f"{device_of(reference)}; move them to one device")


def check_holds_values(xp: Any, x: Any, name: str) -> None:
    """Array ``x`` has values: not a tensor on torch's ``meta`` device, where the
    losses would have no values to check or draw from."""
    if not backend_for(xp).holds_values(x):
        raise ValueError(f"{name}: is on the {device_of(x)} device, whose tensors hold no "
                         f"values to compute with; move the tensors to a real device (a "
                         f"module built on meta: .to_empty(device=...), then initialise it)")


def check_real(value: Any, name: str) -> float:
    """``value`` as a Python float: a real number (an int or a float, of Python or NumPy,
    or a 0-d real array; an int past float's range is infinite). Bools, strings and arrays
    of more than one value are refused."""
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        raise TypeError(f"{name}: expected a real number, got bool {value!r}")
    if isinstance(value, numbers.Real):
        try:
            return float(value)
        except OverflowError:  # an int past float's range: infinite, for the range checks
            return math.inf if value > 0 else -math.inf
    dtype = str(getattr(value, "dtype", ""))
    if (tuple(getattr(value, "shape", (None,))) == () and dtype
            and not any(kind in dtype for kind in ("bool", "complex"))):
        try:
            return float(value)
        except (TypeError, ValueError):
            pass
    raise TypeError(f"{name}: expected a real number, got {type(value).__name__} {value!r}")


def check_learning_rate(value: Any, name: str = "learning_rate", signed: bool = False) -> float:
    """``value`` as a Python float (:func:`check_real`), finite and, unless ``signed``,
    >= 0: a NaN or infinite step writes non-finite rows, and a negative one climbs the
    loss (as ``torch.optim`` refuses it)."""
    rate = check_real(value, name)
    if not math.isfinite(rate):
        raise ValueError(f"{name}: must be a finite number, got {rate}")
    if rate < 0 and not signed:
        raise ValueError(f"{name}: must be >= 0, got {rate}")
    return rate


MIN_SEED = -2**63
"""Smallest ``seed`` the native samplers take (the least int64)."""
MAX_SEED = 2**64 - 1
"""Largest ``seed`` the native samplers take (the largest uint64)."""


def check_seed(seed: Any, name: str = "seed") -> int | None:
    """``seed`` as a Python int in ``[MIN_SEED, MAX_SEED]`` (what an int64 or a uint64
    holds), or None. The native samplers seed their generator with its 64 bits,
    ``seed % 2**64``, the same on every backend."""
    if seed is None:
        return None
    return check_int(seed, name, minimum=MIN_SEED, maximum=MAX_SEED)


def described(x: Any) -> str:
    """``shape [...]`` of an array, else its type (and value, for a number): what a
    message says was given where an array was expected."""
    if hasattr(x, "shape"):
        return f"shape {list(x.shape)}"
    return f"{type(x).__name__} {x!r}" if isinstance(x, (int, float)) else type(x).__name__


def _shape(x: Any) -> tuple:
    return tuple(x.shape)


def broadcasts_to(shape: tuple, target: tuple) -> bool:
    """Whether an array of ``shape`` broadcasts to exactly ``target`` (the array-API
    rules, on the shapes alone: a per-call check costs no library call). Sizes are
    compared with ``==``: ``torch.compile(dynamic=True)`` took ``0 in (1, s)`` for False
    where ``s``, a symbolic batch size, was 0."""
    if len(shape) > len(target):
        return False
    return all(size == 1 or size == full for size, full in zip(shape[::-1], target[::-1]))


def check_ndim(x: Any, ndim: int, name: str, layout: str) -> None:
    """``x`` has ``ndim`` dimensions; ``layout`` describes them, e.g. ``[batch_size, dim]``."""
    if x.ndim != ndim:
        raise ValueError(f"{name}: expected shape {layout}, got shape {list(_shape(x))}")


def isdtype(xp: Any, x: Any, name: str, kind: str) -> bool:
    """``xp.isdtype(x.dtype, kind)``; a dtype the library does not know as its own (a
    NumPy array of ``ml_dtypes.bfloat16``, which NumPy's ``isdtype`` refuses) is a
    TypeError naming the array."""
    try:
        return bool(xp.isdtype(x.dtype, kind))
    except TypeError:
        raise TypeError(f"{name}: dtype {x.dtype} is not one of the array library's own "
                        f"dtypes, which it computes in; cast the array to one (float32, "
                        f"or int64 for ids)") from None


def check_float_array(xp: Any, x: Any, name: str) -> None:
    """``x`` has a real floating dtype of 16 bits or more (8-bit floats, torch's and
    JAX's ``float8_*``, have too little arithmetic in their libraries)."""
    if not isdtype(xp, x, name, "real floating"):
        raise TypeError(f"{name}: expected a floating-point array, got dtype {x.dtype}")
    if xp.finfo(x.dtype).bits < 16:
        raise TypeError(f"{name}: expected float16, bfloat16, float32 or float64, got dtype "
                        f"{x.dtype} (8-bit floats are not computed in)")


def check_same_dtype(named: list, mixed: bool = False) -> None:
    """The ``(name, array)`` pairs share one dtype, that of the first (as TensorFlow's
    products require), unless ``mixed``: the library casts mixed floats itself there
    (under ``torch.autocast``)."""
    if mixed or not named:
        return
    first, reference = named[0][0], named[0][1].dtype
    for name, x in named[1:]:
        if x.dtype != reference:
            raise TypeError(f"{name}: dtype {x.dtype} differs from the {reference} of {first}; "
                            f"weights, biases and inputs must share one floating dtype (cast "
                            f"one of them)")


def check_int_array(xp: Any, x: Any, name: str) -> None:
    """``x`` has an integer dtype that its library computes ids with."""
    if not isdtype(xp, x, name, "integral"):
        raise TypeError(f"{name}: expected an integer array (int64 or int32, or another "
                        f"integer dtype its library sorts), got dtype {x.dtype}")
    if not backend_for(xp).computes_ids_in(x.dtype):
        raise TypeError(f"{name}: the array library has too few operations on dtype {x.dtype} "
                        f"(no min, max or sort); cast the ids to int64 or int32")


def check_ids_in_range(xp: Any, ids: Any, upper: int, name: str) -> None:
    """Every id is in ``[0, upper)``.

    The check reads the values, so it runs only where they are at hand: it is
    skipped for traced arrays (inside ``jax.jit``), whose values do not exist yet.
    """
    backend = backend_for(xp)
    if not backend.is_concrete(ids) or not _nonempty(ids):
        return
    bounds = backend.read(lambda: (int(xp.min(ids)), int(xp.max(ids))))
    if bounds is None:
        return
    lo, hi = bounds
    if lo < 0 or hi >= upper:
        bad = lo if lo < 0 else hi
        raise ValueError(f"{name}: every id must be in [0, {upper}), got {bad}")


def check_labels(xp: Any, labels: Any, batch: int, num_true: int, num_classes: int) -> None:
    """``labels`` is an int ``[batch, num_true]`` array of ids in ``[0, num_classes)``
    (``batch`` from the inputs; the ids read where they are at hand)."""
    check_int_array(xp, labels, "labels")
    check_ndim(labels, 2, "labels", "[batch_size, num_true]")
    if tuple(labels.shape) != (batch, num_true):
        raise ValueError(f"labels: expected shape [batch_size, num_true] = [{batch}, {num_true}] "
                         f"(batch_size from inputs), got {list(labels.shape)}")
    check_ids_in_range(xp, labels, num_classes, "labels")


def check_single_labels(labels: Any) -> None:
    """``labels`` of a loss with one true class per row (contrib's sparse loss) has
    TensorFlow's documented shape ``[batch_size, 1]``, where it is an array (what else
    it may be is checked with the other losses' labels)."""
    shape = getattr(labels, "shape", None)
    if shape is not None and len(tuple(shape)) != 2:
        raise ValueError(f"labels: expected shape [batch_size, 1] (one true class per row; "
                         f"reshape a [batch_size] array to [batch_size, 1]), got shape "
                         f"{list(shape)}")


def check_inputs_dim(inputs: Any, dim: int) -> None:
    """``inputs [batch_size, dim]`` has the ``dim`` of the weights."""
    if int(inputs.shape[1]) != dim:
        raise ValueError(f"inputs: expected shape [batch_size, dim] with dim={dim} (from weights), "
                         f"got {list(inputs.shape)}")


def _nonempty(x: Any) -> bool:
    """Whether ``x`` has values: every dimension nonzero. Read from the shape one
    dimension at a time, so that a symbolic size (``torch.compile`` with dynamic shapes)
    is compared, not converted (``array_api_compat.size`` takes ``math.isnan`` of it)."""
    return all(d != 0 for d in x.shape)


def _worst(xp: Any, x: Any) -> str:
    """What to name of a failed finiteness-and-sign check: a NaN or an infinity where
    ``x`` holds one, else its minimum."""
    for value in ("nan", "inf", "-inf"):
        found = xp.isnan(x) if value == "nan" else x == float(value)
        if bool(xp.any(found)):
            return value
    return f"min {float(xp.min(x))}"


def check_positive(xp: Any, x: Any, name: str) -> None:
    """Every value of ``x`` is finite and > 0 (where the values are at hand)."""
    if _nonempty(x) and backend_for(xp).read(
            lambda: bool(xp.all((x > 0) & xp.isfinite(x)))) is False:
        raise ValueError(f"{name}: every value must be finite and > 0 (an expected count of 0 "
                         f"would make log(Q) infinite), got {_worst(xp, x)}")


def check_nonnegative(xp: Any, x: Any, name: str) -> None:
    """Every value of ``x`` is finite and >= 0 (where the values are at hand)."""
    if _nonempty(x) and backend_for(xp).read(
            lambda: bool(xp.all((x >= 0) & xp.isfinite(x)))) is False:
        raise ValueError(f"{name}: every value must be finite and >= 0, got {_worst(xp, x)}")


def check_partition_strategy(value: Any, name: str = "partition_strategy") -> str:
    """``value`` is ``'mod'`` or ``'div'``."""
    if value not in ("mod", "div"):
        raise ValueError(f"{name}: must be 'mod' or 'div', got {value!r}")
    return value


def check_rows(params: Any, name: str, num_classes: int, partition_strategy: str, ndim: int) -> None:
    """``params`` (one array or a list of shards) holds at least ``num_classes`` rows,
    and its shards have the sizes ``partition_strategy`` gives them."""
    shards = list(params) if isinstance(params, (list, tuple)) else [params]
    if not shards:
        raise ValueError(f"{name}: expected an array or a non-empty list of shards")
    layout = "[num_classes, dim]" if ndim == 2 else "[num_classes]"
    for i, s in enumerate(shards):
        label = name if len(shards) == 1 else f"{name}[{i}]"
        if s.ndim != ndim:
            raise ValueError(f"{label}: expected shape {layout}, got shape {list(_shape(s))}")
    if ndim == 2 and len({int(s.shape[1]) for s in shards}) > 1:
        raise ValueError(f"{name}: every shard must have the same dim, got shapes "
                         f"{[list(_shape(s)) for s in shards]}")
    sizes = [int(s.shape[0]) for s in shards]
    total = sum(sizes)
    if total < num_classes:
        raise ValueError(f"{name}: holds {total} rows, fewer than num_classes={num_classes}")
    n = len(shards)
    if n > 1:
        if partition_strategy == "div":
            q, r = divmod(total, n)
            expected = [q + 1] * r + [q] * (n - r)
        else:
            expected = [len(range(p, total, n)) for p in range(n)]
        if sizes != expected:
            raise ValueError(
                f"{name}: shard sizes {sizes} do not match partition_strategy="
                f"{partition_strategy!r} for {total} rows in {n} shards (expected {expected})")
        if min(expected) == 0:
            raise ValueError(f"{name}: {n} shards for {total} rows leaves a shard empty")


MAX_RANGE = 2**62
"""Largest ``range_max`` a sampler accepts (ids and counts must fit int64 arithmetic)."""


def available_memory() -> int | None:
    """Bytes of memory the system can still give (Linux's ``MemAvailable``), or None where
    it does not say."""
    try:
        with open("/proc/meminfo", encoding="ascii") as info:
            for line in info:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def check_memory(nbytes: int, name: str, what: str, like: Any = None) -> None:
    """Refuse ``what``, which takes ``nbytes`` because of argument ``name``, where the
    memory it goes to has less available: Linux grants a larger allocation, then kills
    the process as the arrays are filled (TensorFlow's learned unigram sampler allocates
    and fills its table the same way, and runs for minutes first).

    The memory is that of the device of array ``like`` where it has its own (a GPU's,
    :meth:`~candidate_sampling.backends.Backend.device_memory`), else the system's."""
    if nbytes < 2**30:  # no need to ask
        return
    available = None
    if like is not None:
        device = device_of(like)
        available = backend_for(namespace_of(like=like)).device_memory(device)
        where = f"free on device {device}"
    if available is None:
        available, where = available_memory(), "of memory available"
    if available is not None and nbytes > available:
        raise ValueError(f"{name}: {what} takes {nbytes / 2**30:.1f} GiB, more than the "
                         f"{available / 2**30:.1f} GiB {where}")


MEAN_TRIES_TERMS = 2**20
"""How many of the last terms of :func:`least_mean_tries`' sum are added up one by one."""


def least_mean_tries(law: str, range_max: int, num_sampled: int) -> float:
    """A lower bound on the mean number of draws a unique sample of ``num_sampled`` of
    the ``range_max`` classes of law ``law`` (``'uniform'`` or ``'log_uniform'``) takes.

    Once ``j`` distinct classes are drawn, the next new one takes ``1 / (1 - m)`` draws
    on average, ``m`` the mass of those ``j``, at most that of the ``j`` likeliest
    classes, ``M_j``: the mean is at least ``sum_{j < num_sampled} 1 / (1 - M_j)``
    (the coupon collector's sum, exact for the uniform law). Where even ``num_sampled``
    times its largest term stays within :data:`~candidate_sampling.backends.MAX_TRIES`
    (every sample a training step takes) the bound is ``num_sampled``, from plain
    Python arithmetic; otherwise the last :data:`MEAN_TRIES_TERMS` terms are added up
    (the largest), each earlier one counting 1."""
    def one_over_rest(j: Any, log1p: Any) -> Any:  # 1 / (1 - M_j), j classes drawn
        if law == "uniform":
            return range_max / (range_max - j)
        # M_j = log(j + 1) / log(V + 1): 1 - M_j = log((V + 1) / (j + 1)) / log(V + 1)
        return math.log1p(range_max) / log1p((range_max - j) / (j + 1.0))

    if num_sampled * one_over_rest(num_sampled - 1.0, math.log1p) <= MAX_TRIES:
        return float(num_sampled)
    tail = min(num_sampled, MEAN_TRIES_TERMS)
    j = np.arange(num_sampled - tail, num_sampled, dtype=np.float64)
    return float(np.sum(one_over_rest(j, np.log1p))) + (num_sampled - tail)


def check_mean_tries(law: str, range_max: int, num_sampled: int) -> None:
    """Refuse a unique sample whose draws would, on average, run past ``MAX_TRIES``
    (:func:`least_mean_tries`): minutes of drawing, then the error of too many draws
    (TensorFlow aborts the process there)."""
    least = least_mean_tries(law, range_max, num_sampled)
    if least > MAX_TRIES:
        raise ValueError(f"num_sampled: a unique sample of {num_sampled} of the {range_max} "
                         f"classes of the {law} law takes on average at least {least:.3g} "
                         f"draws, more than the {MAX_TRIES} allowed (TensorFlow aborts the "
                         f"process there); lower num_sampled, or sample with unique=False")


def check_range_of_ids(xp: Any, range_max: int, name: str = "range_max") -> None:
    """``range_max`` fits the backend's ids, which the samplers compute with and return
    (JAX without ``jax_enable_x64``: int32)."""
    ids = xp.iinfo(backend_for(xp).int64(xp))
    if range_max > int(ids.max):
        raise ValueError(f"{name}: must be in [1, {int(ids.max)}] while the array "
                         f"library's ids are {ids.dtype}, got {range_max}")


def check_sampler_arguments(true_classes: Any, num_true: int, num_sampled: int, unique: bool,
                            range_max: int, seed: int | None, check_values: bool = True,
                            any_seed: bool = False, rng: Any = None):
    """Check the arguments every candidate sampler shares (TensorFlow's contract);
    ``(xp, num_sampled, unique, range_max, seed)``, the numbers as Python ints (a NumPy
    integer or a 0-d array for ``range_max`` is taken as its value). ``check_values=False``: the caller has already
    checked that ``true_classes`` lie in ``[0, range_max)`` (no second read of them).
    ``seed`` is checked by :func:`check_seed`, or with ``any_seed`` may be any int (for a
    stream that reduces it itself, as TensorFlow's and Paddle's do). A native sampler's
    ``rng`` and ``seed`` are two sources of randomness: at most one may be given.
    ``range_max`` must fit the backend's ids (:func:`check_range_of_ids`), which every
    sampler computes with and returns."""
    xp = required_namespace(true_classes=true_classes)
    check_holds_values(xp, true_classes, "true_classes")
    num_true = check_int(num_true, "num_true", minimum=1)
    num_sampled = check_int(num_sampled, "num_sampled", minimum=1)
    unique = check_bool(unique, "unique")
    range_max = check_int(range_max, "range_max", minimum=1, maximum=MAX_RANGE)
    check_range_of_ids(xp, range_max)
    if any_seed and seed is not None:
        seed = check_int(seed, "seed")
    else:
        seed = check_seed(seed)
    if seed is not None and rng is not None:
        raise ValueError(f"seed, rng: give at most one of them (the generator's draws or "
                         f"those of seed={seed}), got both")
    check_int_array(xp, true_classes, "true_classes")
    check_ndim(true_classes, 2, "true_classes", "[batch_size, num_true]")
    if int(true_classes.shape[1]) != num_true:
        raise ValueError(f"true_classes: second dimension must equal num_true={num_true}, got "
                         f"shape {list(true_classes.shape)}")
    if unique and num_sampled > range_max:
        raise ValueError(f"num_sampled: must be in [1, range_max={range_max}] when unique=True, "
                         f"got {num_sampled}")
    # the ids (int64), their expected counts (float32) and the uniform draws (float64), and
    # as much again while they are made
    check_memory(40 * num_sampled, "num_sampled", "a sample of num_sampled classes",
                 true_classes)
    if check_values:
        check_ids_in_range(xp, true_classes, range_max, "true_classes")
    return xp, num_sampled, unique, range_max, seed


FLOAT32_MAX = 3.4028234663852886e38
"""Largest finite float32: TensorFlow's fixed unigram weights and their total are float32."""


def check_distortion(distortion: Any) -> float:
    """``distortion`` of a fixed unigram sampler as a finite Python float."""
    distortion = check_real(distortion, "distortion")
    if not math.isfinite(distortion):
        raise ValueError(f"distortion: must be finite, got {distortion}")
    return distortion


def check_unigram_law(source: str, distortion: float, zero_count: bool, largest: float,
                      total: float) -> None:
    """The weights of a fixed unigram law, its counts raised to ``distortion``, are
    finite and so is their sum, in float32 (TensorFlow's dtype for both; a larger value
    is infinite there, and the law's probabilities NaN or 0); some weight is > 0.

    ``source`` names where the counts came from (``unigrams`` or ``vocab_file``);
    ``zero_count``: some count is 0; ``largest``, ``total``: the largest weight and the
    sum of the weights."""
    if zero_count and distortion < 0:
        raise ValueError(f"distortion: must be >= 0 where a count is 0 (0 raised to "
                         f"{distortion} is infinite), got {distortion}")
    if not largest <= FLOAT32_MAX:
        raise ValueError(f"{source}, distortion: the counts raised to distortion={distortion} "
                         f"overflow float32, TensorFlow's dtype for the weights (a weight is "
                         f"above float32's largest value, {FLOAT32_MAX:.8g}); scale the counts "
                         f"down or lower distortion")
    if not total <= FLOAT32_MAX:
        raise ValueError(f"{source}, distortion: the sum of the counts raised to distortion="
                         f"{distortion} overflows float32, TensorFlow's dtype for the total "
                         f"weight (sum {total:.6g}, float32 holds at most {FLOAT32_MAX:.8g}); "
                         f"scale the counts down or lower distortion")
    if not largest > 0:
        raise ValueError(f"{source}: the weights of this shard are all zero")


DRAWABLE_SHARE = 2.0**-51
"""A class of a unigram law counts as one that a unique sample can draw when its weight
is above 0 and at least ``DRAWABLE_SHARE / range_max`` of the total (:func:`drawable`).
All lighter classes together have a probability under ``2**-51`` a draw, so the
``2**31`` draws of the limit give one of them with probability under ``2**-20``: a unique
sample that needs one would run to that limit (minutes eagerly, hours of blocks under
``jax.jit``) and then fail, where it is refused at once. A weight of 2**70 beside weights
of 1, for example, leaves the latter no share that a float64 running sum resolves."""


DRAWABLE_CLASSES = "that a draw can reach (each at least 2**-51 / range_max of the total)"
"""How the errors name the classes :func:`drawable` counts."""


def drawable(xp: Any, weights: Any, total: Any) -> Any:
    """Whether each class of a unigram law of ``weights`` (summing to ``total``) can be
    drawn by a unique sample within the draw limit (:data:`DRAWABLE_SHARE`)."""
    return (weights > 0) & (weights >= total * (DRAWABLE_SHARE / int(weights.shape[0])))


def learned_count_stats(xp: Any, counts: Any, true_classes: Any) -> Any:
    """``[min, max, number drawable, min over true_classes, sum]`` of a learned unigram
    sampler's ``counts`` (on their device; :func:`drawable`), what
    :func:`check_learned_counts` reads: in the widest float, the sum taken once, there
    (a narrow dtype's own sum overflowed: float16 counts past 65504 in all)."""
    flat = xp.reshape(true_classes, (-1,))
    picked = xp.take(counts, xp.astype(flat, index_dtype(xp, flat)))
    backend = backend_for(xp)
    wide = backend.float64(xp)
    with backend.overflow_allowed():  # an infinite sum is refused
        total = xp.sum(xp.astype(counts, wide))
        parts = [xp.min(counts), xp.max(counts),
                 xp.min(picked) if int(picked.shape[0]) else xp.max(counts)]
        low, high, at_true = (xp.astype(part, wide) for part in parts)
        reach = xp.sum(xp.astype(drawable(xp, counts, total), wide))
    return xp.stack([low, high, reach, at_true, total])


def learned_count_limit(xp: Any, dtype: Any) -> float:
    """The largest count of ``dtype`` that a learned update can still add 1 to: the
    largest value an integer dtype holds (past it ``+ 1`` wraps around; 2**62 for 64-bit
    ones, read as float64 here), or for a float narrower than float64 ``2 / eps`` (2048
    in float16, 2**24 in float32), past which ``+ 1`` rounds away and the class stops
    learning. float64 counts are not limited (2**53, where they would stop, is past any
    number of updates; a larger count set by hand is a weight)."""
    if xp.isdtype(dtype, "integral"):
        info = xp.iinfo(dtype)
        return float(info.max) if info.bits < 64 else 2.0**62
    eps = float(xp.finfo(dtype).eps)
    return 2.0 / eps if eps > 2.0**-52 else math.inf


def check_learned_counts(name: str, stats: Any, num_sampled: int, unique: bool,
                         limit: float = math.inf, added: int = 0) -> None:
    """The counts a learned unigram sampler draws from (``stats`` as
    :func:`learned_count_stats` gives them, read): finite and >= 0, and so is their sum;
    with ``unique``, at least ``num_sampled`` of them drawable (:func:`drawable`; else
    the draw could only stop at the draw limit, after minutes); > 0 at every true class
    (its expected count would be 0, and log Q infinite); the largest plus the ``added``
    labels of the update at most ``limit`` (:func:`learned_count_limit`: an integer
    count past it wraps around, a float one stops growing)."""
    low, high, positive, at_true, total = (float(v) for v in stats)
    if not (low >= 0 and math.isfinite(high)):
        raise ValueError(f"{name}: every count must be finite and >= 0, got min {low}, max {high}")
    if not math.isfinite(total):
        raise ValueError(f"{name}: the sum of the counts overflows (largest {high:g}); the law "
                         f"needs a finite total")
    if high + added > limit:
        raise ValueError(f"{name}: a count of {high:g} plus the {added} labels of this call "
                         f"passes {limit:g}, the largest count that its dtype adds 1 to "
                         f"exactly; keep the counts in a wider dtype (float64)")
    if unique and positive < num_sampled:
        raise ValueError(f"num_sampled: must be at most the {int(positive)} classes of nonzero "
                         f"count in {name} {DRAWABLE_CLASSES} when unique=True, got {num_sampled}")
    if not at_true > 0:
        raise ValueError(f"{name}: a true class has count 0 (its expected count would be 0 "
                         f"and log Q infinite)")
