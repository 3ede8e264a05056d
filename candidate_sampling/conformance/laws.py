"""Statistical laws of the candidate samplers, checked on any implementation with
TensorFlow's sampler signature
``sampler(true_classes, num_true, num_sampled, unique, range_max, seed=None, **extra)
-> (sampled_candidates, true_expected_count, sampled_expected_count)``.

Three law cases per sampler (one for ``all_candidate_sampler``), each a set of
comparisons on the outputs of many calls with fixed seeds:

- ``structure``: a triple of arrays, shapes ``[S]``, ``[B, T]``, ``[S]``, integer ids in
  ``[0, range_max)``, float32 counts, distinct ids under ``unique`` (also when
  ``num_sampled == range_max``: a permutation);
- ``draws`` (``unique=False``): the draws follow the law (chi-square), and every
  expected count is ``p * num_sampled``;
- ``unique`` (``unique=True``): distinct ids; the first id of each sample follows the law
  (chi-square); each call's expected counts are TensorFlow's formula for one number of
  tries ``t >= S`` (``p * S`` when ``t == S``, else ``-expm1(t * log1p(-p))``); how often
  each class is in the sample, and the mean number of tries, match the exact figures of
  TensorFlow's procedure (draw with replacement until ``S`` distinct ids),
  :func:`~candidate_sampling.conformance.stats.unique_moments`.

Each statistical comparison is made at the level
:data:`~candidate_sampling.conformance.stats.ALPHA` (1e-7) over the choice of seeds: the
inclusion frequencies with exact binomial tails (at most that), the chi-square and the
mean number of tries by their approximations (within a few times that). The seeds are
fixed, so a run's verdict is reproducible.
"""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from .adapters import Adapter, describe_value
from .runner import CaseResult, Comparison
from .stats import (
    ALPHA,
    binomial_test,
    chi_square_test,
    normal_threshold,
    unique_moments,
)
from .vectors import close, real_dtype

__all__ = ["SAMPLER_OPS", "LAW_OPS", "RANGE", "LawCase", "law_cases", "law_kwargs",
           "law_probabilities", "law_probabilities32", "run_law_case", "Draws", "draw",
           "tries_of_calls"]

SAMPLER_OPS = ("uniform_candidate_sampler", "log_uniform_candidate_sampler",
               "learned_unigram_candidate_sampler", "fixed_unigram_candidate_sampler",
               "all_candidate_sampler")
LAW_OPS = SAMPLER_OPS[:4]
"""The samplers that draw (``all_candidate_sampler`` returns every class)."""

RANGE = 50
"""``range_max`` of every law case: small enough that each class is seen often."""
FIXED_WEIGHTS = tuple(float(w) for w in np.random.default_rng(3).integers(1, 20, size=RANGE))
FIXED_DISTORTION = 0.75
DRAW_CALLS, DRAWS_PER_CALL = 4, 10_000
UNIQUE_CALLS, UNIQUE_SAMPLED = 1000, 10
COUNT_RTOL, COUNT_ATOL = 1e-5, 1e-6
"""Expected counts against TensorFlow's float32 formula: float32 rounding and one-ulp
differences of ``log1p``/``expm1`` stay far inside."""
MIN_BINOMIAL_VARIANCE = 25.0
"""Inclusion frequencies are compared (exact binomial tails) where ``n p (1 - p)`` is at
least this: classes of smaller variance tell too little."""


@dataclass(frozen=True)
class LawCase:
    """One law case: which sampler, which front end, which configuration."""

    id: str
    op: str
    api: str
    """The front end checked: ``native`` (this library's samplers), ``tf2`` (TensorFlow's
    signature, and stream where claimed), ``paddle`` (Paddle's sampler)."""
    check: str
    """``structure``, ``draws`` or ``unique``."""
    notes: str = ""
    unique_only: bool = False
    """A sampler that draws distinct ids only (Paddle's): no ``unique=False`` calls."""
    group: str = "laws"
    raises: None = None
    deviation: None = None
    is_stream: bool = False


_NOTES = {
    "structure": "a triple of arrays with TensorFlow's shapes and dtypes, ids in range, "
                 "distinct ids under unique (a permutation when num_sampled == range_max)",
    "draws": f"unique=False, {DRAW_CALLS} calls of {DRAWS_PER_CALL} draws: the law "
             "(chi-square) and expected counts p * num_sampled",
    "unique": f"unique=True, {UNIQUE_CALLS} calls of {UNIQUE_SAMPLED} of {RANGE} classes: "
              "distinct ids, the law of the first id, TensorFlow's expected-count formula "
              "for one number of tries per call, inclusion frequencies and the mean number "
              "of tries against their exact values",
    "all": "candidates 0 .. num_sampled - 1 and every expected count 1",
    "learns": "calls with one op seed share TensorFlow's kernel, whose counts grow by 1 for "
              "every true class of each call: the expected counts of each call follow the "
              "counts after the calls before it",
}

LEARN_CALLS, LEARN_SAMPLED = 3, 4


def law_cases(op: str, api: str, unique_only: bool = False) -> list[LawCase]:
    """The law cases of sampler ``op`` for front end ``api`` (``unique_only``: a sampler
    that draws distinct ids only, as Paddle's)."""
    if op not in SAMPLER_OPS:
        raise ValueError(f"op: law cases exist for {list(SAMPLER_OPS)}, got {op!r}")
    checks = ("all",) if op == "all_candidate_sampler" else (
        ("structure", "unique") if unique_only else ("structure", "draws", "unique"))
    if op == "learned_unigram_candidate_sampler" and api == "tf2":
        checks += ("learns",)  # the native function draws from a fresh sampler each call
    return [LawCase(f"laws.{api}.{op}.{check}", op, api, check, _NOTES[check], unique_only)
            for check in checks]


def law_kwargs(op: str) -> dict:
    """Arguments beyond TensorFlow's common five that the law cases pass to ``op``."""
    if op == "fixed_unigram_candidate_sampler":
        return {"unigrams": list(FIXED_WEIGHTS), "distortion": FIXED_DISTORTION}
    return {}


def law_probabilities(op: str, range_max: int = RANGE) -> np.ndarray:
    """The law ``p(v)`` of one draw of ``op`` (a fresh learned unigram sampler is
    uniform), float64 ``[range_max]``."""
    v = np.arange(range_max, dtype=np.float64)
    if op == "log_uniform_candidate_sampler":
        return np.log((v + 2.0) / (v + 1.0)) / math.log1p(range_max)
    if op == "fixed_unigram_candidate_sampler":
        w = np.asarray(FIXED_WEIGHTS, dtype=np.float64) ** FIXED_DISTORTION
        return w / w.sum()
    return np.full(range_max, 1.0 / range_max)


def law_probabilities32(op: str, range_max: int = RANGE) -> np.ndarray:
    """``p(v)`` as TensorFlow returns it in float32 (``spec/candidate_samplers.md``)."""
    if op == "fixed_unigram_candidate_sampler":
        w = np.asarray(FIXED_WEIGHTS, dtype=np.float32) ** np.float32(FIXED_DISTORTION)
        total = np.float32(0)
        for x in w:
            total = np.float32(total + x)
        return (w / total).astype(np.float32)
    return law_probabilities(op, range_max).astype(np.float32)


# --------------------------------------------------------------------------- calls

class ShapeError(ValueError):
    """The calls of one configuration returned arrays of different shapes."""


@dataclass
class Draws:
    """The outputs of ``n`` calls, stacked: ``candidates [n, S]``, ``true_q [n, B, T]``,
    ``sampled_q [n, S]``, with the dtypes of the first call's outputs."""

    candidates: np.ndarray
    true_q: np.ndarray
    sampled_q: np.ndarray
    dtypes: tuple


def _accepts_rng(fn: Callable[..., Any]) -> bool:
    try:
        return "rng" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


def _as_triple(out: Any) -> tuple:
    if not isinstance(out, (tuple, list)) or len(out) != 3:
        got = f"a {type(out).__name__} of {len(out)}" if isinstance(out, (tuple, list)) \
            else describe_value(out)  # a generator, not the 0-d array it was fetched as
        raise TypeError(f"expected (sampled_candidates, true_expected_count, "
                        f"sampled_expected_count), got {got}")
    return tuple(np.asarray(v) for v in out)


def draw(adapter: Adapter, impl: Callable[..., Any], op: str, true_classes: np.ndarray,
         num_sampled: int, unique: bool, seeds: range, range_max: int = RANGE) -> Draws:
    """Call ``impl`` once per seed on ``adapter``'s arrays and stack the outputs.

    On JAX, an implementation that takes an ``rng`` keyword (a PRNG key, as this
    library's samplers do) is called once, vmapped over one key per seed and jitted;
    otherwise each call is a separate (eager) call with ``seed=``."""
    kwargs = dict(num_true=int(true_classes.shape[1]), num_sampled=num_sampled, unique=unique)
    if op != "all_candidate_sampler":
        kwargs["range_max"] = range_max
    kwargs.update(law_kwargs(op))
    if adapter.name == "jax" and _accepts_rng(impl):
        import jax

        classes = adapter.asarray(true_classes)
        keys = jax.random.split(jax.random.key(seeds[0]), len(seeds))
        batched = jax.jit(jax.vmap(lambda key: tuple(impl(classes, rng=key, **kwargs))))
        stacked = tuple(np.asarray(a) for a in batched(keys))
        dtypes = tuple(a.dtype for a in stacked)
    else:
        outs = [_as_triple(adapter.call(impl, {"true_classes": true_classes},
                                        {**kwargs, "seed": seed})) for seed in seeds]
        dtypes = tuple(a.dtype for a in outs[0])
        shapes = sorted({tuple(a.shape for a in o) for o in outs})
        if len(shapes) > 1:
            seen = [str([list(s) for s in shape]) for shape in shapes]
            raise ShapeError(f"output shapes change from call to call: {seen[0]}, "
                             f"{seen[1]}{', ...' if len(seen) > 2 else ''}")
        stacked = tuple(np.stack([o[i] for o in outs]) for i in range(3))
    return Draws(*stacked, dtypes=dtypes)


# --------------------------------------------------------------------------- checks

def _comparison(name: str, ok: bool, detail: str, worst_abs: float = 0.0,
                worst_rel: float = 0.0) -> Comparison:
    return Comparison(name, bool(ok), float(worst_abs), float(worst_rel), "" if ok else detail)


def _expected_count(p: np.ndarray, tries: int, num_sampled: int) -> np.ndarray:
    p = np.asarray(p, dtype=np.float64)
    if tries == num_sampled:
        return p * num_sampled
    return -np.expm1(tries * np.log1p(-p))


def _shape_checks(draws: Draws, batch: int, num_true: int, num_sampled: int,
                  range_max: int, unique: bool, what: str) -> list[Comparison]:
    n = draws.candidates.shape[0]
    shapes = (draws.candidates.shape[1:], draws.true_q.shape[1:], draws.sampled_q.shape[1:])
    wanted = ((num_sampled,), (batch, num_true), (num_sampled,))
    out = [_comparison(f"shapes ({what})", shapes == wanted,
                       f"shapes {[list(s) for s in shapes]} ({what}), TensorFlow's "
                       f"{[list(s) for s in wanted]}")]
    kinds = tuple(np.dtype(d).kind for d in draws.dtypes)
    dtype_ok = kinds[0] in "iu" and all(np.dtype(d) == np.float32 for d in draws.dtypes[1:])
    out.append(_comparison(f"dtypes ({what})", dtype_ok,
                           f"dtypes {[str(np.dtype(d)) for d in draws.dtypes]} ({what}), "
                           f"TensorFlow's [int64, float32, float32]"))
    if shapes != wanted:
        return out
    c = draws.candidates
    out.append(_comparison(f"ids in [0, range_max) ({what})",
                           c.size == 0 or (c.min() >= 0 and c.max() < range_max),
                           f"sampled ids from {c.min()} to {c.max()}, outside [0, {range_max}) "
                           f"({what})"))
    if unique:
        repeated = sum(len(set(row)) < num_sampled for row in c.tolist())
        out.append(_comparison(f"distinct ids ({what})", repeated == 0,
                               f"{repeated} of {n} samples repeat an id under unique=True "
                               f"({what})", repeated, repeated / n))
    return out


def _law_check(name: str, values: np.ndarray, probs: np.ndarray) -> Comparison:
    observed = np.bincount(np.clip(values.ravel(), 0, probs.size - 1).astype(np.int64),
                           minlength=probs.size)
    p_value, statistic, dof = chi_square_test(observed, probs)
    return _comparison(name, p_value >= ALPHA,
                       f"{name}: chi-square {statistic:.4g} on {dof} degrees of freedom, "
                       f"p = {p_value:.2g} < {ALPHA:g}", statistic, p_value)


def tries_of_calls(draws: Draws, true_classes: np.ndarray, p32: np.ndarray,
                   num_sampled: int) -> tuple[np.ndarray, list]:
    """The number of tries behind each call's expected counts (``-1`` where none fits),
    and ``(call, why)`` for the calls whose counts no single number of tries explains.

    A call whose counts are all ``p * S`` had ``S`` tries; otherwise ``t`` is the rounded
    median of ``log1p(-Q) / log1p(-p)`` over its ids, and every count must then equal
    ``-expm1(t * log1p(-p))``, with ``t >= S``."""
    n = draws.candidates.shape[0]
    tries = np.full(n, -1, dtype=np.int64)
    bad = []
    true_p = p32[np.asarray(true_classes).ravel()].astype(np.float64)
    for i in range(n):
        q = np.concatenate([draws.true_q[i].ravel(), draws.sampled_q[i]]).astype(np.float64)
        p = np.concatenate([true_p, p32[draws.candidates[i]].astype(np.float64)])
        if close(q, p * num_sampled, COUNT_RTOL, COUNT_ATOL)[0]:
            tries[i] = num_sampled
            continue
        usable = (q > 0) & (q < 0.999) & (p > 0) & (p < 1)
        if not usable.any():
            bad.append((i, "no count tells its tries"))
            continue
        with np.errstate(divide="ignore", invalid="ignore"):
            estimate = np.log1p(-q[usable]) / np.log1p(-p[usable])
        t = int(np.rint(np.median(estimate)))
        if t < num_sampled:
            bad.append((i, f"the counts fit tries {t} < num_sampled {num_sampled}"))
        elif not close(q, _expected_count(p, t, num_sampled), COUNT_RTOL, COUNT_ATOL)[0]:
            bad.append((i, f"no tries fit; the nearest, {t}, is off"))
        else:
            tries[i] = t
    return tries, bad


def _first_off(values: np.ndarray, expected: np.ndarray) -> int | None:
    """The flat position of the first of the (real) ``values`` off the ``expected``
    counts beyond :data:`COUNT_RTOL` and :data:`COUNT_ATOL`, or None."""
    have = np.asarray(values, dtype=np.float64).ravel()
    want = np.asarray(expected, dtype=np.float64).ravel()
    bad = ~(np.abs(have - want) <= COUNT_ATOL + COUNT_RTOL * np.abs(want))
    return int(np.argmax(bad)) if bad.any() else None


def _first_difference(outputs: tuple) -> str:
    """``; first: <output> of class <id> is <value>, TensorFlow's <value>`` for the first
    of ``(name, values, expected, ids)`` whose values differ from the expected counts,
    or nothing where the values are no real numbers."""
    for name, values, expected, ids in outputs:
        if not real_dtype(np.asarray(values).dtype):
            return ""
        k = _first_off(values, expected)
        if k is not None:
            have, want = np.ravel(values)[k], np.ravel(expected)[k]
            return (f"; first: {name} of class {int(np.asarray(ids).ravel()[k])} is "
                    f"{have:.6g}, TensorFlow's {want:.6g}")
    return ""


def _count_checks(draws: Draws, true_classes: np.ndarray, p32: np.ndarray,
                  num_sampled: int, unique: bool) -> tuple[list[Comparison], np.ndarray]:
    if not unique:
        expected_true = np.broadcast_to(p32[true_classes] * np.float64(num_sampled),
                                        draws.true_q.shape)
        expected_sampled = p32[draws.candidates].astype(np.float64) * num_sampled
        ok, worst_abs, worst_rel = close(np.concatenate([draws.true_q.ravel(),
                                                         draws.sampled_q.ravel()]),
                                         np.concatenate([expected_true.ravel(),
                                                         expected_sampled.ravel()]),
                                         COUNT_RTOL, COUNT_ATOL)
        where = "" if ok else _first_difference(
            (("true_expected_count", draws.true_q, expected_true,
              np.broadcast_to(true_classes, draws.true_q.shape)),
             ("sampled_expected_count", draws.sampled_q, expected_sampled, draws.candidates)))
        return [_comparison("expected counts p * num_sampled", ok,
                            f"expected counts differ from p * num_sampled (unique=False) by up "
                            f"to {worst_abs:.3g} (rel {worst_rel:.3g}){where}", worst_abs,
                            worst_rel)], np.full(draws.candidates.shape[0], num_sampled)
    tries, bad = tries_of_calls(draws, true_classes, p32, num_sampled)
    detail = ""
    if bad:
        i, why = bad[0]
        detail = (f"{len(bad)} of {len(tries)} calls have expected counts that no number of "
                  f"tries >= num_sampled explains with TensorFlow's formula (p * S when tries "
                  f"== S, else -expm1(tries * log1p(-p))); first: call {i} ({why})")
    return [_comparison("expected counts from one number of tries", not bad, detail,
                        len(bad), len(bad) / len(tries))], tries


def _unique_statistics(draws: Draws, probs: np.ndarray, tries: np.ndarray,
                       num_sampled: int) -> list[Comparison]:
    n = draws.candidates.shape[0]
    exact = unique_moments(probs, num_sampled)
    out = [_law_check("law of the first id", draws.candidates[:, 0], probs)]
    hits = (draws.candidates[:, :, None] == np.arange(probs.size)).any(axis=1).sum(axis=0)
    present = hits / n
    pi = exact.inclusion
    tested = n * pi * (1 - pi) >= MIN_BINOMIAL_VARIANCE
    p_values = np.ones(pi.size)
    p_values[tested] = binomial_test(hits[tested], n, pi[tested])
    level = ALPHA / max(int(tested.sum()), 1)
    worst = int(np.argmin(p_values))
    out.append(_comparison(
        "inclusion frequencies", bool(np.all(p_values > level)),
        f"class {worst} is in {present[worst]:.3f} of the samples, TensorFlow's procedure "
        f"{pi[worst]:.3f} (exact binomial p = {p_values[worst]:.2g} <= {level:.2g})",
        float(np.max(np.abs(present - pi)[tested], initial=0.0)), float(p_values[worst])))
    known = tries[tries >= 0]
    if known.size == n:
        z_tries = abs(known.mean() - exact.mean_tries) / math.sqrt(exact.var_tries / n)
        limit = normal_threshold(ALPHA)
        out.append(_comparison(
            "mean number of tries", z_tries <= limit,
            f"mean number of tries {known.mean():.3f} (from the expected counts), TensorFlow's "
            f"procedure {exact.mean_tries:.3f} (z = {z_tries:.1f} > {limit:.1f})",
            abs(known.mean() - exact.mean_tries), z_tries))
    return out


_SEEDS = {"structure": 11, "draws": 101, "unique": 1001, "all": 11, "learns": 7}


def _structure(adapter: Adapter, impl: Callable[..., Any], op: str,
               unique_only: bool) -> list[Comparison]:
    classes = np.array([[1, 2], [3, 0], [RANGE - 1, 7]], dtype=np.int64)
    out = []
    for unique, num_sampled, what in ((True, 6, "unique=True"), (False, 3 * RANGE, "unique=False"),
                                      (True, RANGE, "unique=True, num_sampled=range_max")):
        if unique_only and not unique:
            continue
        try:
            draws = draw(adapter, impl, op, classes, num_sampled, unique,
                         range(_SEEDS["structure"], _SEEDS["structure"] + 2))
        except ShapeError as exc:
            out.append(_shape_failure(what, exc, num_sampled, 3, 2))
            continue
        out += _shape_checks(draws, 3, 2, num_sampled, RANGE, unique, what)
    return out


def _shape_failure(what: str, exc: ShapeError, num_sampled: int, batch: int,
                   num_true: int) -> Comparison:
    return _comparison(f"shapes ({what})", False,
                       f"{exc} ({what}), TensorFlow's always [[{num_sampled}], "
                       f"[{batch}, {num_true}], [{num_sampled}]]")


def _all_classes(adapter: Adapter, impl: Callable[..., Any], op: str) -> list[Comparison]:
    classes = np.array([[0, 4], [2, 1], [5, 5]], dtype=np.int64)
    draws = draw(adapter, impl, op, classes, 6, True, range(_SEEDS["all"], _SEEDS["all"] + 2))
    out = _shape_checks(draws, 3, 2, 6, 6, False, "num_sampled=6")
    if out[0].ok:
        ok = bool(np.all(draws.candidates == np.arange(6)))
        out.append(_comparison("candidates 0 .. num_sampled - 1", ok,
                               f"candidates {draws.candidates[0].tolist()}, TensorFlow's "
                               f"[0, 1, 2, 3, 4, 5]"))
        counts = np.concatenate([draws.true_q.ravel(), draws.sampled_q.ravel()])
        out.append(_comparison("expected counts 1", bool(np.all(counts == 1.0)),
                               f"expected counts {sorted(set(counts.tolist()))[:4]}, "
                               f"TensorFlow's 1.0", float(np.abs(counts - 1).max())))
    return out


def _learning(adapter: Adapter, impl: Callable[..., Any], op: str) -> list[Comparison]:
    """:data:`LEARN_CALLS` eager calls with one op seed, ``unique=False``, true classes
    among the first five: each call's expected counts are ``S c / sum(c)``, ``c`` the
    counts after the calls before it (1 for every class, plus 1 for every true class of
    each earlier call, duplicates included), as TensorFlow's kernel learns them. The op
    seed is a fresh random one, so that no earlier call (another backend's check in
    this process) shares the kernel; the verdict does not depend on the ids drawn."""
    import secrets

    rng = np.random.default_rng(_SEEDS["learns"])
    op_seed = 1 + secrets.randbelow(2**31 - 2)
    counts = np.ones(RANGE)
    wanted = [(LEARN_SAMPLED,), (8, 2), (LEARN_SAMPLED,)]
    for call in range(1, LEARN_CALLS + 1):
        classes = rng.integers(0, 5, size=wanted[1])
        got = _as_triple(adapter.call(impl, {"true_classes": classes}, {
            "num_true": 2, "num_sampled": LEARN_SAMPLED, "unique": False, "range_max": RANGE,
            "seed": op_seed, **law_kwargs(op)}))
        shapes = [a.shape for a in got]
        if shapes != wanted:
            return [_comparison("learning", False, f"call {call}: shapes "
                                f"{[list(s) for s in shapes]}, TensorFlow's "
                                f"{[list(s) for s in wanted]}")]
        if not (real_dtype(got[1].dtype) and real_dtype(got[2].dtype)):
            return [_comparison("learning", False, f"call {call}: expected counts of dtypes "
                                f"{got[1].dtype}, {got[2].dtype}, TensorFlow's float32")]
        p = (counts / counts.sum()).astype(np.float32)
        ids = np.clip(got[0].astype(np.int64), 0, RANGE - 1)
        want = np.concatenate([p[classes].ravel(), p[ids]]) * np.float32(LEARN_SAMPLED)
        have = np.concatenate([got[1].ravel(), got[2]]).astype(np.float64)
        k = _first_off(have, want)
        if k is not None:
            cls = int(np.concatenate([classes.ravel(), ids])[k])
            return [_comparison(
                "learning", False,
                f"call {call} with one op seed: expected count of class {cls} is "
                f"{have[k]:.6g}, TensorFlow's kernel {want[k]:.6g} ({LEARN_SAMPLED} times its "
                f"count {counts[cls]:g} over {counts.sum():g}: 1 a class plus 1 for each "
                f"true class of the calls before; a sampler that does not learn gives "
                f"{LEARN_SAMPLED / RANGE:g})", float(np.max(np.abs(have - want))))]
        np.add.at(counts, classes.ravel(), 1)
    return [_comparison("learning", True, "")]


def run_law_case(case: LawCase, adapter: Adapter, impl: Callable[..., Any]) -> CaseResult:
    """Run one law case of ``impl`` (TensorFlow's sampler signature) on ``adapter``."""
    result = CaseResult(case.id, adapter.name)
    op = case.op
    if case.check == "all":
        result.comparisons = _all_classes(adapter, impl, op)
        return result
    if case.check == "learns":
        result.comparisons = _learning(adapter, impl, op)
        return result
    if case.check == "structure":
        result.comparisons = _structure(adapter, impl, op, case.unique_only)
        return result
    probs, p32 = law_probabilities(op), law_probabilities32(op)
    every_class = np.arange(RANGE, dtype=np.int64)[:, None]
    unique = case.check == "unique"
    calls, num_sampled = ((UNIQUE_CALLS, UNIQUE_SAMPLED) if unique
                          else (DRAW_CALLS, DRAWS_PER_CALL))
    seed = _SEEDS[case.check]
    try:
        draws = draw(adapter, impl, op, every_class, num_sampled, unique, range(seed, seed + calls))
    except ShapeError as exc:
        result.comparisons = [_shape_failure(case.check, exc, num_sampled, RANGE, 1)]
        return result
    comparisons = _shape_checks(draws, RANGE, 1, num_sampled, RANGE, unique, case.check)
    if all(c.ok for c in comparisons):
        if not unique:
            comparisons.append(_law_check("law of the draws", draws.candidates, probs))
        counts, tries = _count_checks(draws, every_class, p32, num_sampled, unique)
        comparisons += counts
        if unique:
            comparisons += _unique_statistics(draws, probs, tries, num_sampled)
    result.comparisons = comparisons
    return result
