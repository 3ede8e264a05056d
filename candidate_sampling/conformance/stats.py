"""The statistics behind the sampler laws: tail probabilities, and the exact moments of
TensorFlow's unique sampling.

NumPy and the standard library only (no SciPy): the conformance suite ships with the
library. Every test here is two-sided or upper-tailed at a level ``alpha`` the caller
gives; :data:`ALPHA` is the level the law checks use.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

__all__ = ["ALPHA", "chi_square_sf", "chi_square_test", "normal_threshold", "binomial_test",
           "UniqueMoments", "unique_moments"]

ALPHA = 1e-7
"""Probability that one statistical comparison rejects a correct sampler."""


def _lower_gamma_series(a: float, x: float) -> float:
    """Regularized lower incomplete gamma ``P(a, x)`` by its series (for ``x < a + 1``)."""
    term = total = 1.0 / a
    n = a
    for _ in range(10_000):
        n += 1.0
        term *= x / n
        total += term
        if abs(term) < abs(total) * 1e-16:
            break
    return total * math.exp(-x + a * math.log(x) - math.lgamma(a))


def _upper_gamma_fraction(a: float, x: float) -> float:
    """Regularized upper incomplete gamma ``Q(a, x)`` by Lentz's continued fraction
    (for ``x >= a + 1``)."""
    tiny = 1e-300
    b = x + 1.0 - a
    c = 1.0 / tiny
    d = 1.0 / b
    h = d
    for i in range(1, 10_000):
        an = -i * (i - a)
        b += 2.0
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1.0 / d
        step = d * c
        h *= step
        if abs(step - 1.0) < 1e-16:
            break
    return math.exp(-x + a * math.log(x) - math.lgamma(a)) * h


def chi_square_sf(statistic: float, dof: int) -> float:
    """``P(X >= statistic)`` for ``X`` chi-square with ``dof`` degrees of freedom."""
    if dof < 1:
        raise ValueError(f"dof: must be in [1, inf), got {dof}")
    if statistic <= 0:
        return 1.0
    a, x = dof / 2.0, statistic / 2.0
    if x < a + 1.0:
        return max(0.0, 1.0 - _lower_gamma_series(a, x))
    return _upper_gamma_fraction(a, x)


def chi_square_test(observed: np.ndarray, probs: np.ndarray,
                    min_expected: float = 5.0) -> tuple[float, float, int]:
    """Pearson's goodness of fit of ``observed`` counts to the law ``probs``:
    ``(p-value, statistic, degrees of freedom)``.

    Cells expected fewer than ``min_expected`` times are pooled into one (with the next
    smallest, until the pool reaches ``min_expected``) so that the chi-square
    approximation holds. A count in a cell of probability 0 gives
    p-value 0.
    """
    observed = np.asarray(observed, dtype=np.float64)
    probs = np.asarray(probs, dtype=np.float64)
    total = observed.sum()
    if np.any(observed[probs <= 0] > 0):
        return 0.0, math.inf, 0
    keep = probs > 0
    observed, expected = observed[keep], probs[keep] / probs[keep].sum() * total
    order = np.argsort(expected, kind="stable")
    observed, expected = observed[order], expected[order]
    cut = int(np.count_nonzero(expected < min_expected))
    if cut > 0:
        while cut < expected.size and expected[:cut].sum() < min_expected:
            cut += 1
        observed = np.concatenate([[observed[:cut].sum()], observed[cut:]])
        expected = np.concatenate([[expected[:cut].sum()], expected[cut:]])
    if expected.size < 2:
        return 1.0, 0.0, 0
    statistic = float(np.sum((observed - expected) ** 2 / expected))
    dof = expected.size - 1
    return chi_square_sf(statistic, dof), statistic, dof


def binomial_test(successes: np.ndarray, trials: int, probs: np.ndarray) -> np.ndarray:
    """Two-sided exact binomial p-values, one per class: ``min(1, 2 min(P(X <= k),
    P(X >= k)))`` for ``X ~ Binomial(trials, p)`` and ``k`` the class's ``successes``.
    Exact where a normal approximation, ``n p (1 - p)`` near 25, puts 2 to 4.5 times the
    intended mass beyond 6 standard deviations (the level of the law checks). Each
    p-value's chance to fall at or below ``alpha`` under the law is at most ``alpha``."""
    k = np.asarray(successes, dtype=np.int64)
    p = np.clip(np.asarray(probs, dtype=np.float64), 1e-300, 1.0 - 1e-16)
    j = np.arange(trials + 1)
    log_choose = np.array([math.lgamma(trials + 1) - math.lgamma(i + 1)
                           - math.lgamma(trials - i + 1) for i in j])
    log_pmf = log_choose[None, :] + j[None, :] * np.log(p)[:, None] \
        + (trials - j)[None, :] * np.log1p(-p)[:, None]
    pmf = np.exp(log_pmf - log_pmf.max(axis=1, keepdims=True))
    pmf /= pmf.sum(axis=1, keepdims=True)
    rows = np.arange(k.size)
    below = np.cumsum(pmf, axis=1)[rows, k]
    above = np.cumsum(pmf[:, ::-1], axis=1)[:, ::-1][rows, k]  # summed from the far end
    return np.minimum(1.0, 2.0 * np.minimum(below, above))


def normal_threshold(alpha: float) -> float:
    """``z`` with ``P(|N(0, 1)| >= z) = alpha``."""
    if not 0 < alpha < 1:
        raise ValueError(f"alpha: must be in (0, 1), got {alpha}")
    lo, hi = 0.0, 40.0
    for _ in range(200):
        mid = (lo + hi) / 2
        if math.erfc(mid / math.sqrt(2.0)) > alpha:
            lo = mid
        else:
            hi = mid
    return hi


@dataclass(frozen=True)
class UniqueMoments:
    """Exact figures of TensorFlow's unique sampling (draw with replacement until
    ``num_sampled`` distinct values are found) from a law ``p``."""

    mean_tries: float
    """E[tries]: the expected number of draws."""
    var_tries: float
    """Var[tries]."""
    inclusion: np.ndarray
    """P(class v is in the sample), for every class."""


def _poisson_binomial_below(q: np.ndarray, limit: int) -> np.ndarray:
    """``P(sum of independent Bernoulli(q[:, j]) = k)`` for ``k < limit``: ``[rows, limit]``."""
    dist = np.zeros((q.shape[0], limit))
    dist[:, 0] = 1.0
    for j in range(q.shape[1]):
        qj = q[:, j:j + 1]
        shifted = np.concatenate([np.zeros((q.shape[0], 1)), dist[:, :-1]], axis=1)
        dist = dist * (1.0 - qj) + shifted * qj
    return dist


@lru_cache(maxsize=32)
def _unique_moments(probs: tuple, num_sampled: int, nodes: int) -> UniqueMoments:
    p = np.asarray(probs, dtype=np.float64)
    p = p / p.sum()
    # Poissonization: class v arrives at the times of a Poisson process of rate p_v, so
    # draws arrive at rate 1 and the time of the S-th distinct arrival is a sum of
    # `tries` unit exponentials: E[time] = E[tries], E[time^2] = E[tries^2] + E[tries].
    # P(time > t) = P(fewer than S classes arrived by t), a Poisson-binomial tail.
    positive = p[p > 0]
    horizon = 1.0
    while True:
        q = -np.expm1(-positive[None, :] * horizon)
        if _poisson_binomial_below(q, num_sampled).sum() < 1e-15:
            break
        horizon *= 2.0
    t = np.linspace(0.0, horizon, nodes)
    weights = np.full(nodes, 2.0)
    weights[1::2] = 4.0
    weights[0] = weights[-1] = 1.0
    weights *= (t[1] - t[0]) / 3.0          # Simpson's rule
    arrived = -np.expm1(-p[None, :] * t[:, None])          # [nodes, R]
    survival = _poisson_binomial_below(arrived, num_sampled).sum(axis=1)
    mean = float(np.sum(weights * survival))
    second = float(np.sum(weights * 2.0 * t * survival)) - mean
    # Class v is kept when it arrives while fewer than S other classes have arrived.
    inclusion = np.zeros(p.size)
    for v in np.flatnonzero(p > 0):
        others = np.delete(arrived, v, axis=1)
        below = _poisson_binomial_below(others, num_sampled).sum(axis=1)
        inclusion[v] = float(np.sum(weights * p[v] * np.exp(-p[v] * t) * below))
    return UniqueMoments(mean, second - mean * mean, inclusion)


def unique_moments(probs: np.ndarray, num_sampled: int, nodes: int = 4001) -> UniqueMoments:
    """Exact :class:`UniqueMoments` of unique sampling of ``num_sampled`` classes from
    ``probs`` (numerical integration to about 1e-9; ``nodes`` odd)."""
    if num_sampled > int(np.count_nonzero(np.asarray(probs) > 0)):
        raise ValueError(f"num_sampled: must be at most the number of classes of nonzero "
                         f"probability, got {num_sampled}")
    return _unique_moments(tuple(float(v) for v in np.asarray(probs).ravel()), num_sampled, nodes)
